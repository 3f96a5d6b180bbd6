import DataLayout
import Foundation
import Models
import SystemIO
import Tasks

/// One task of a study over several tasks: its kind, the lengths and variants it runs at, and
/// its options (nil: the task's default).
public struct StudyTask: Codable, Equatable, Sendable {
    public var task: TaskKind
    public var lengths: [Int]
    public var variants: [QueryPlacement]?
    public var options: TaskOptions?
    public var evalLengths: [Int]?

    public init(_ task: TaskKind, lengths: [Int], variants: [QueryPlacement]? = nil, options: TaskOptions? = nil, evalLengths: [Int]? = nil) {
        self.task = task; self.lengths = lengths; self.variants = variants; self.options = options; self.evalLengths = evalLengths
    }

    /// Sets a run's task fields (position retrieval and no options stay nil, their canonical form).
    func apply(to c: inout RunConfig) {
        c.task = task == .positionRetrieval ? nil : task
        c.taskOptions = options?.isEmpty == false ? options : nil
        c.evalLengths = evalLengths
    }
}

/// A grid of runs: models × lengths × variants × widths × learning rates × seeds, sharing every
/// other setting of a base configuration; checkpoints and published shapes may differ per
/// family. With `tasks`, the grid runs over each task at its own lengths and variants (the
/// study's `lengths` and `variants` are then not read).
public struct StudySpec: Codable, Equatable, Sendable {
    public var name: String
    public var models: [ModelFamily]
    public var lengths: [Int]
    public var variants: [QueryPlacement]
    public var lrs: [Double]
    public var seeds: [UInt64]
    /// Every other field (model, length, variant, lr and seed are set per run).
    public var base: RunConfig
    /// The checkpoint each family starts from (family name → file), overriding base.initFrom.
    public var initFrom: [String: String]?
    /// The published shape of each family (family name → PublishedSize name), overriding base.size.
    public var sizes: [String: PublishedSize]?
    /// Whether every run must start from a checkpoint (the paper preset: it fine-tunes).
    public var requiresPretrained: Bool?
    /// Tasks with their own lengths and options (nil: base's task over `lengths` × `variants`).
    public var tasks: [StudyTask]?
    /// Hidden sizes as an axis (nil: base's hidden size).
    public var hiddens: [Int]?

    public init(name: String, models: [ModelFamily], lengths: [Int], variants: [QueryPlacement], lrs: [Double],
                seeds: [UInt64], base: RunConfig, initFrom: [String: String]? = nil, sizes: [String: PublishedSize]? = nil,
                requiresPretrained: Bool? = nil) {
        self.name = name; self.models = models; self.lengths = lengths; self.variants = variants; self.lrs = lrs
        self.seeds = seeds; self.base = base; self.initFrom = initFrom; self.sizes = sizes; self.requiresPretrained = requiresPretrained
    }

    /// This grid under `prefix` and a hash of the definition. A study name binds one grid, so
    /// a notebook, whose parameters change the grid, names its studies this way: each
    /// parameter set gets a study of its own.
    public func named(byGrid prefix: String) -> StudySpec {
        var unnamed = self
        unnamed.name = ""
        var spec = self
        spec.name = prefix + "-" + ContentHash.fnv1a(JSONRecord.text(unnamed)).suffix(8)
        return spec
    }

    public var runs: [RunConfig] {
        var out: [RunConfig] = []
        let settings: [(task: StudyTask?, lengths: [Int], variants: [QueryPlacement])] =
            tasks?.map { ($0, $0.lengths, $0.variants ?? [.suffix]) } ?? [(nil, lengths, variants)]
        for (task, lengths, variants) in settings {
            for l in lengths { for v in variants { for m in models { for h in hiddens ?? [base.hidden] { for lr in lrs { for s in seeds {
                var c = base
                task?.apply(to: &c)
                // A seed is a replicate: model initialisation, data order and the task's embedding rows
                // (the paper's three initialisations of the new tokens) all change with it.
                c.model = m; c.length = l; c.variant = v; c.hidden = h; c.lr = lr; c.seed = s; c.embeddingSeed = base.embeddingSeed &+ s
                c.keepOnlyWhatTheFamilyUses()
                if let file = initFrom?[m.rawValue] { c.initFrom = file }
                if let size = sizes?[m.rawValue] { c.size = size }
                out.append(c)
            } } } } } }
        }
        return out
    }

