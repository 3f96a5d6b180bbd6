import Checkpoints
import DataLayout
import Foundation
import Models
import Studies
import Tasks
import TensorCore
import TestSupport
import XCTest

/// Runs that start from a checkpoint with a pretrained-sized vocabulary (a few hundred rows,
/// random weights): the task's tokens are appended, every pretrained row stays as it was.
final class PretrainedRunTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })
    static let baseVocabulary = 301

    /// A "pretrained" checkpoint of each family at small odd shapes.
    func pretrained(_ family: ModelFamily) throws -> String {
        let config: ModelConfig
        switch family {
        case .pythia: config = .gptNeoX(GPTNeoXConfig(vocabSize: Self.baseVocabulary, hiddenSize: 18, layers: 2, heads: 3, intermediateSize: 30))
        case .mamba: config = .mamba(MambaConfig(vocabSize: Self.baseVocabulary, hiddenSize: 14, layers: 2, stateSize: 5))
        case .mamba2: config = .mamba2(Mamba2Config(vocabSize: Self.baseVocabulary, hiddenSize: 16, layers: 2, stateSize: 5, headDim: 8, groups: 2))
        case .hybrid: config = .hybrid(try HybridConfig(vocabSize: Self.baseVocabulary, hiddenSize: 16, pattern: "MTS"))
        }
        var g = RandomGenerator(seed: 77)
        let path = dir + "/pretrained-\(family).h5"
        try Checkpoint.save(makeModel(config, generator: &g), to: path)
        return path
    }

    func run(_ family: ModelFamily, initFrom: String?, embeddingSeed: UInt64 = 0) -> RunConfig {
        var c = RunConfig(model: family, length: 5)
        c.initFrom = initFrom
        c.embeddingSeed = embeddingSeed
        c.batch = 8; c.steps = 6; c.evalEvery = 3; c.trainSize = 64; c.evalSize = 20; c.earlyStop = false
        c.lr = 1e-3
        return c
    }

    func testPretrainedRowsStayAndNewRowsComeFromTheEmbeddingSeed() throws {
        for family in ModelFamily.allCases {
            let file = try pretrained(family)
            let source = try Checkpoint.loadModel(file)
            let model = try TaskRun(run(family, initFrom: file), dataDirectory: dir, reporter: quiet).buildModel()
            let same = try TaskRun(run(family, initFrom: file), dataDirectory: dir, reporter: quiet).buildModel()
            let other = try TaskRun(run(family, initFrom: file, embeddingSeed: 1), dataDirectory: dir, reporter: quiet).buildModel()
            let v = Self.baseVocabulary, added = 2 + 2 * 5
            XCTAssertEqual(model.config.vocabSize, v + added, "\(family): vocabulary extended, not resized down")
            for key in source.parameters.keys {
                let s = source.parameters[key], t = model.parameters[key]
                if model.config.vocabularyMatrixKeys.contains(key) {
                    XCTAssertEqual(t.shape, [v + added, s.shape[1]], "\(family) \(key)")
                    XCTAssertEqual(Array(t.values[..<s.count]), s.values, "\(family) \(key): pretrained rows bit for bit")
                    let new = Array(t.values[s.count...])
                    XCTAssertEqual(new, Array(same.parameters[key].values[s.count...]), "\(family) \(key): same seed, same rows")
                    XCTAssertNotEqual(new, Array(other.parameters[key].values[s.count...]), "\(family) \(key): the embedding seed draws them")
                    let std = (new.map { Double($0 * $0) }.reduce(0, +) / Double(new.count)).squareRoot()
                    XCTAssertEqual(std, model.config.initializerRange, accuracy: 0.3 * model.config.initializerRange, "\(family) \(key)")
                } else {
                    XCTAssertEqual(t.values, s.values, "\(family) \(key): pretrained parameter unchanged")
                }
            }
            if family == .mamba {
                XCTAssertTrue(model.parameters["lm_head.weight"] === model.parameters["backbone.embeddings.weight"], "tied head follows")
            }
        }
    }

    /// Every task of the suite from a checkpoint and on a published shape: its tokens appended
    /// after the base vocabulary (tokens.json says where), the data reading only those ids.
    func testEveryTaskAppendsItsTokensToAPretrainedVocabulary() throws {
        let file = try pretrained(.mamba)
        let tasks: [(TaskKind, Int, (inout RunConfig) -> Void)] = [
            (.mqar, 16, { $0.taskOptions = TaskOptions(vocab: 40, kvPairs: 2) }),
            (.ngramRetrieval, 10, { $0.taskOptions = TaskOptions(vocab: 5, ngram: 3, queryNgram: 1) }),
            (.selectiveCopying, 12, { $0.taskOptions = TaskOptions(vocab: 6, copyTokens: 3) }), (.inductionHeads, 10, { $0.taskOptions = TaskOptions(vocab: 6) }),
        ]
        for (kind, length, options) in tasks {
            var c = run(.mamba, initFrom: file)
            c.task = kind; c.length = length
            options(&c)
            let task = try c.makeTask()
            XCTAssertEqual(task.baseVocabulary, Self.baseVocabulary, kind.rawValue)
            let r = try TaskRun(c, dataDirectory: dir, reporter: quiet)
            XCTAssertTrue(try r.run().metrics.finished, kind.rawValue)
            let trained = try Checkpoint.loadModel(r.folder.checkpoint(step: 6))
            XCTAssertEqual(trained.config.vocabSize, task.vocabularySize, kind.rawValue)
            let data = try TaskDataset.load(task, trainSize: c.trainSize, evalSize: c.evalSize, seed: c.dataSeed, data: DataFolder(dir))
            XCTAssertTrue(data.train.inputs.allSatisfy { $0 >= Self.baseVocabulary && $0 < task.vocabularySize }, kind.rawValue)
            let layout = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.folder.tokens))) as! [String: Any]
            XCTAssertEqual(layout["base_vocabulary"] as? Int, Self.baseVocabulary)
            XCTAssertEqual(layout["task"] as? String, kind.rawValue)
            XCTAssertEqual((layout["tokens"] as! [String: Int]).count, task.vocabularySize - Self.baseVocabulary)
        }
        // A published shape: the task's tokens after pythia-14m's 50,304 rows.
        var c = run(.pythia, initFrom: nil)
        c.size = .pythia14m; c.task = .inductionHeads; c.length = 10
        XCTAssertEqual(try c.modelConfig().vocabSize, 50304 + 16)
    }

    func testTrainingFromACheckpointPredictsOverTheWholeExtendedVocabulary() throws {
        for family in ModelFamily.allCases {
            let file = try pretrained(family)
            let r = try TaskRun(run(family, initFrom: file), dataDirectory: dir, reporter: quiet)
            let result = try r.run()
            XCTAssertTrue(result.metrics.finished)
            XCTAssertEqual(result.metrics.steps, [3, 6])
            let layout = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.folder.tokens))) as! [String: Any]
            XCTAssertEqual((layout["tokens"] as! [String: Int])["<pos_4>"], Self.baseVocabulary + 2 + 2 * 5 - 1)
            let trained = try Checkpoint.loadModel(r.folder.checkpoint(step: 6))
            XCTAssertEqual(trained.config.vocabSize, Self.baseVocabulary + 12)
            let task = try PositionRetrievalTask(length: 5, placement: .suffix, layout: .appended(to: Self.baseVocabulary, length: 5))
            let (tokens, _) = task.tokens(order: [0, 1, 2, 3, 4], target: 1)
            let logits = withNoGrad { trained.logits(TokenBatch(ids: tokens, batch: 1, length: tokens.count), at: [tokens.count - 1]) }
            XCTAssertEqual(logits.shape, [1, Self.baseVocabulary + 12], "argmax runs over every row, pretrained and new")
        }
    }

    func testMeanResizingStartsNewRowsAtThePretrainedMean() throws {
        let file = try pretrained(.pythia)
        var c = run(.pythia, initFrom: file)
        c.newTokenInit = .mean
        let model = try TaskRun(c, dataDirectory: dir, reporter: quiet).buildModel()
        let source = try Checkpoint.loadModel(file)
        for key in model.config.vocabularyMatrixKeys {
            let s = source.parameters[key], t = model.parameters[key], h = s.shape[1]
            for j in 0..<h {
                let mean = (0..<Self.baseVocabulary).map { Double(s.data[$0 * h + j]) }.reduce(0, +) / Double(Self.baseVocabulary)
                XCTAssertEqual(Double(t.data[(Self.baseVocabulary + 3) * h + j]), mean, accuracy: 1e-3, "\(key) column \(j)")
            }
        }
    }

    func testSizeAndCheckpointMustAgree() throws {
        let file = try pretrained(.pythia)
        var c = run(.pythia, initFrom: file)
        c.size = .pythia70m
        XCTAssertThrowsError(try c.validate()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("--size pythia-70m") && text.contains(file) && text.contains("hidden_size 512 against 18"), text)
        }
        var wrongFamily = run(.mamba, initFrom: nil)
        wrongFamily.size = .pythia70m
        XCTAssertThrowsError(try wrongFamily.validate()) { XCTAssertTrue("\($0)".contains("not a mamba shape")) }
    }

    func testPublishedShapeFromScratchUsesTheAppendedLayout() throws {
        var c = run(.pythia, initFrom: nil)
        c.size = .pythia14m
        try c.validate()
        XCTAssertEqual(try XCTUnwrap(try c.makeTask() as? PositionRetrievalTask).layout, .appended(to: 50304, length: 5))
        guard case .gptNeoX(let g) = try c.modelConfig() else { return XCTFail() }
        XCTAssertEqual([g.vocabSize, g.hiddenSize, g.numHiddenLayers, g.numAttentionHeads], [50304 + 12, 128, 6, 4])
    }

    func testStudyTakesOneCheckpointPerFamily() throws {
        let files: [ModelFamily: String] = [.pythia: try pretrained(.pythia), .mamba: try pretrained(.mamba)]
        var spec = StudySpec.quick
        spec.name = "two-families"
        spec.lengths = [5]; spec.variants = [.suffix]; spec.seeds = [0]
        spec.base = run(.pythia, initFrom: nil)
        try spec.setPerFamily(initFrom: "pythia=\(files[.pythia]!),mamba=\(files[.mamba]!)", sizes: nil)
        let rows = try Study(spec, dataDirectory: dir, reporter: quiet).run().map(\.summaryRow)
        XCTAssertEqual(rows.map(\.model), [.pythia, .mamba])
        for c in spec.runs {
            XCTAssertEqual(c.initFrom, files[c.model])
            let trained = try Checkpoint.loadModel(try TaskRun(c, dataDirectory: dir, reporter: quiet).folder.checkpoint(step: 6))
            XCTAssertEqual(ModelFamily(trained.config), c.model)
        }
        var missing = spec
        missing.initFrom = nil
        try missing.setPerFamily(initFrom: "pythia=\(files[.pythia]!)", sizes: nil)
        XCTAssertThrowsError(try missing.validate()) { XCTAssertTrue("\($0)".contains("--init-from names no mamba"), "\($0)") }
        XCTAssertThrowsError(try PerFamily.checkpoints("gpt=x.h5")) { XCTAssertTrue("\($0)".contains("'gpt=x.h5' is not FAMILY=FILE")) }
        // Relative paths become absolute: Slurm tasks and notebook workers may start elsewhere.
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(try PerFamily.checkpoints("pythia=Data/p.h5")[.pythia], cwd + "/Data/p.h5")
        XCTAssertEqual(try PerFamily.checkpoints("Data/p.h5")[.mamba], cwd + "/Data/p.h5")
    }

    func testPaperPresetRefusesToStartWithoutCheckpoints() throws {
        XCTAssertThrowsError(try Study(StudySpec.paper, dataDirectory: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no checkpoint for pythia"), text)
            XCTAssertTrue(text.contains("Scripts/convert_checkpoint.py to-scanlab"), text)
            XCTAssertTrue(text.contains("--from-scratch"), text)
        }
        let scratch = StudyPreset.paper.spec(fromScratch: true)
        XCTAssertEqual(scratch.lrs, [1e-3, 5e-4, 2e-4])
        XCTAssertEqual(scratch.runs.count, StudySpec.paper.runs.count)
        XCTAssertNoThrow(try scratch.validate())
    }

    /// Gradient accumulation over micro-batches: the same update as the whole batch, to rounding.
    func testMicroBatchesGiveTheFullBatchUpdate() throws {
        for family in ModelFamily.allCases {
            let file = try pretrained(family)
            let c = run(family, initFrom: file)
            let batch = try c.makeTask().generate(count: 12, seed: 9, excluding: []).batch(Array(0..<12))
            var gradients: [[[Float]]] = [], losses: [Float] = []
            for piece in [nil, 5, 1] as [Int?] {
                let model = try TaskRun(c, dataDirectory: dir, reporter: quiet).buildModel()
                let optimizer = AdamW(model.parameters, hyper: .init(weightDecay: 0.01))
                losses.append(trainingStep(model, optimizer, batch: batch, lr: 1e-2, clipNorm: nil, microBatch: piece).loss)
                gradients.append(model.parameters.all.map { $0.tensor.grad!.values })
            }
            let keys = try TaskRun(c, dataDirectory: dir, reporter: quiet).buildModel().parameters.keys
            for k in 1..<gradients.count {
                XCTAssertEqual(losses[k], losses[0], accuracy: 1e-5 * abs(losses[0]), "\(family): loss")
                for (i, key) in keys.enumerated() {
                    let scale = gradients[0][i].map(abs).max()!
                    let worst = zip(gradients[0][i], gradients[k][i]).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-4 * scale + 1e-9, "\(family) \(key): micro-batched gradient equals the full batch's")
                }
            }
            XCTAssertNotEqual(gradients[0], gradients[2], "the comparison sees a change (rounding differs between the two paths)")
        }
    }
}
