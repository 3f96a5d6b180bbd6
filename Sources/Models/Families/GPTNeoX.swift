import Kernels
import TensorCore

extension CausalLM {
    /// transformers' GPTNeoXForCausalLM (Pythia): embed_in → GPTNeoXLayer × n → final
    /// LayerNorm → untied lm_head, all N(0, initializer_range) as _init_weights draws them.
    public static func gptNeoX(_ c: GPTNeoXConfig, generator g: inout RandomGenerator) -> CausalLM {
        let rotary: RotaryEmbedding
        do {
            try c.validate()
            rotary = try RotaryEmbedding(headSize: c.headSize, partialRotaryFactor: c.partialRotaryFactor, base: c.ropeTheta)
        } catch { fatalError("GPTNeoXForCausalLM: \(error)") }
        let std = Float(c.initializerRange)
        let embedding = Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        let layers = (0..<c.numHiddenLayers).map { _ in GPTNeoXLayer(c, rotary: rotary, generator: &g) }
        let head = Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        return CausalLM(config: .gptNeoX(c), embedding: embedding, blocks: layers,
                        finalNorm: LayerNorm(width: c.hiddenSize, eps: c.layerNormEps), head: head,
                        keys: .init(embedding: "gpt_neox.embed_in.weight", layer: { "gpt_neox.layers.\($0)." },
                                    finalNorm: "gpt_neox.final_layer_norm.", tied: false))
    }
}
