import Foundation
import Kernels
import TensorCore

/// transformers' GPTNeoXForCausalLM (Pythia): LayerNorm, fused qkv with NeoX partial rotary,
/// exact GELU MLP, parallel (or sequential) residual, untied output head.
public final class GPTNeoXForCausalLM: CausalLM {
    public let settings: GPTNeoXConfig
    public let parameters = ParameterStore()
    public var config: ModelConfig { .gptNeoX(settings) }
    let rotary: RotaryEmbedding

    /// transformers' _init_weights: Linear and Embedding ~ N(0, initializer_range), biases 0,
    /// LayerNorm weight 1 and bias 0.
    public init(_ c: GPTNeoXConfig, generator g: inout RandomGenerator) {
        settings = c
        do {
            try c.validate()
            rotary = try RotaryEmbedding(headSize: c.headSize, partialRotaryFactor: c.partialRotaryFactor, base: c.ropeTheta)
        } catch { fatalError("GPTNeoXForCausalLM: \(error)") }
        let std = Float(c.initializerRange), h = c.hiddenSize, i = c.intermediateSize
        let p = parameters
        func normal(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, std: std, generator: &g) }
        p.add("gpt_neox.embed_in.weight", normal([c.vocabSize, h]))
        for l in 0..<c.numHiddenLayers {
            let pre = "gpt_neox.layers.\(l)."
            p.add(pre + "input_layernorm.weight", .ones([h]), decay: false)
            p.add(pre + "input_layernorm.bias", .zeros([h]), decay: false)
            p.add(pre + "post_attention_layernorm.weight", .ones([h]), decay: false)
            p.add(pre + "post_attention_layernorm.bias", .zeros([h]), decay: false)
            p.add(pre + "attention.query_key_value.weight", normal([3 * h, h]))
            if c.attentionBias { p.add(pre + "attention.query_key_value.bias", .zeros([3 * h]), decay: false) }
            p.add(pre + "attention.dense.weight", normal([h, h]))
            if c.attentionBias { p.add(pre + "attention.dense.bias", .zeros([h]), decay: false) }
            p.add(pre + "mlp.dense_h_to_4h.weight", normal([i, h]))
            p.add(pre + "mlp.dense_h_to_4h.bias", .zeros([i]), decay: false)
            p.add(pre + "mlp.dense_4h_to_h.weight", normal([h, i]))
            p.add(pre + "mlp.dense_4h_to_h.bias", .zeros([h]), decay: false)
        }
        p.add("gpt_neox.final_layer_norm.weight", .ones([h]), decay: false)
        p.add("gpt_neox.final_layer_norm.bias", .zeros([h]), decay: false)
        p.add("lm_head.weight", normal([c.vocabSize, h]))
    }

    /// (B, T, hidden), or (B, hidden) at `positions`: then the last layer computes q·k, the
    /// dense projection and the MLP for those rows only (its keys and values still span the prefix).
    /// With `tables`, the first layer's qkv (and, with the parallel residual, its MLP) run on the
    /// embedding table: their input there is the embedding row of each token.
    public func hiddenStates(_ tokens: TokenBatch, at positions: [Int]?, vocabularyTables tables: Bool) -> Tensor {
        let c = settings, p = parameters, eps = Float(c.layerNormEps)
        let rows = positions.map { tokens.rows(at: $0) }
        let embeddings = p["gpt_neox.embed_in.weight"]
        var x = embeddings.embedding(tokens.ids, shape: [tokens.batch, tokens.length])
        for l in 0..<c.numHiddenLayers {
            let pre = "gpt_neox.layers.\(l)."
            func norm(_ t: Tensor, _ name: String) -> Tensor {
                t.layerNorm(weight: p[pre + name + ".weight"], bias: p[pre + name + ".bias"], eps: eps)
            }
            func mlp(_ t: Tensor) -> Tensor {
                t.linear(p[pre + "mlp.dense_h_to_4h.weight"], p[pre + "mlp.dense_h_to_4h.bias"]).gelu()
                    .linear(p[pre + "mlp.dense_4h_to_h.weight"], p[pre + "mlp.dense_4h_to_h.bias"])
            }
            let input: TokenwiseInput = l == 0 && tables ? .table(embeddings, tokens) : .rows(x, tokens)
            let qkv = input.map {
                norm($0, "input_layernorm")
                    .linear(p[pre + "attention.query_key_value.weight"], p.optional(pre + "attention.query_key_value.bias"))
            }
            let last = l == c.numHiddenLayers - 1
            let mixed: Tensor, answerOnly = last ? rows : nil
            if let positions, let answerOnly {
                mixed = Tensor.causalAttention(qkv: qkv, heads: c.numAttentionHeads, rotary: rotary, at: positions)
                x = x.tokenRows(answerOnly)
            } else {
                mixed = Tensor.causalAttention(qkv: qkv, heads: c.numAttentionHeads, rotary: rotary)
            }
            let attention = mixed.linear(p[pre + "attention.dense.weight"], p.optional(pre + "attention.dense.bias"))
            if c.useParallelResidual {
                // The MLP reads the layer's input, as the attention does: token-wise.
                x = input.map(at: answerOnly) { mlp(norm($0, "post_attention_layernorm")) } + attention + x
            } else {
                let a = attention + x
                x = mlp(norm(a, "post_attention_layernorm")) + a
            }
        }
        return x
    }

    public func head(_ hidden: Tensor) -> Tensor {
        let p = parameters
        return hidden.layerNorm(weight: p["gpt_neox.final_layer_norm.weight"], bias: p["gpt_neox.final_layer_norm.bias"],
                                eps: Float(settings.layerNormEps))
            .linear(p["lm_head.weight"])
    }
}
