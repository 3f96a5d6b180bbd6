import Checkpoints
import Foundation
import Models
import SystemIO
import Tasks
import TensorCore

/// Which architecture a run trains.
public enum ModelFamily: String, Codable, CaseIterable, Sendable {
    case pythia, mamba, mamba2, hybrid

    /// The family a configuration describes.
    public init(_ config: ModelConfig) {
        switch config {
        case .gptNeoX: self = .pythia
        case .mamba: self = .mamba
        case .mamba2: self = .mamba2
        case .hybrid: self = .hybrid
        }
    }

    /// The families transformers has a class for (checkpoints convert both ways).
    public static let transformersFamilies: [ModelFamily] = [.pythia, .mamba, .mamba2]

    /// The names, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Everything that defines one training run. Two runs with equal configurations produce the
/// same numbers (given the same thread count), so the folder name is a hash of this.
public struct RunConfig: Codable, Equatable, Sendable {
    public var model: ModelFamily
    /// The task (nil: position retrieval, so its runs keep the configuration and folder name
    /// they had before other tasks existed).
    public var task: TaskKind?
    /// The task's length parameter (`--length`): L context tokens for the retrieval tasks, the
    /// sequence length T for mqar and selective copying, the random symbols for induction heads.
    public var length: Int
    public var variant: QueryPlacement = .suffix
    /// The task's options (nil, or an option left out: its default; see the README's task
    /// sections). Nil rather than empty, so that a run's configuration has one form.
    public var taskOptions: TaskOptions?
    /// Held-out lengths evaluated besides `length` at every evaluation (length generalisation).
    public var evalLengths: [Int]?
    public var lr: Double = 1e-3
    /// Seeds the model's initialisation and the order of training examples.
    public var seed: UInt64 = 0
    /// Seeds the embedding rows (the paper's "three initialisations of the embeddings").
    public var embeddingSeed: UInt64 = 0
    public var batch: Int = 64
    public var steps: Int = 2000
    public var warmupRatio: Double = 0.1
    /// Evaluate every this many steps; 0 means every 1% of the step budget.
    public var evalEvery: Int = 0
    public var threshold: Double = 0.95
    public var earlyStop: Bool = true
    public var trainSize: Int = 100_000
    public var evalSize: Int = 2_000
    /// Seeds the training and held-out sets (shared by all runs of one length).
    public var dataSeed: UInt64 = 0
    public var weightDecay: Double = 0.01
    public var clipNorm: Double = 1.0
    /// Model sizes (defaults: the PyTorch anchor's shapes).
    public var hidden: Int = 128
    public var layers: Int?
    public var heads: Int = 4
    public var ffn: Int?
    public var stateSize: Int = 16
    /// Mamba-2's head_dim (default 32).
    public var headDim: Int?
    /// A hybrid's layer pattern over M (Mamba), S (Mamba-2) and T (attention); default "MMT".
    public var pattern: LayerPattern?
    /// Optional checkpoint to start from (e.g. converted pretrained weights): its shape and
    /// vocabulary, with the task's tokens appended.
    public var initFrom: String?
    /// A published shape by name (PublishedSize), trained from scratch with the task's tokens
    /// appended to its vocabulary; with `initFrom` it must match the checkpoint.
    public var size: PublishedSize?
    /// How rows appended to a vocabulary start (default: normal).
    public var newTokenInit: NewTokenInit?
    /// Splits each step's batch into micro-batches of this size (gradients accumulated: the
    /// same update to rounding), so large shapes fit in memory.
    public var microBatch: Int?

    public init(model: ModelFamily, length: Int) { self.model = model; self.length = length }

    public var layerCount: Int {
        switch model {
        case .pythia: return layers ?? 2
        case .mamba, .mamba2: return layers ?? 4
        case .hybrid: return layerPattern.count
        }
    }
    public var layerPattern: LayerPattern { pattern ?? .defaultHybrid }
    public var patternText: String { layerPattern.description }
    /// The model as figures and tables name it: the family, a hybrid with its pattern.
    public var modelLabel: String { model == .hybrid ? "hybrid \(patternText)" : model.rawValue }
    public var headDimension: Int { headDim ?? 32 }
    public var ffnSize: Int { ffn ?? 4 * hidden }
    public var evalInterval: Int { evalEvery > 0 ? evalEvery : max(1, steps / 100) }
    public var warmupSteps: Int { Int((warmupRatio * Double(steps)).rounded()) }

    /// Drops the shape settings this run's family does not read (a study's base serves every
    /// family): the pattern and, for a hybrid, the layer count (its pattern sets it) except for
    /// hybrids; head_dim except where Mamba-2 blocks are. Runs of the other families keep the
    /// configuration (and folder name) they had without these settings.
    public mutating func keepOnlyWhatTheFamilyUses() {
        if model != .hybrid { pattern = nil } else { layers = nil }
        if !(model == .mamba2 || model == .hybrid && layerPattern.contains(.mamba2)) { headDim = nil }
    }

