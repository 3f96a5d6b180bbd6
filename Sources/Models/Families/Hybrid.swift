import Kernels
import TensorCore

extension CausalLM {
    /// ScanLab's sequential hybrid (HybridConfig): embeddings → the pattern's blocks, each its
    /// family's own → RMSNorm or LayerNorm norm_f → lm_head, tied or not. The blocks draw their
    /// initial values as in their own family, in layer order.
    public static func hybrid(_ c: HybridConfig, generator g: inout RandomGenerator) -> CausalLM {
        do { try c.validate() } catch { fatalError("hybrid: \(error)") }
        let std = Float(c.initializerRange)
        let embedding = Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        let rotary = c.attention.map { a in
            do { return try RotaryEmbedding(headSize: a.headSize, partialRotaryFactor: a.partialRotaryFactor, base: a.ropeTheta) }
            catch { fatalError("hybrid: \(error)") }
        }
        let blocks: [Block] = c.pattern.map { kind in
            switch kind {
            case .mamba: return MambaBlock(c.mamba!, generator: &g)
            case .mamba2: return Mamba2Block(c.mamba2!, generator: &g)
            case .attention: return GPTNeoXLayer(c.attention!, rotary: rotary!, generator: &g)
            }
        }
        let head = c.tieWordEmbeddings ? nil : Tensor.randomNormal([c.vocabSize, c.hiddenSize], std: std, generator: &g)
        let norm: RowNorm = c.finalNorm == .rms ? RMSNorm(width: c.hiddenSize, eps: c.layerNormEpsilon)
                                                : LayerNorm(width: c.hiddenSize, eps: c.layerNormEpsilon)
        let pattern = c.pattern
        return CausalLM(config: .hybrid(c), embedding: embedding, blocks: blocks, finalNorm: norm, head: head,
                        keys: .init(embedding: "backbone.embeddings.weight", layer: { "backbone.layers.\($0).\(pattern[$0].keyName)." },
                                    finalNorm: "backbone.norm_f.", tied: c.tieWordEmbeddings))
    }
}
