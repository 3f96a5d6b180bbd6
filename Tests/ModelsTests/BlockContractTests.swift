import Models
import TensorCore
import TestSupport
import XCTest

/// A new block needs its plain forward only: the trainer's shortcuts then come from the
/// default (the full forward, then the answer rows), with the same logits and gradients.
final class BlockContractTests: XCTestCase {
    /// x + W₂·gelu(W₁·x): a block that refines nothing.
    final class PlainBlock: Block {
        let up: Linear, down: Linear
        init(width: Int, generator g: inout RandomGenerator) {
            up = Linear(weight: Tensor.randomNormal([2 * width, width], std: 0.5, generator: &g), bias: .zeros([2 * width]))
            down = Linear(weight: Tensor.randomNormal([width, 2 * width], std: 0.5, generator: &g))
        }
        func register(in store: ParameterStore, prefix: String) {
            up.register(in: store, prefix: prefix + "up."); down.register(in: store, prefix: prefix + "down.")
        }
        /// Mixes the sequence too (a causal running mean), so answer rows depend on the prefix.
        func forward(_ x: Tensor) -> Tensor {
            let (b, l, w) = (x.shape[0], x.shape[1], x.shape[2])
            let steps = (0..<l).map { t in x.narrow(axis: 1, start: 0, length: t + 1).sum(axis: 1).reshape([b, 1, w]) * (1 / Float(t + 1)) }
            return x + down(up(Tensor.concatenate(steps, axis: 1)).gelu())
        }
        func flops(sequence: Int, refined: BlockRefinement) -> FLOPCount { FLOPCount(perToken: 8 * Double(up.weight.shape[1] * up.weight.shape[1])) }
    }

    func testABlockWithOnlyItsPlainForwardTrainsThroughTheDefaultShortcuts() throws {
        var g = RandomGenerator(seed: 9)
        let config = ModelConfig.mamba(MambaConfig(vocabSize: 11, hiddenSize: 6, layers: 2))
        let embedding = Tensor.randomNormal([11, 6], std: 1, generator: &g)
        let blocks = (0..<2).map { _ in PlainBlock(width: 6, generator: &g) }
        let model = CausalLM(config: config, embedding: embedding, blocks: blocks, finalNorm: RMSNorm(width: 6, eps: 1e-5),
                             head: nil, keys: .init(embedding: "embed.weight", layer: { "layers.\($0)." }, finalNorm: "norm.", tied: true))
        let tokens = TokenBatch(ids: (0..<4 * 7).map { ($0 * 3 + $0 / 5) % 11 }, batch: 4, length: 7)
        assertTrainerShortcutsMatch(model, tokens, "plain block")
    }
}
