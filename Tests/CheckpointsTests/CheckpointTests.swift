import Checkpoints
import Foundation
import HDF5
import Models
import TensorCore
import TestSupport
import XCTest

final class CheckpointTests: TemporaryDirectoryTestCase {
    func smallMamba(seed: UInt64 = 1) -> CausalLM {
        var g = RandomGenerator(seed: seed)
        return makeModel(.mamba(MambaConfig(vocabSize: 11, hiddenSize: 16, layers: 2, stateSize: 4)), generator: &g)
    }

    func smallNeoX(seed: UInt64 = 1) -> CausalLM {
        var g = RandomGenerator(seed: seed)
        return makeModel(.gptNeoX(GPTNeoXConfig(vocabSize: 13, hiddenSize: 16, layers: 1, heads: 2, intermediateSize: 24)), generator: &g)
    }

    func testRoundTripRestoresEveryParameterAndTiedKeys() throws {
        for model in [smallMamba(), smallNeoX()] {
            let path = dir + "/m.h5"
            try Checkpoint.save(model, to: path)
            let back = try Checkpoint.loadModel(path)
            XCTAssertEqual(back.config, model.config)
            XCTAssertEqual(back.parameters.allKeys, model.parameters.allKeys)
            for key in model.parameters.allKeys { XCTAssertEqual(back.parameters[key].values, model.parameters[key].values, key) }
            // No temporary file is left behind.
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.h5"])
        }
        // Mamba's tied head is written under both keys.
        let f = try HDF5File(dir + "/m.h5", mode: .read)
        XCTAssertTrue(try f.exists("params/gpt_neox.embed_in.weight"))
        let mambaPath = dir + "/mamba.h5"
        try Checkpoint.save(smallMamba(), to: mambaPath)
        let mf = try HDF5File(mambaPath, mode: .read)
        XCTAssertEqual(try mf.readTensor("params/lm_head.weight").values, try mf.readTensor("params/backbone.embeddings.weight").values)
        XCTAssertEqual(try mf.readTensor("params/backbone.layers.0.mixer.conv1d.weight").shape, [32, 1, 4])
    }

    func testTruncatedAndGarbageFilesGiveClearErrors() throws {
        let path = dir + "/m.h5"
        try Checkpoint.save(smallMamba(), to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.h5"))
        XCTAssertThrowsError(try Checkpoint.loadModel(dir + "/truncated.h5")) { e in
            XCTAssertTrue("\(e)".contains("truncated.h5"), "\(e)")
        }
        try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: dir + "/garbage.h5"))
        XCTAssertThrowsError(try Checkpoint.loadModel(dir + "/garbage.h5")) { e in
            XCTAssertTrue("\(e)".contains("not an HDF5 file"), "\(e)")
        }
        XCTAssertThrowsError(try Checkpoint.loadModel(dir + "/absent.h5")) { e in
            XCTAssertTrue("\(e)".contains("no such file"), "\(e)")
        }
    }

    func testMissingExtraAndMisshapenTensorsAreNamed() throws {
        let path = dir + "/m.h5"
        try Checkpoint.save(smallNeoX(), to: path)
        // A model of another size reads the same file: every misshapen key is reported.
        var g = RandomGenerator(seed: 3)
        let wider = makeModel(.gptNeoX(GPTNeoXConfig(vocabSize: 13, hiddenSize: 16, layers: 2, heads: 2, intermediateSize: 20)), generator: &g)
        let before = wider.parameters["gpt_neox.embed_in.weight"].values
        XCTAssertThrowsError(try Checkpoint.loadParameters(into: wider, from: HDF5File(path, mode: .read))) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("missing: gpt_neox.layers.1."), text)
            XCTAssertTrue(text.contains("gpt_neox.layers.0.mlp.dense_h_to_4h.weight has shape [24, 16], expected [20, 16]"), text)
        }
        XCTAssertEqual(wider.parameters["gpt_neox.embed_in.weight"].values, before, "a failed load changes nothing")
        // A Mamba file read into a GPT-NeoX model: unexpected keys are named.
        try Checkpoint.save(smallMamba(), to: dir + "/mamba.h5")
        XCTAssertThrowsError(try Checkpoint.loadParameters(into: smallNeoX(), from: HDF5File(dir + "/mamba.h5", mode: .read))) { e in
            XCTAssertTrue("\(e)".contains("unexpected: backbone.embeddings.weight"), "\(e)")
        }
    }

    func testWrongFormatAttributeIsRefused() throws {
        let f = try HDF5File(dir + "/other.h5", mode: .create)
        try f.setAttribute("format", "something.else")
        try f.close()
        XCTAssertThrowsError(try Checkpoint.loadModel(dir + "/other.h5")) { e in
            XCTAssertTrue("\(e)".contains("something.else"), "\(e)")
        }
    }

    func testTrainingStateRoundTripIncludingOptimizerMoments() throws {
        let model = smallMamba()
        let opt = AdamW(model.parameters)
        let ids = [1, 2, 3, 4, 5, 6, 7, 8]
        nextTokenLoss(model, TokenBatch(ids: ids, batch: 2, length: 4)).loss.backward()
        opt.update(lr: 1e-3)
        var state = Checkpoint.TrainingState(optimizer: opt)
        state.generators["data"] = RandomGenerator(seed: 9).state
        state.trainer = TrainerCursor(step: 1, epoch: 2, cursor: 64, lossSum: 0.1 + 0.2, lossCount: 3)
        state.metrics["loss"] = ([2.5, 2.25], [2])
        try Checkpoint.save(model, to: dir + "/t.h5", training: state)

        let other = smallMamba(seed: 2)
        let opt2 = AdamW(other.parameters)
        let back = try Checkpoint.loadTrainingState(dir + "/t.h5", model: other, optimizer: opt2)
        XCTAssertEqual(opt2.step, 1)
        for key in model.parameters.keys {
            XCTAssertEqual(opt2.m[key]!.values, opt.m[key]!.values, key)
            XCTAssertEqual(opt2.v[key]!.values, opt.v[key]!.values, key)
            XCTAssertEqual(other.parameters[key].values, model.parameters[key].values, key)
        }
        XCTAssertEqual(back.generators["data"], RandomGenerator(seed: 9).state)
        XCTAssertEqual(back.trainer, state.trainer, "every field, the loss sum bit for bit")
        XCTAssertEqual(back.metrics["loss"]?.values, [2.5, 2.25])
    }
}
