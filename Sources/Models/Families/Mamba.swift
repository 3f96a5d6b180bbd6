import TensorCore

extension CausalLM {
    /// transformers' MambaForCausalLM (Mamba v1): embeddings → MambaBlock × n → RMSNorm norm_f
    /// → the embedding as output head (tied). Embeddings ~ N(0, initializer_range).
    public static func mamba(_ c: MambaConfig, generator g: inout RandomGenerator) -> CausalLM {
        do { try c.validate() } catch { fatalError("MambaForCausalLM: \(error)") }
        let embedding = Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: Float(c.initializerRange), generator: &g)
        let blocks = (0..<c.numHiddenLayers).map { _ in MambaBlock(c, generator: &g) }
        return CausalLM(config: .mamba(c), embedding: embedding, blocks: blocks,
                        finalNorm: RMSNorm(width: c.hiddenSize, eps: c.layerNormEpsilon), head: nil,
                        keys: .init(embedding: "backbone.embeddings.weight", layer: { "backbone.layers.\($0)." },
                                    finalNorm: "backbone.norm_f.", tied: true))
    }
}