    public func validate() throws {
        let taskAxes = tasks.map { $0.allSatisfy { !$0.lengths.isEmpty && $0.variants?.isEmpty != true } && !$0.isEmpty }
            ?? (!lengths.isEmpty && !variants.isEmpty)
        guard !models.isEmpty, taskAxes, !lrs.isEmpty, !seeds.isEmpty, hiddens?.isEmpty != true else {
            throw StudyError("study \(name): every axis (models, lengths, variants, hiddens, lrs, seeds; each task's lengths) needs at least one value")
        }
        for (axis, table) in [("--init-from", initFrom), ("--size", sizes?.mapValues(\.rawValue))] {
            guard let table else { continue }
            if let missing = models.first(where: { table[$0.rawValue] == nil }) {
                let given = table.keys.sorted().map { "\($0)=…" }.joined(separator: ",")
                throw StudyError("study \(name): \(axis) names no \(missing.rawValue) (given: \(given)); give one per family, e.g. \(axis) " +
                                 models.map { "\($0.rawValue)=\(axis == "--size" ? "NAME" : "FILE")" }.joined(separator: ","))
            }
        }
        if requiresPretrained == true, let family = models.first(where: { m in runs.contains { $0.model == m && $0.initFrom == nil } }) {
            throw StudyError(Self.pretrainedRequired(study: name, family: family))
        }
        for r in runs { try r.validate() }
    }

    static func pretrainedRequired(study: String, family: ModelFamily) -> String {
        """
        study \(study) fine-tunes pretrained models, as the paper does, and has no checkpoint for \(family.rawValue). \
        Convert the published weights once (README, "Pretrained weights"):
          huggingface-cli download EleutherAI/pythia-1.4b --local-dir pythia-1.4b
          huggingface-cli download state-spaces/mamba-1.4b-hf --local-dir mamba-1.4b
          python3 Scripts/convert_checkpoint.py to-scanlab pythia-1.4b Data/pythia-1.4b.h5
          python3 Scripts/convert_checkpoint.py to-scanlab mamba-1.4b Data/mamba-1.4b.h5
        then: scanlab study --preset \(study) --init-from pythia=Data/pythia-1.4b.h5,mamba=Data/mamba-1.4b.h5
        (smaller models work the same way: pythia-160m, mamba-130m). To run the paper's protocol on \
        ScanLab's tiny models trained from scratch instead: scanlab study --preset \(study) --from-scratch \
        (learning rates \(paperFromScratchLRs.map { String(format: "%g", $0) }.joined(separator: ", ")), which suit training from scratch).
        """
    }

    /// The paper's protocol (Pantazopoulos et al., EMNLP 2024, synthetic retrieval): L ∈ {50, 100, 200},
    /// suffix and prefix, 1M training and 100k held-out examples, batch 64 for 78,125 steps
    /// (5M examples), evaluation every 1%, threshold 0.95 with early stop, three learning rates
    /// and three embedding seeds (the paper's three initialisations of the new tokens). It
    /// fine-tunes pretrained models, so it refuses to start without `--init-from` for each
    /// family; the learning rates are ScanLab's choice for that regime (override with --lrs).
    /// Days per run on one machine; see the README for running it on Slurm.
    public static var paper: StudySpec {
        var base = RunConfig(model: .pythia, length: 50)
        base.batch = 64
        base.steps = 78_125
        base.evalEvery = 0
        base.threshold = 0.95
        base.trainSize = 1_000_000
        base.evalSize = 100_000
        base.warmupRatio = 0.1
        return StudySpec(name: "paper", models: [.pythia, .mamba], lengths: [50, 100, 200], variants: [.suffix, .prefix],
                         lrs: [1e-5, 5e-5, 1e-4], seeds: [0, 1, 2], base: base, requiresPretrained: true)
    }

