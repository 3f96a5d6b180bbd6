import Foundation
import Models
import TensorCore
import XCTest

final class OptimizerTests: XCTestCase {
    /// AdamW against the update rule written out in double precision for several steps,
    /// with one decayed and one non-decayed parameter.
    func testAdamWMatchesTheReferenceRule() {
        let store = ParameterStore()
        store.add("w", Tensor([0.5, -1.25, 2, 0.1, -0.3, 0.7, 1.1, -2, 0.05, 0.9, -0.6, 0.2, 0.3, -0.1, 0.4, 0.8, 1.5], shape: [17]))
        store.add("b", Tensor([0.1, -0.2], shape: [2]), decay: false)
        let hyper = AdamW.Hyperparameters(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        let opt = AdamW(store, hyper: hyper)
        var p: [String: [Double]] = ["w": store["w"].values.map(Double.init), "b": store["b"].values.map(Double.init)]
        var m = p.mapValues { $0.map { _ in 0.0 } }, v = m
        for step in 1...5 {
            let lr = 0.01 * Double(step)
            for key in ["w", "b"] {
                let t = store[key]
                let g = (0..<t.count).map { Float(Foundation.sin(Double(step * 7 + $0))) }
                t.grad = Tensor(g, shape: t.shape)
                let decay = key == "w" ? 1 - lr * 0.1 : 1
                for i in 0..<t.count {
                    let gi = Double(g[i])
                    m[key]![i] = 0.9 * m[key]![i] + 0.1 * gi
                    v[key]![i] = 0.95 * v[key]![i] + 0.05 * gi * gi
                    let mh = m[key]![i] / (1 - Foundation.pow(0.9, Double(step)))
                    let denom = v[key]![i].squareRoot() / (1 - Foundation.pow(0.95, Double(step))).squareRoot() + 1e-8
                    p[key]![i] = p[key]![i] * decay - lr * mh / denom
                }
            }
            opt.update(lr: lr)
        }
        for key in ["w", "b"] {
            for (a, b) in zip(store[key].values, p[key]!) { XCTAssertEqual(Double(a), b, accuracy: 1e-5, key) }
        }
        XCTAssertEqual(opt.step, 5)
    }

    func testWarmupCosineSchedule() {
        let s = WarmupCosineSchedule(base: 1e-3, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(s.learningRate(step: 0), 0)
        XCTAssertEqual(s.learningRate(step: 5), 5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(step: 10), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(step: 60), 5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(step: 110), 0, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(step: 500), 0, accuracy: 1e-12)
    }

    func testClipping() {
        let store = ParameterStore()
        store.add("a", Tensor([3, 0], shape: [2]))
        store.add("b", Tensor([0, 0], shape: [2]))
        store["a"].grad = Tensor([3, 0], shape: [2])
        store["b"].grad = Tensor([0, 4], shape: [2])
        XCTAssertEqual(clipGradientNorm(store, maxNorm: 1), 5, accuracy: 1e-9)
        XCTAssertEqual(Double(store["a"].grad!.values[0]), 0.6, accuracy: 1e-6)
        XCTAssertEqual(Double(store["b"].grad!.values[1]), 0.8, accuracy: 1e-6)
        XCTAssertEqual(clipGradientNorm(store, maxNorm: 10), 1, accuracy: 1e-5)   // below the limit: unchanged
        XCTAssertEqual(Double(store["b"].grad!.values[1]), 0.8, accuracy: 1e-6)
    }

    /// The global norm over gradients whose lengths cover the four-sum loop and its tail, against
    /// one serial sum in double precision, and the clipped gradients scaled by maxNorm / norm.
    func testClippingNormOverLongGradients() {
        let store = ParameterStore()
        var g = RandomGenerator(seed: 9)
        for (key, n) in [("a", 1031), ("b", 6), ("c", 1)] {
            store.add(key, Tensor.zeros([n]))
            store[key].grad = Tensor.randomNormal([n], generator: &g)
        }
        let before = ["a", "b", "c"].map { store[$0].grad!.values }
        var squares = 0.0
        for v in before { for x in v { squares += Double(x) * Double(x) } }
        let norm = squares.squareRoot()
        XCTAssertEqual(clipGradientNorm(store, maxNorm: 2), norm, accuracy: norm * 1e-12)
        let coef = Float(2 / (norm + 1e-6))
        for (key, v) in zip(["a", "b", "c"], before) {
            XCTAssertEqual(store[key].grad!.values, v.map { $0 * coef }, key)
        }
    }
}

final class ConfigTests: XCTestCase {
    func testNewerRopeParametersAndOlderRotaryFieldsBothParse() throws {
        let newer = try ModelConfig(json: #"{"model_type": "gpt_neox", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 10, "rope_parameters": {"rope_type": "default", "rope_theta": 500.0, "partial_rotary_factor": 0.5}, "something_unknown": 3}"#)
        let older = try ModelConfig(json: #"{"model_type": "gpt_neox", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 10, "rotary_pct": 0.5, "rotary_emb_base": 500}"#)
        XCTAssertEqual(newer, older)
        guard case .gptNeoX(let c) = newer else { return XCTFail() }
        XCTAssertEqual(c.partialRotaryFactor, 0.5)
        XCTAssertEqual(c.ropeTheta, 500)
        XCTAssertEqual(c.layerNormEps, 1e-5)       // a missing field takes transformers' default
        XCTAssertTrue(c.useParallelResidual)
        // json round-trips.
        XCTAssertEqual(try ModelConfig(json: newer.json), newer)
    }

    func testMambaTimeStepRankAutoOrNumber() throws {
        let auto = try ModelConfig(json: #"{"model_type": "mamba", "hidden_size": 40, "time_step_rank": "auto"}"#)
        guard case .mamba(let a) = auto else { return XCTFail() }
        XCTAssertEqual(a.timeStepRank, 3)
        XCTAssertEqual(a.intermediateSize, 80)
        let fixed = try ModelConfig(json: #"{"model_type": "mamba", "hidden_size": 40, "time_step_rank": 7}"#)
        guard case .mamba(let b) = fixed else { return XCTFail() }
        XCTAssertEqual(b.timeStepRank, 7)
        XCTAssertEqual(try ModelConfig(json: fixed.json), fixed)
    }

    func testBadConfigsNameTheField() {
        func message(_ text: String) -> String {
            do { _ = try ModelConfig(json: text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(#"{"model_type": "llama"}"#).contains("llama"))
        XCTAssertTrue(message(#"{"model_type": "mamba", "time_step_rank": "big"}"#).contains("time_step_rank"))
        XCTAssertTrue(message(#"{"model_type": "gpt_neox", "hidden_size": 30, "num_attention_heads": 4}"#).contains("not divisible"))
        XCTAssertTrue(message(#"{"model_type": "gpt_neox", "hidden_size": -3}"#).contains("hidden_size"))
        XCTAssertTrue(message("[1, 2]").contains("not a JSON object"))
    }
}
