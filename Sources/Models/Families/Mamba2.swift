import TensorCore

extension CausalLM {
    /// transformers' Mamba2ForCausalLM: embeddings → Mamba2Block × n → RMSNorm norm_f → lm_head
    /// (untied unless tie_word_embeddings), embeddings and lm_head ~ N(0, initializer_range).
    public static func mamba2(_ c: Mamba2Config, generator g: inout RandomGenerator) -> CausalLM {
        do { try c.validate() } catch { fatalError("Mamba2ForCausalLM: \(error)") }
        let std = Float(c.initializerRange)
        let embedding = Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        let blocks = (0..<c.numHiddenLayers).map { _ in Mamba2Block(c, generator: &g) }
        let head = c.tieWordEmbeddings ? nil : Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        return CausalLM(config: .mamba2(c), embedding: embedding, blocks: blocks,
                        finalNorm: RMSNorm(width: c.hiddenSize, eps: c.layerNormEpsilon), head: head,
                        keys: .init(embedding: "backbone.embeddings.weight", layer: { "backbone.layers.\($0)." },
                                    finalNorm: "backbone.norm_f.", tied: c.tieWordEmbeddings))
    }
}
