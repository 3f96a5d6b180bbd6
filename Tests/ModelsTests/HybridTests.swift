import Checkpoints
import Foundation
import Models
import TensorCore
import TestSupport
import XCTest

/// Hybrids are their parents' blocks in a pattern: a pattern of one family is that family's
/// model (same numbers once the parameters are mapped by key), a mixed pattern has correct
/// gradients and the trainer's shortcuts, and its configuration and checkpoint round-trip.
final class HybridTests: TemporaryDirectoryTestCase {
    let tokens = TokenBatch(ids: (0..<3 * 10).map { ($0 * 5 + $0 / 7) % 13 }, batch: 3, length: 10)

    func hybrid(_ pattern: String, hidden: Int = 16, tie: Bool = true, norm: HybridConfig.FinalNorm = .rms,
                range: Double = 0.02) throws -> HybridConfig {
        var c = try HybridConfig(
            vocabSize: 13, hiddenSize: hidden, pattern: pattern,
            mamba: MambaConfig(vocabSize: 13, hiddenSize: hidden, layers: 1, stateSize: 4),
            mamba2: Mamba2Config(vocabSize: 13, hiddenSize: hidden, layers: 1, stateSize: 5, headDim: 8, groups: 2),
            attention: GPTNeoXConfig(vocabSize: 13, hiddenSize: hidden, layers: 1, heads: 2, intermediateSize: 24))
        c.tieWordEmbeddings = tie; c.finalNorm = norm; c.initializerRange = range
        return c
    }

    /// Copies `source`'s parameters into `target` through `rename` (target key → source key) and
    /// checks logits and every gradient agree.
    func assertSameModel(_ target: CausalLM, _ source: CausalLM, rename: (String) -> String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(target.parameters.allKeys.count, source.parameters.allKeys.count, "key count", file: file, line: line)
        for key in target.parameters.keys {
            let s = source.parameters[rename(key)], t = target.parameters[key]
            XCTAssertEqual(t.shape, s.shape, key, file: file, line: line)
            t.data.update(from: s.data, count: t.count)
        }
        let targets = (0..<tokens.batch * tokens.length).map { ($0 * 3 + 1) % 13 }
        var results: [(Tensor, [String: Tensor])] = []
        for m in [target, source] {
            m.parameters.zeroGrad()
            let logits = m.logits(tokens)
            logits.reshape([tokens.batch * tokens.length, 13]).crossEntropy(targets: targets).backward()
            results.append((logits, m.parameters.gradientsByKey))
        }
        XCTAssertLessThanOrEqual(relativeError(results[0].0, results[1].0), 1e-6, "logits", file: file, line: line)
        for key in target.parameters.allKeys {
            XCTAssertLessThanOrEqual(relativeError(results[0].1[key]!, results[1].1[rename(key)]!), 1e-5, "grad \(key)", file: file, line: line)
        }
    }

    func testAPatternOfMambaBlocksIsTheMambaModel() throws {
        var g = RandomGenerator(seed: 1)
        let c = try hybrid("MMM", range: 0.1)
        var m = c.mamba!; m.numHiddenLayers = 3
        let mamba = makeModel(.mamba(m), generator: &g), h = makeModel(.hybrid(c), generator: &g)
        assertSameModel(h, mamba) { $0.replacingOccurrences(of: ".mamba.", with: ".") }
    }