    /// The fields in which `other` differs from this configuration ("lr: 0.001 → 0.002").
    public func differences(to other: RunConfig) -> [String] { JSONRecord.differences(self, other) }

    /// Reads a run configuration a person may have edited, with errors naming the file and key.
    public static func read(_ path: String) throws -> RunConfig {
        do {
            guard let c = try JSONRecord.read(RunConfig.self, from: path) else { throw StudyError("\(path): no such file") }
            return c
        } catch let e as SystemIOError { throw StudyError("\(e.description) (not a ScanLab run configuration)") }
    }

    public var taskKind: TaskKind { task ?? .positionRetrieval }

    /// The task as a specification (kind, length and the options set).
    public var taskSpec: TaskSpec {
        var t = TaskSpec(kind: taskKind, length: length)
        t.placement = variant
        t.options = taskOptions ?? TaskOptions()
        return t
    }

    /// The run's task with its tokens where this run's vocabulary puts them: appended to the
    /// checkpoint's (or published shape's) vocabulary, or compact for a tiny model from scratch.
    public func makeTask() throws -> any SyntheticTask { try task(onBase: try baseConfig()) }

    /// The task on a base configuration already read (reading a checkpoint's once).
    func task(onBase base: ModelConfig?) throws -> any SyntheticTask {
        do { return try taskSpec.make(baseVocabulary: base?.vocabSize ?? 0) } catch let e as TaskError { throw StudyError(e.description) }
    }

    /// The held-out tasks at `evalLengths`.
    public func lengthTasks() throws -> [any SyntheticTask] {
        let task = try makeTask()
        return try (evalLengths ?? []).map { l in
            do { return try task.atLength(l) } catch let e as TaskError { throw StudyError("--eval-lengths: \(e.description)") }
        }
    }