    static let paperFromScratchLRs = [1e-3, 5e-4, 2e-4]

    /// The paper's protocol on the tiny models trained from scratch (`--from-scratch`), with
    /// learning rates that suit training from scratch (those that teach the quick preset's
    /// models, and two lower for the longer sequences).
    public static var paperFromScratch: StudySpec {
        var spec = paper
        spec.name = "paper-from-scratch"
        spec.lrs = paperFromScratchLRs
        spec.requiresPretrained = nil
        return spec
    }

    /// A small version that finishes within 15 minutes on 2 cores and still shows real learning,
    /// over three seeds (as the paper: one finding, three replicates). Short lengths, because tiny
    /// models trained from scratch need far more samples than the paper's pretrained ones; its
    /// calibration and timings are in the README ("Two commands", "Status").
    public static var quick: StudySpec {
        let base = fromScratchBase(steps: 2_500, evalEvery: 100)
        return StudySpec(name: "quick", models: [.pythia, .mamba], lengths: [8, 12], variants: [.suffix, .prefix],
                         lrs: [1e-3], seeds: [0, 1, 2], base: base)
    }
}

extension StudySpec {
    /// Longer sequences than the quick preset (L = 16, 24, 32), both models and placements,
    /// three seeds, within 2 hours on 2 cores. Both families share one learning rate and two
    /// layers, so the comparison is at equal settings; runs that do not reach the threshold are
    /// findings of the study (the summary counts them). Calibration: README, "The standard study".
    public static var standard: StudySpec {
        var base = fromScratchBase(steps: 8_000, evalEvery: 200)
        base.layers = 2
        return StudySpec(name: "standard", models: [.pythia, .mamba], lengths: [16, 24, 32], variants: [.suffix, .prefix],
                         lrs: [1e-3], seeds: [0, 1, 2], base: base)
    }
}

extension StudySpec {
    /// What the from-scratch presets share: batch 64, 100k training and 1,200 held-out
    /// examples (cheap evaluations), 5% warmup, early stop at 95%.
    public static func fromScratchBase(steps: Int, evalEvery: Int) -> RunConfig {
        var base = RunConfig(model: .pythia, length: 8)
        base.batch = 64
        base.steps = steps
        base.evalEvery = evalEvery
        base.threshold = 0.95
        base.trainSize = 100_000
        base.evalSize = 1_200
        base.warmupRatio = 0.05
        return base
    }
}

/// Refuses a data folder that is a file, naming it, before anything reads or trains. (A
/// folder that cannot be written is named by the first lock or write that needs it.)
func checkDataDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        throw StudyError("data folder \(path) is a file, not a folder (--data or $SCANLAB_DATA)")
    }
}

/// Median over seeds of the step at which the threshold was reached; runs that never reached
/// it count as +∞, so the result is infinite when most of them did not.
public func medianSteps(_ reached: [Int?]) -> Double {
    let steps = reached.map { $0.map(Double.init) ?? .infinity }.sorted()
    guard !steps.isEmpty else { return .infinity }
    return steps.count % 2 == 1 ? steps[steps.count / 2] : (steps[steps.count / 2 - 1] + steps[steps.count / 2]) / 2
}

/// One line of a study's summary: the data of the paper's Figure 6 plus final accuracies.
public struct SummaryRow: Equatable {
    public init(model: ModelFamily, task: TaskKind = .positionRetrieval, taskParameters: String = "", length: Int,
                variant: QueryPlacement, hidden: Int = 128, lr: Double, seed: UInt64, reachedStep: Int?,
                finalAccuracy: Double?, finalExactMatch: Double? = nil, machine: String? = nil, divergedStep: Int? = nil) {
        self.model = model; self.task = task; self.taskParameters = taskParameters; self.length = length; self.variant = variant
        self.hidden = hidden; self.lr = lr; self.seed = seed
        self.reachedStep = reachedStep; self.finalAccuracy = finalAccuracy; self.finalExactMatch = finalExactMatch
        self.machine = machine; self.divergedStep = divergedStep
    }

