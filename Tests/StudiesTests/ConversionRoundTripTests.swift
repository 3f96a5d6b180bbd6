import Checkpoints
import DataLayout
import Foundation
import Models
import Studies
import Tasks
import TensorCore
import TestSupport
import XCTest

/// The paper's setup end to end with transformers: a transformers folder (the committed
/// stand-ins for pretrained checkpoints, Scripts/make_pretrained_fixtures.py) converts to
/// ScanLab, fine-tunes with the task's tokens appended, converts back, and transformers
/// loads the extended model and tokenizer with ScanLab's logits and token ids.
final class ConversionRoundTripTests: TemporaryDirectoryTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("transformers_logits.py").path
    let converter = PythonHelper.root + "/Scripts/convert_checkpoint.py"
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    /// transformers' logits at the last position of each sequence, and its encoding of `names`.
    func transformers(_ folder: String, ids: [[Int]], names: [String] = []) throws -> (logits: [[Float]], encoded: [Int]) {
        let request = dir + "/request-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: ["ids": ids, "names": names]).write(to: URL(fileURLWithPath: request))
        let output = try PythonHelper.script([Self.helper, folder, request])
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        let logits = (object["logits"] as! [[Double]]).map { $0.map(Float.init) }
        return (logits, object["encoded"] as? [Int] ?? [])
    }

    func scanlabLogits(_ model: CausalLM, ids: [[Int]]) -> [[Float]] {
        let length = ids[0].count
        let logits = withNoGrad {
            model.logitsFromFullForward(TokenBatch(ids: ids.flatMap { $0 }, batch: ids.count, length: length),
                                        at: [Int](repeating: length - 1, count: ids.count))
        }
        let v = logits.shape[1]
        return (0..<ids.count).map { Array(logits.values[($0 * v)..<(($0 + 1) * v)]) }
    }

    func assertClose(_ a: [[Float]], _ b: [[Float]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.count), b.map(\.count), "\(what): vocabulary", file: file, line: line)
        let scale = b.flatMap { $0 }.map(abs).max() ?? 1
        let worst = zip(a.flatMap { $0 }, b.flatMap { $0 }).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-4 * max(1, scale), "\(what): logits", file: file, line: line)
    }

    func testFineTunedRunConvertsBackAndLoadsInTransformers() throws {
        try PythonHelper.require(["h5py", "numpy", "safetensors", "torch", "transformers"])
        for family in ModelFamily.transformersFamilies {
            let source = Self.fixtures + "/" + family.rawValue
            let pretrained = dir + "/\(family)-pretrained.h5"
            try PythonHelper.script([converter, "to-scanlab", source, pretrained])

            var c = RunConfig(model: family, length: 5)
            c.initFrom = pretrained
            c.batch = 8; c.steps = 6; c.evalEvery = 3; c.trainSize = 64; c.evalSize = 20; c.earlyStop = false
            let run = try TaskRun(c, dataDirectory: dir, folder: dir + "/\(family)-run", reporter: quiet)
            try run.run()
            let task = try XCTUnwrap(try c.makeTask() as? PositionRetrievalTask)
            let layout = task.layout
            let ids = [task.tokens(order: [3, 1, 4, 0, 2], target: 2).tokens, task.tokens(order: [0, 1, 2, 3, 4], target: 4).tokens]

            // The converted pretrained model computes what transformers computes on the folder (text ids).
            let base = try Checkpoint.loadModel(pretrained)
            let textIDs = [[5, 17, 200, 3, 0, 289, 41, 8], [9, 9, 1, 100, 250, 7, 2, 66]]
            assertClose(scanlabLogits(base, ids: textIDs), try transformers(source, ids: textIDs).logits, "\(family) pretrained")

            // Fine-tuned, back in transformers: equal logits over the extended vocabulary, tokens at the layout's ids.
            let checkpoint = run.folder.checkpoint(step: 6)
            let hf = dir + "/\(family)-hf"
            try PythonHelper.script([converter, "to-hf", checkpoint, hf, "--tokenizer", source])
            let tuned = try Checkpoint.loadModel(checkpoint)
            XCTAssertEqual(tuned.config.vocabSize, layout.vocabularySize)
            let names = ["<bos>", "<syn_3>", "<out>", "<pos_4>"]
            let back = try transformers(hf, ids: ids, names: names)
            assertClose(scanlabLogits(tuned, ids: ids), back.logits, "\(family) fine-tuned")
            XCTAssertEqual(back.encoded, [layout.bos, layout.content(3), layout.query, layout.position(4)], "\(family): tokenizer ids")
            XCTAssertNotEqual(scanlabLogits(tuned, ids: ids), scanlabLogits(try TaskRun(c, dataDirectory: dir, reporter: quiet).buildModel(), ids: ids),
                              "\(family): fine-tuning changed the model the comparison sees")
        }
    }

    func testTokenizerOfACompactRunIsRefused() throws {
        try PythonHelper.require(["h5py", "numpy", "safetensors", "transformers"])
        var c = RunConfig(model: .pythia, length: 4)
        c.hidden = 8; c.layers = 1; c.heads = 2
        c.batch = 4; c.steps = 2; c.evalEvery = 2; c.trainSize = 16; c.evalSize = 8
        let run = try TaskRun(c, dataDirectory: dir, folder: dir + "/compact", reporter: quiet)
        try run.run()
        let r = try PythonHelper.run([converter, "to-hf", run.folder.checkpoint(step: 2), dir + "/hf",
                                      "--tokenizer", Self.fixtures + "/pythia"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.errors.contains("compact from-scratch vocabulary"), r.errors)
    }

    /// A hybrid has no transformers class: to-hf refuses it and says so, rather than writing a
    /// folder transformers cannot load.
    func testAHybridCheckpointIsRefusedByToHF() throws {
        try PythonHelper.require(["h5py", "numpy", "safetensors"])
        var g = RandomGenerator(seed: 3)
        let path = dir + "/hybrid.h5"
        try Checkpoint.save(makeModel(.hybrid(try HybridConfig(vocabSize: 11, hiddenSize: 8, pattern: "MT")), generator: &g), to: path)
        let r = try PythonHelper.run([converter, "to-hf", path, dir + "/hybrid-hf"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.errors.contains("scanlab_hybrid") && r.errors.contains("has no transformers class"), r.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/hybrid-hf"), "nothing written")
    }
}