    /// Refuses bad values before anything runs, naming the field.
    public func validate() throws {
        let task = try makeTask()
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw StudyError(message) } }
        if let evalLengths {
            try check(!evalLengths.isEmpty && Set(evalLengths).count == evalLengths.count && !evalLengths.contains(length),
                      "--eval-lengths must list distinct lengths other than --length \(length), got \(evalLengths.map(String.init).joined(separator: ","))")
            _ = try lengthTasks()
        }
        try check(lr > 0 && lr.isFinite, "--lr must be positive, got \(lr)")
        try check(batch >= 1, "--batch must be at least 1, got \(batch)")
        try check(steps >= 1, "--steps must be at least 1, got \(steps)")
        try check(warmupRatio >= 0 && warmupRatio < 1, "--warmup-ratio must be in [0, 1), got \(warmupRatio)")
        try check(evalEvery >= 0, "--eval-every must be 0 (every 1%) or positive, got \(evalEvery)")
        try check(threshold > 0 && threshold <= 1, "--threshold must be in (0, 1], got \(threshold)")
        if taskKind == .positionRetrieval {
            try check(trainSize >= length, "--train-size must be at least the length (\(length)) so every position is a target, got \(trainSize)")
            try check(evalSize >= length, "--eval-size must be at least the length (\(length)), got \(evalSize)")
        } else {
            try check(trainSize >= 1 && evalSize >= 1, "--train-size and --eval-size must be at least 1, got \(trainSize) and \(evalSize)")
        }
        _ = task
        try check(weightDecay >= 0, "weight decay must be non-negative, got \(weightDecay)")
        try check(clipNorm > 0, "gradient clipping norm must be positive, got \(clipNorm)")
        try check(hidden >= 1 && layerCount >= 1 && stateSize >= 1 && ffnSize >= 1, "model sizes must be positive")
        if (model == .pythia || model == .hybrid && layerPattern.contains(.attention)) && initFrom == nil && size == nil {
            try check(hidden % heads == 0, "--hidden \(hidden) must be divisible by --heads \(heads)")
        }
        if model == .mamba2 || model == .hybrid && layerPattern.contains(.mamba2) {
            try check(headDimension >= 1 && (2 * hidden) % headDimension == 0,
                      "--head-dim \(headDimension) must divide d_inner = 2 × --hidden = \(2 * hidden)")
        }
        try check(pattern == nil || model == .hybrid, "--pattern is for --model hybrid, not \(model.rawValue)")
        try check(layers == nil || model != .hybrid, "--layers does not apply to a hybrid: its --pattern sets the layers")
        if let microBatch {
            try check(microBatch >= 1 && microBatch <= batch, "--micro-batch must be in 1…\(batch) (the batch size), got \(microBatch)")
        }
        let published = size
        if let published {
            try check(ModelFamily(published.config) == model, "--size \(published.rawValue) is not a \(model.rawValue) shape")
        }
        if let initFrom, let config = try baseConfig() {
            // The checkpoint must exist, read, hold this run's model family and match --size.
            try check(ModelFamily(config) == model, "--init-from: \(initFrom) holds a \(config.modelType) model, but the run trains \(model.rawValue)")
            if let published, let difference = published.config.shapeDifference(from: config) {
                throw StudyError("--size \(published.rawValue) and --init-from \(initFrom) disagree: \(difference) (with --init-from the shape comes from the checkpoint; drop --size)")
            }
        }
        _ = try modelConfig().validated()
    }

    /// The configuration whose vocabulary the task extends: the checkpoint's or the published
    /// shape's; nil for the tiny from-scratch models.
    func baseConfig() throws -> ModelConfig? {
        if let initFrom {
            do { return try Checkpoint.readConfig(initFrom) } catch { throw StudyError("--init-from: \(error)") }
        }
        return size?.config
    }

    /// The transformers configuration of this run's model, with the task's vocabulary.
    public func modelConfig() throws -> ModelConfig {
        let base = try baseConfig()
        let vocabulary = try task(onBase: base).vocabularySize
        if let base { return base.withVocabulary(vocabulary) }
        switch model {
        case .pythia:
            return .gptNeoX(GPTNeoXConfig(vocabSize: vocabulary, hiddenSize: hidden, layers: layerCount, heads: heads,
                                          intermediateSize: ffnSize, partialRotaryFactor: 0.25))
        case .mamba:
            return .mamba(MambaConfig(vocabSize: vocabulary, hiddenSize: hidden, layers: layerCount, stateSize: stateSize))
        case .mamba2:
            return .mamba2(tinyMamba2(vocabulary: vocabulary))
        case .hybrid:
            do {
                return .hybrid(try HybridConfig(
                    vocabSize: vocabulary, hiddenSize: hidden, pattern: patternText,
                    mamba: MambaConfig(vocabSize: vocabulary, hiddenSize: hidden, layers: layerCount, stateSize: stateSize),
                    mamba2: tinyMamba2(vocabulary: vocabulary),
                    attention: GPTNeoXConfig(vocabSize: vocabulary, hiddenSize: hidden, layers: layerCount, heads: heads,
                                             intermediateSize: ffnSize, partialRotaryFactor: 0.25)))
            } catch { throw StudyError("--pattern: \(error)") }
        }
    }

    /// Mamba-2 at the tiny shapes: d_state as Mamba's, heads of `headDimension` channels, one group.
    func tinyMamba2(vocabulary: Int) -> Mamba2Config {
        Mamba2Config(vocabSize: vocabulary, hiddenSize: hidden, layers: layerCount, stateSize: stateSize, headDim: headDimension, groups: 1)
    }

    /// Canonical JSON (sorted keys): the run folder's config.json, the record in its
    /// checkpoints and metrics, and the input of its hash.
    public var json: String { JSONRecord.text(self) }

    /// The model as folder names and short labels start: the published size, a hybrid with its
    /// pattern ("hybrid-MMT"), or the family.
    var modelName: String { size?.rawValue ?? (model == .hybrid ? "hybrid-\(patternText)" : model.rawValue) }

    /// A readable, unique folder name: model, task, length, variant, lr, seeds and a hash of the rest.
    public var folderName: String {
        let lrText = String(format: "%g", lr)
        let name = modelName
        let task = switch taskKind {
        case .positionRetrieval: "L\(length)-\(variant.rawValue)"
        case .ngramRetrieval: "ngram-retrieval-L\(length)-\(variant.rawValue)"
        default: "\(taskKind.rawValue)-L\(length)"
        }
        return "\(name)-\(task)-lr\(lrText)-s\(seed)-e\(embeddingSeed)-\(ContentHash.fnv1a(json).suffix(8))"
    }

    /// The task's parameters other than its length and placement ("vocab=8192 kv-pairs=4
    /// power-a=0.01 passes=1"; empty for position retrieval), as summary.csv writes them.
    public var taskParameterText: String {
        ((try? makeTask())?.parameters ?? []).filter { $0.name != "length" && $0.name != "variant" }
            .map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// The task with those parameters ("mqar vocab=8192 kv-pairs=4 …"): runs with equal groups
    /// are drawn in one set of figures.
    public var taskGroup: String {
        let text = taskParameterText
        return text.isEmpty ? taskKind.rawValue : taskKind.rawValue + " " + text
    }

    /// A label short enough for the key of a terminal-sized plot: "pythia L8 suffix s0",
    /// "mamba mqar L64 h128 s1" (the width for the tasks whose studies sweep it).
    public var shortLabel: String {
        let name = modelName
        let task = taskKind == .positionRetrieval ? "L\(length) \(variant.rawValue)" : "\(taskKind.rawValue) L\(length)"
        let width = taskKind == .positionRetrieval ? "" : " h\(hidden)"
        return "\(name) \(task)\(width) s\(seed)"
    }

    /// The task and its options as a label ("mqar length 64, vocab 8192, …"), for tables and figures.
    public var taskLabel: String {
        switch taskKind {
        case .positionRetrieval: return "position-retrieval L=\(length) \(variant.rawValue)"
        default:
            let t = (try? makeTask())?.parameterText ?? "length \(length)"
            return "\(taskKind.rawValue) \(t)"
        }
    }
}