    public let model: ModelFamily, task: TaskKind, length: Int, variant: QueryPlacement, hidden: Int, lr: Double, seed: UInt64
    /// The task's options other than length and variant ("vocab=8192 kv-pairs=4 …"), as summary.csv writes them.
    public let taskParameters: String
    /// The fraction of held-out examples with every answer right at the last evaluation.
    public let finalExactMatch: Double?
    public let reachedStep: Int?
    public let finalAccuracy: Double?
    /// The machine type that trained the run (MachineInfo.machineType), when recorded.
    public let machine: String?
    /// The step at which the run met a non-finite loss or gradient, if it diverged.
    public let divergedStep: Int?
}

/// Runs a study (reusing finished runs, resuming interrupted ones) and writes its summary.
///
/// A study's name binds its grid: the folder's study.json records the definition the first
/// time the study runs, and from then on a study of that name with another definition is an
/// error naming the fields (seeds can be added on purpose: `addedSeeds`). A process that
/// changes the folder (study.json, summary.csv) holds its lock (FolderLock).
public final class Study {
    public let spec: StudySpec
    public let data: DataFolder
    public let folder: StudyFolder
    let reporter: ProgressReporter
    /// Seeds this definition adds on purpose to the recorded one (`--add-seeds`).
    public let addedSeeds: [UInt64]
    /// Every run's events, from runs trained here or in child processes (LocalJobs); called
    /// on one thread at a time.
    public var onEvent: ((RunEvent) -> Void)?

    public init(_ spec: StudySpec, dataDirectory: String, addedSeeds: [UInt64] = [], reporter: ProgressReporter = ProgressReporter()) throws {
        try spec.validate()
        self.spec = spec
        data = DataFolder(dataDirectory)
        folder = data.study(spec.name)
        self.addedSeeds = addedSeeds
        self.reporter = reporter
        try checkDataDirectory(data.path)
        try checkAgainstRecord()
    }

    /// The definition recorded in a study folder's study.json; nil when there is none yet.
    public static func recordedSpec(name: String, dataDirectory: String) throws -> StudySpec? {
        try checkDataDirectory(dataDirectory)
        do { return try JSONRecord.read(StudySpec.self, from: DataFolder(dataDirectory).study(name).spec) } catch let e as SystemIOError {
            throw StudyError("\(e.description) (the study's recorded definition; restore it, or choose another --name)")
        }
    }

    /// Refuses a definition that differs from the recorded one (beyond the seeds it adds).
    func checkAgainstRecord() throws {
        guard let recorded = try Self.recordedSpec(name: spec.name, dataDirectory: data.path) else {
            if !addedSeeds.isEmpty {
                throw StudyError("study \(spec.name) has no recorded definition to add seeds to (\(folder.spec)); give its seeds with --seeds")
            }
            return
        }
        var allowed = recorded
        allowed.seeds += addedSeeds.filter { !recorded.seeds.contains($0) }
        let differences = JSONRecord.differences(allowed, spec)
        guard differences.isEmpty else {
            throw StudyError("study \(spec.name) is recorded in \(folder.spec) with another definition (recorded → given: " +
                             differences.joined(separator: "; ") + "). Run it with no grid options to use the recorded " +
                             "definition, add seeds with --add-seeds, or choose another --name")
        }
    }

