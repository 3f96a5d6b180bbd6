import Checkpoints
import Foundation
import HDF5
import Models
import TensorCore
import TestSupport
import XCTest

/// Real training checkpoints, damaged thousands of ways: each load fails clearly or restores
/// exactly what was saved.
final class FuzzedReaderTests: TemporaryDirectoryTestCase {
    func model(_ seed: UInt64) -> CausalLM {
        var g = RandomGenerator(seed: seed)
        return makeModel(.mamba(MambaConfig(vocabSize: 11, hiddenSize: 8, layers: 1, stateSize: 2)), generator: &g)
    }

    /// Everything a resumed run would use, as exact text.
    func describe(_ m: CausalLM, _ opt: AdamW, _ s: Checkpoint.TrainingState) -> String {
        var parts = [m.config.json]
        for (key, t) in m.parameters.all {
            parts.append(key + " " + Fuzzing.exact(t.values) + " " + Fuzzing.exact(opt.m[key]!.values) + " " + Fuzzing.exact(opt.v[key]!.values))
        }
        parts.append("step \(opt.step) trainer \(String(describing: s.trainer))")
        parts.append("rng \(s.generators.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
        parts.append("metrics \(s.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.values) \($0.value.shape)" })")
        return parts.joined(separator: "\n")
    }

    func testDamagedTrainingCheckpointsFailClearlyOrLoadExactly() throws {
        let saved = model(1)
        let opt = AdamW(saved.parameters, hyper: .init(weightDecay: 0.01))
        for (_, t) in saved.parameters.all { t.grad = Tensor(t.values.map { $0 * 0.5 + 0.1 }, shape: t.shape) }
        opt.update(lr: 1e-3)
        var state = Checkpoint.TrainingState(optimizer: opt)
        state.trainer = TrainerCursor(step: 7, epoch: 1, cursor: 12)
        state.generators = ["data": [1, 2, 3, 4]]
        state.metrics = ["loss": ([2.5, 1.5], [2]), "accuracy": ([0.1, 0.4], [2])]
        let path = dir + "/step.h5"
        try Checkpoint.save(saved, to: path, training: state)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let expected = describe(saved, opt, state)

        let tally = try Fuzzing.run(original, at: dir + "/damaged.h5", truncations: 300, flips: 3000, seed: UInt64(ProcessInfo.processInfo.environment["SCANLAB_FUZZ_SEED"] ?? "42") ?? 42, expected: expected) { p in
            let m = model(2)   // other values, so a partial load cannot pass for a whole one
            let o = AdamW(m.parameters, hyper: .init(weightDecay: 0.01))
            let s = try Checkpoint.loadTrainingState(p, model: m, optimizer: o)
            return describe(m, o, s)
        }
        print("training checkpoint (\(original.count) bytes): \(tally)")
        XCTAssertEqual(tally.truncations + tally.flips, 3300)
        let trailerOnly = Fuzzing.truncationsWithin(tail: 16, of: original.count, truncations: 300)
        XCTAssertEqual(tally.truncationErrors, tally.truncations - trailerOnly, "every truncation into the contents is refused")
        XCTAssertGreaterThan(tally.flipErrors, 2950, "a flip anywhere but the trailer's magic is refused")
    }

    /// Wrong dtypes, shapes and attributes written on purpose: each is refused with a message
    /// that names the file and the problem.
    func testWrongDtypesShapesAndAttributesAreNamed() throws {
        let m = model(1)
        let key = m.parameters.keys[1]
        func write(_ name: String, _ body: (HDF5File) throws -> Void) throws -> String {
            let path = dir + "/" + name + ".h5"
            try HDF5File.writeAtomically(path) { f in
                try f.setAttribute("format", Checkpoint.format)
                try f.setAttribute("version", Checkpoint.version)
                try f.setAttribute("config", m.config.json)
                try body(f)
            }
            return path
        }
        func params(_ f: HDF5File, except skip: String? = nil) throws {
            for (k, t) in m.parameters.all where k != skip { try f.write("params/" + k, t) }
            for (alias, primary) in m.parameters.aliases { try f.write("params/" + alias, m.parameters[primary]) }
        }
        let cases: [(String, (HDF5File) throws -> Void, String)] = [
            ("int-dtype", { f in try params(f, except: key); try f.write("params/" + key, int64s: [Int](repeating: 1, count: m.parameters[key].count), shape: m.parameters[key].shape) }, "\(key) is not floating point"),
            ("shape", { f in try params(f, except: key); try f.write("params/" + key, floats: [1, 2, 3], shape: [3]) }, "\(key) has shape [3]"),
            ("version", { f in try params(f); try f.setAttribute("version", 99) }, "version 99 is not supported"),
            ("config-text", { f in try params(f); try f.setAttribute("config", "{\"model_type\": \"mamba\", \"hidden_size\": \"eight\"}") }, "attribute config"),
            ("config-kind", { f in try params(f); try f.setAttribute("config", 5) }, "config is not a string"),
            ("format", { f in try params(f); try f.setAttribute("format", "something.else") }, "not \"scanlab.checkpoint\""),
        ]
        for (name, body, message) in cases {
            let path = try write(name, body)
            XCTAssertThrowsError(try Checkpoint.loadModel(path), name) { error in
                XCTAssertTrue("\(error)".contains(path), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(name): \(error)")
            }
        }
    }
}
