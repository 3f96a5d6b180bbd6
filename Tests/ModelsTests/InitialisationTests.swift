import Foundation
import Models
import TensorCore
import XCTest

/// Mamba-2 starts as transformers' _init_weights leaves it (Mamba2PreTrainedModel): the
/// properties each rule fixes, on a model large enough for the statistics to be tight.
final class InitialisationTests: XCTestCase {
    func testMamba2InitialisesAsTransformers() throws {
        var c = Mamba2Config(vocabSize: 300, hiddenSize: 64, layers: 2, stateSize: 16, headDim: 16, groups: 2)
        c.timeStepMin = 0.001; c.timeStepMax = 0.1
        var g = RandomGenerator(seed: 11)
        let model = makeModel(.mamba2(c), generator: &g)
        let p = model.parameters, m = "backbone.layers.1.mixer."
        func values(_ key: String) -> [Float] { p[key].values }
        func std(_ v: [Float]) -> Double {
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            return (v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)).squareRoot()
        }
        // A_log = log(1…heads), D = 1, norms 1.
        XCTAssertEqual(values(m + "A_log"), (1...c.numHeads).map { Float(Foundation.log(Double($0))) })
        XCTAssertEqual(values(m + "D"), [Float](repeating: 1, count: c.numHeads))
        for key in [m + "norm.weight", "backbone.layers.1.norm.weight", "backbone.norm_f.weight"] {
            XCTAssertTrue(values(key).allSatisfy { $0 == 1 }, key)
        }
        // dt_bias = softplus⁻¹(dt), dt log-uniform in [min, max]: softplus(dt_bias) lies there, spread over it.
        let dt = values(m + "dt_bias").map { Foundation.log1p(Foundation.exp(Double($0))) }
        XCTAssertTrue(dt.allSatisfy { $0 >= 0.001 * 0.999 && $0 <= 0.1 * 1.001 }, "\(dt)")
        XCTAssertGreaterThan(dt.max()! / dt.min()!, 3)
        // Embedding, in_proj and the untied head ~ N(0, initializer_range).
        for key in ["backbone.embeddings.weight", m + "in_proj.weight", "lm_head.weight"] {
            XCTAssertEqual(std(values(key)), c.initializerRange, accuracy: 0.1 * c.initializerRange, key)
        }
        // conv1d and out_proj: kaiming_uniform(a = √5) = U(±1/√fan_in); conv bias 0.
        for (key, fanIn) in [(m + "conv1d.weight", c.convKernel), (m + "out_proj.weight", c.intermediateSize)] {
            let bound = 1 / Float(fanIn).squareRoot(), v = values(key)
            XCTAssertTrue(v.allSatisfy { abs($0) <= bound }, key)
            XCTAssertEqual(std(v), Double(bound) / 3.0.squareRoot(), accuracy: 0.1 * Double(bound), key)
        }
        XCTAssertTrue(values(m + "conv1d.bias").allSatisfy { $0 == 0 })
        // No weight decay on dt_bias, A_log, D, norms and biases; decay on the matrices.
        XCTAssertTrue([m + "dt_bias", m + "A_log", m + "D", m + "norm.weight", m + "conv1d.bias"].allSatisfy { p.noDecay.contains($0) })
        XCTAssertFalse(p.noDecay.contains(m + "in_proj.weight") || p.noDecay.contains(m + "out_proj.weight"))
        // Shapes as transformers' state_dict.
        XCTAssertEqual(p[m + "in_proj.weight"].shape, [c.intermediateSize + c.convDim + c.numHeads, c.hiddenSize])
        XCTAssertEqual(p[m + "conv1d.weight"].shape, [c.convDim, 1, c.convKernel])
    }
}