    /// Runs every configuration in order; each run lives in <data>/runs/ and is reused. With
    /// `jobs` of more than one, runs go side by side in child processes (LocalJobs) and the
    /// summary is collected from their folders once all are done: the same per-run numbers.
    @discardableResult
    public func run(jobs: LocalJobs? = nil) throws -> [RunRecord] {
        let lock = try lockFolder()
        defer { lock.release() }
        try writeSpec(locked: true)
        if let jobs, jobs.jobs > 1 {
            try jobs.run(self, reporter: reporter, onEvent: onEvent)
            return try collect(locked: true)
        }
        let runs = spec.runs
        var records: [RunRecord] = []
        for (i, c) in runs.enumerated() {
            reporter.log("[\(i + 1)/\(runs.count)] \(c.folderName)")
            let run = try TaskRun(studyRun: c, dataDirectory: data.path, reporter: reporter)
            run.onEvent = onEvent
            let r = try run.run()
            records.append(RunRecord(config: c, metrics: r.metrics, machine: run.machineTypes?.last))
            try AtomicFile.write(folder.summary, text: Self.summaryCSV(records.map(\.summaryRow)))
        }
        return records
    }

    /// Prepares every run's folder and returns the runs that are not finished (what a backend
    /// still has to train).
    public func unfinishedRuns() throws -> [TaskRun] {
        try spec.runs.compactMap { c in
            let run = try TaskRun(studyRun: c, dataDirectory: data.path, reporter: reporter)
            try run.prepareFolder()
            return run.progress.isDone ? nil : run
        }
    }

    /// The summary from finished runs on disk, without training (after a cluster ran them).
    /// Throws naming the runs that are not finished. `locked`: this process holds the folder.
    public func collect(locked: Bool = false) throws -> [RunRecord] {
        var records: [RunRecord] = [], pending: [String] = []
        for c in spec.runs {
            let run = try TaskRun(studyRun: c, dataDirectory: data.path, reporter: reporter)
            guard let m = try? RunMetrics.read(run.folder.metrics), m.finished else {
                pending.append("\(c.folderName) (\(run.progress))"); continue
            }
            records.append(RunRecord(config: c, metrics: m, machine: run.machineTypes?.last))
        }
        guard pending.isEmpty else {
            throw StudyError("study \(spec.name): \(pending.count) of \(spec.runs.count) runs are not finished: " + pending.joined(separator: ", "))
        }
        let lock = locked ? nil : try lockFolder(wait: true)
        defer { lock?.release() }
        try AtomicFile.write(folder.summary, text: Self.summaryCSV(records.map(\.summaryRow)))
        return records
    }

    /// Takes the study folder's lock (created if missing). Without `wait`, another process
    /// changing the study is an error naming it.
    func lockFolder(wait: Bool = false) throws -> FolderLock {
        do {
            return try FolderLock(folder.path, wait: wait) { holder in
                self.reporter.log("study \(self.spec.name): waiting for \(holder?.description ?? "another process"), which changes it")
            }
        } catch let e as SystemIOError {
            throw StudyError("study \(spec.name): \(e.description)")
        }
    }

    /// Records the definition in study.json, after checking (under the folder's lock) that it
    /// still agrees with what is recorded there: another process may have recorded one since.
    public func writeSpec(locked: Bool = false) throws {
        let lock = locked ? nil : try lockFolder(wait: true)
        defer { lock?.release() }
        try checkAgainstRecord()
        try JSONRecord.write(spec, to: folder.spec)
    }