    func testAPatternOfAttentionBlocksIsGPTNeoX() throws {
        var g = RandomGenerator(seed: 2)
        let c = try hybrid("TT", tie: false, norm: .layer)
        var a = c.attention!; a.numHiddenLayers = 2
        let neox = makeModel(.gptNeoX(a), generator: &g), h = makeModel(.hybrid(c), generator: &g)
        assertSameModel(h, neox) { key in
            key.replacingOccurrences(of: #"^backbone\.layers\.(\d+)\.attention\."#, with: "gpt_neox.layers.$1.", options: .regularExpression)
                .replacingOccurrences(of: "backbone.embeddings", with: "gpt_neox.embed_in")
                .replacingOccurrences(of: "backbone.norm_f", with: "gpt_neox.final_layer_norm")
        }
    }

    func testAPatternOfMamba2BlocksIsTheMamba2Model() throws {
        var g = RandomGenerator(seed: 3)
        let c = try hybrid("SS", tie: false)
        var m = c.mamba2!; m.numHiddenLayers = 2
        let mamba2 = makeModel(.mamba2(m), generator: &g), h = makeModel(.hybrid(c), generator: &g)
        assertSameModel(h, mamba2) { $0.replacingOccurrences(of: ".mamba2.", with: ".") }
    }

    func testKeysSayWhichBlockEachLayerIs() throws {
        var g = RandomGenerator(seed: 4)
        let keys = makeModel(.hybrid(try hybrid("MTS")), generator: &g).parameters.allKeys
        XCTAssertTrue(keys.contains("backbone.layers.0.mamba.mixer.A_log"))
        XCTAssertTrue(keys.contains("backbone.layers.1.attention.attention.query_key_value.weight"))
        XCTAssertTrue(keys.contains("backbone.layers.2.mamba2.mixer.dt_bias"))
        XCTAssertFalse(keys.contains { $0.hasPrefix("backbone.layers.1.mamba") })
        XCTAssertEqual(keys.filter { $0.hasPrefix("backbone.layers.") }.map { $0.split(separator: ".")[3] }.reduce(into: [String]()) {
            if $0.last != String($1) { $0.append(String($1)) }
        }, ["mamba", "attention", "mamba2"])
    }

    func testGradientsOfAMixedPatternAgainstFiniteDifferences() throws {
        var g = RandomGenerator(seed: 5)
        // Embeddings of unit scale: with transformers' 0.02 a step of 1e-2 is half a value, and
        // the norms make the difference quotient meaningless.
        let model = makeModel(.hybrid(try hybrid("MTS", hidden: 8, range: 1)), generator: &g)
        let probed = ["backbone.embeddings.weight", "backbone.layers.0.mamba.mixer.in_proj.weight",
                      "backbone.layers.1.attention.attention.query_key_value.weight", "backbone.layers.1.attention.mlp.dense_4h_to_h.bias",
                      "backbone.layers.2.mamba2.mixer.A_log", "backbone.layers.2.mamba2.mixer.in_proj.weight",
                      "backbone.layers.2.mamba2.mixer.norm.weight", "backbone.norm_f.weight"].map { model.parameters[$0] }
        let small = TokenBatch(ids: [1, 5, 2, 7, 7, 3, 0, 4, 9, 12], batch: 2, length: 5)
        assertGradientsMatch(probed, eps: 1e-2, tolerance: 2e-2, maxProbes: 12) { _ in model.logits(small) }
    }

    func testTheTrainersShortcutsMatchTheFullForward() throws {
        var g = RandomGenerator(seed: 6)
        for pattern in ["MTS", "TSM", "SMT"] {
            assertTrainerShortcutsMatch(makeModel(.hybrid(try hybrid(pattern)), generator: &g), tokens, "hybrid \(pattern)")
        }
    }

    func testConfigurationAndCheckpointRoundTrip() throws {
        var c = try hybrid("MSTM", tie: false, norm: .layer)
        c.mamba2!.timeStepLimit = [0, .infinity]
        let config = ModelConfig.hybrid(c)
        XCTAssertEqual(try ModelConfig(json: config.json), config)
        var g = RandomGenerator(seed: 7)
        let model = makeModel(config, generator: &g)
        try Checkpoint.save(model, to: dir + "/h.h5")
        let loaded = try Checkpoint.loadModel(dir + "/h.h5")
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(withNoGrad { loaded.logits(tokens) }.values, withNoGrad { model.logits(tokens) }.values)
    }

    func testBadPatternsAreRefusedNamingTheLetter() {
        XCTAssertThrowsError(try BlockKind.pattern("MXT")) { XCTAssertTrue("\($0)".contains("'X' is not a block"), "\($0)") }
        XCTAssertThrowsError(try BlockKind.pattern("")) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        let missing = #"{"model_type": "scanlab_hybrid", "layer_pattern": "MT", "vocab_size": 9, "hidden_size": 8, "mamba_config": {"model_type": "mamba"}}"#
        XCTAssertThrowsError(try ModelConfig(json: missing)) { XCTAssertTrue("\($0)".contains("attention_config"), "\($0)") }
    }
}
