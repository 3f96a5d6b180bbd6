import Kernels
import TensorCore

/// transformers' GPTNeoXLayer: LayerNorm → fused qkv attention with NeoX partial rotary →
/// dense, and LayerNorm → exact-GELU MLP, added in parallel (Pythia) or in sequence.
public final class GPTNeoXLayer: RefiningBlock {
    public let inputLayerNorm: LayerNorm
    public let postAttentionLayerNorm: LayerNorm
    public let queryKeyValue: Linear    // (3·hidden, hidden)
    public let dense: Linear            // (hidden, hidden)
    public let up: Linear               // mlp.dense_h_to_4h (ffn, hidden)
    public let down: Linear             // mlp.dense_4h_to_h (hidden, ffn)
    public let heads: Int
    public let parallelResidual: Bool
    let rotary: RotaryEmbedding

    /// transformers' _init_weights: Linear ~ N(0, initializer_range), biases 0, LayerNorms 1 and 0.
    public init(_ c: GPTNeoXConfig, rotary: RotaryEmbedding, generator g: inout RandomGenerator) {
        let (h, i, std) = (c.hiddenSize, c.intermediateSize, Float(c.initializerRange))
        func normal(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, std: std, generator: &g) }
        inputLayerNorm = LayerNorm(width: h, eps: c.layerNormEps)
        postAttentionLayerNorm = LayerNorm(width: h, eps: c.layerNormEps)
        queryKeyValue = Linear(weight: normal([3 * h, h]), bias: c.attentionBias ? .zeros([3 * h]) : nil)
        dense = Linear(weight: normal([h, h]), bias: c.attentionBias ? .zeros([h]) : nil)
        up = Linear(weight: normal([i, h]), bias: .zeros([i]))
        down = Linear(weight: normal([h, i]), bias: .zeros([h]))
        heads = c.numAttentionHeads
        parallelResidual = c.useParallelResidual
        self.rotary = rotary
    }

    public func register(in store: ParameterStore, prefix: String) {
        inputLayerNorm.register(in: store, prefix: prefix + "input_layernorm.")
        postAttentionLayerNorm.register(in: store, prefix: prefix + "post_attention_layernorm.")
        queryKeyValue.register(in: store, prefix: prefix + "attention.query_key_value.")
        dense.register(in: store, prefix: prefix + "attention.dense.")
        up.register(in: store, prefix: prefix + "mlp.dense_h_to_4h.")
        down.register(in: store, prefix: prefix + "mlp.dense_4h_to_h.")
    }

    func mlp(_ t: Tensor) -> Tensor { down(up(t).gelu()) }

    /// At `rows` q·k, dense and the MLP run for those rows only (keys and values still span
    /// the prefix). With a table, qkv (and with the parallel residual the MLP) run on the
    /// embedding table: their input there is the embedding row of each token.
    public func forward(_ input: BlockInput) -> Tensor {
        let input0 = input.tokenwise, rows = input.rows
        var x = input.x
        let qkv = input0.map { queryKeyValue(inputLayerNorm($0)) }
        let mixed: Tensor
        if let rows {
            mixed = Tensor.causalAttention(qkv: qkv, heads: heads, rotary: rotary, atRows: rows)
            x = x.tokenRows(rows)
        } else {
            mixed = Tensor.causalAttention(qkv: qkv, heads: heads, rotary: rotary)
        }
        let attention = dense(mixed)
        if parallelResidual {
            // The MLP reads the layer's input, as the attention does: token-wise.
            return input0.map(at: rows) { mlp(postAttentionLayerNorm($0)) } + attention + x
        }
        let a = attention + x
        return mlp(postAttentionLayerNorm(a)) + a
    }

    public func flops(sequence: Int, refined r: BlockRefinement) -> FLOPCount {
        let T = Double(sequence), H = Double(queryKeyValue.weight.shape[1]), I = Double(up.weight.shape[0])
        var f = FLOPCount()
        f.tokenwise(2 * H * 3 * H, reachesAnswer: false, r)                  // qkv: keys and values span the prefix
        if parallelResidual { f.tokenwise(2 * 2 * H * I, reachesAnswer: true, r) } else { f.afterMixing(2 * 2 * H * I, r) }
        // dense, and q·k plus weights·v: causal, so half the square, or all T keys for the answer's query
        if r.answerOnly { f.perSequence += 2 * H * H + 2 * 2 * T * H } else { f.perToken += 2 * H * H + 2 * 2 * (T / 2) * H }
        return f
    }
}