    /// summary.csv: model,length,variant,lr,seed,reached_step,final_accuracy,machine,diverged_step,
    /// task,task_parameters,hidden,final_exact_match (reached_step empty when never reached;
    /// machine quoted, empty when not recorded; diverged_step empty unless the run met a
    /// non-finite loss or gradient; task_parameters the task's options besides length and
    /// variant, "vocab=8192 kv-pairs=4 power-a=0.01 passes=1"). The first nine columns keep
    /// the order they had before the task suite, so older readers still find theirs.
    public static func summaryCSV(_ rows: [SummaryRow]) -> String {
        var lines = ["model,length,variant,lr,seed,reached_step,final_accuracy,machine,diverged_step,task,task_parameters,hidden,final_exact_match"]
        for r in rows {
            let machine = r.machine.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? ""
            let reached: String = r.reachedStep.map(String.init) ?? ""
            let accuracy: String = r.finalAccuracy.map { String(format: "%.4f", $0) } ?? ""
            let diverged: String = r.divergedStep.map(String.init) ?? ""
            let exact: String = r.finalExactMatch.map { String(format: "%.4f", $0) } ?? ""
            let cells: [String] = [r.model.rawValue, "\(r.length)", r.variant.rawValue, String(format: "%g", r.lr), "\(r.seed)",
                                   reached, accuracy, machine, diverged, r.task.rawValue, r.taskParameters, "\(r.hidden)", exact]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Per configuration (model, length, variant, lr), over its seeds: the median step at which
    /// the threshold was reached ("not reached" when the median run never did), the range of
    /// those steps among the runs that reached it, how many did, and the final accuracies'
    /// mean and range. A note follows when the runs came from more than one machine type.
    public static func summaryTable(_ rows: [SummaryRow]) -> String {
        struct Key: Hashable { let m: ModelFamily, task: String, l: Int, v: QueryPlacement, h: Int, lr: Double }
        var groups: [Key: [SummaryRow]] = [:], order: [Key] = []
        let severalTasks = Set(rows.map { "\($0.task.rawValue) \($0.taskParameters)" }).count > 1
        let severalWidths = Set(rows.map(\.hidden)).count > 1
        for r in rows {
            let k = Key(m: r.model, task: ([r.task.rawValue] + (r.taskParameters.isEmpty ? [] : [r.taskParameters])).joined(separator: " "),
                        l: r.length, v: r.variant, h: r.hidden, lr: r.lr)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        func range<T: Comparable>(_ values: [T], _ format: (T) -> String) -> String {
            guard let lo = values.min(), let hi = values.max() else { return "-" }
            return lo == hi ? format(lo) : format(lo) + "–" + format(hi)
        }
        var lines: [[String]] = []
        for k in order {
            let g = groups[k]!
            let mid = medianSteps(g.map(\.reachedStep))
            let accs = g.compactMap(\.finalAccuracy)
            lines.append([k.m.rawValue] + (severalTasks ? [k.task] : []) + ["\(k.l)", k.v.rawValue] + (severalWidths ? ["\(k.h)"] : []) + [String(format: "%g", k.lr),
                          mid.isFinite ? String(format: "%.0f", mid) : "not reached",
                          range(g.compactMap(\.reachedStep)) { "\($0)" },
                          "\(g.filter { $0.reachedStep != nil }.count)/\(g.count)",
                          accs.isEmpty ? "-" : String(format: "%.4f", accs.reduce(0, +) / Double(accs.count)),
                          range(accs) { String(format: "%.4f", $0) }])
        }
        let header = ["model"] + (severalTasks ? ["task"] : []) + ["length", "variant"] + (severalWidths ? ["hidden"] : []) +
            ["lr", "median steps to threshold", "steps range", "reached", "final accuracy (mean)", "final accuracy range"]
        let widths = header.indices.map { c in ([header[c]] + lines.map { $0[c] }).map(\.count).max()! }
        func fmt(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var table = ([fmt(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + lines.map(fmt))
            .joined(separator: "\n")
        var machines: [String] = []
        for r in rows { if let m = r.machine, !machines.contains(m) { machines.append(m) } }
        if machines.count > 1 {
            table += "\nnote: these runs came from \(machines.count) machine types, whose rounding differs: " + machines.joined(separator: "; ")
        }
        let diverged = rows.filter { $0.divergedStep != nil }
        if !diverged.isEmpty {
            table += "\nnote: \(diverged.count) of \(rows.count) runs diverged (a non-finite loss or gradient ended them): " +
                diverged.map { "\($0.model.rawValue) L=\($0.length) \($0.variant.rawValue) lr \(String(format: "%g", $0.lr)) seed \($0.seed) at step \($0.divergedStep!)" }
                    .joined(separator: "; ")
        }
        return table
    }
}
