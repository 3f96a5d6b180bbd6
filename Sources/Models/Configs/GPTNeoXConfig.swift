import Foundation

/// transformers' GPTNeoXConfig (Pythia).
public struct GPTNeoXConfig: Equatable, Sendable {
    public var vocabSize = 50432
    public var hiddenSize = 6144
    public var numHiddenLayers = 44
    public var numAttentionHeads = 64
    public var intermediateSize = 24576
    public var hiddenAct = "gelu"
    public var partialRotaryFactor = 0.25
    public var ropeTheta = 10000.0
    public var maxPositionEmbeddings = 2048
    public var initializerRange = 0.02
    public var layerNormEps = 1e-5
    public var useParallelResidual = true
    public var attentionBias = true
    public var tieWordEmbeddings = false

    public var headSize: Int { hiddenSize / numAttentionHeads }

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                partialRotaryFactor: Double = 0.25, ropeTheta: Double = 10000, useParallelResidual: Bool = true) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; numHiddenLayers = layers
        numAttentionHeads = heads; self.intermediateSize = intermediateSize
        self.partialRotaryFactor = partialRotaryFactor; self.ropeTheta = ropeTheta
        self.useParallelResidual = useParallelResidual
    }

    init(_ f: ConfigFields) throws {
        vocabSize = try f.positiveInt("vocab_size", default: vocabSize)
        hiddenSize = try f.positiveInt("hidden_size", default: hiddenSize)
        numHiddenLayers = try f.positiveInt("num_hidden_layers", default: numHiddenLayers)
        numAttentionHeads = try f.positiveInt("num_attention_heads", default: numAttentionHeads)
        intermediateSize = try f.positiveInt("intermediate_size", default: intermediateSize)
        hiddenAct = try f.string("hidden_act", default: hiddenAct)
        // Newer transformers nest rotary settings in rope_parameters; older ones use flat fields.
        if let rope = f.object("rope_parameters") {
            partialRotaryFactor = try rope.double("partial_rotary_factor", default: try f.double("rotary_pct", default: partialRotaryFactor))
            ropeTheta = try rope.double("rope_theta", default: try f.double("rotary_emb_base", default: ropeTheta))
            let type = try rope.string("rope_type", default: "default")
            guard type == "default" else { throw ConfigError("rope_parameters.rope_type \"\(type)\" is not supported (only \"default\")") }
        } else {
            partialRotaryFactor = try f.double("partial_rotary_factor", default: try f.double("rotary_pct", default: partialRotaryFactor))
            ropeTheta = try f.double("rope_theta", default: try f.double("rotary_emb_base", default: ropeTheta))
        }
        if let scaling = f.object("rope_scaling"), !scaling.dict.isEmpty {
            let type = (try? scaling.string("rope_type", default: nil)) ?? (try? scaling.string("type", default: nil)) ?? "?"
            if type != "default" { throw ConfigError("rope_scaling of type \"\(type)\" is not supported") }
        }
        maxPositionEmbeddings = try f.positiveInt("max_position_embeddings", default: maxPositionEmbeddings)
        initializerRange = try f.double("initializer_range", default: initializerRange)
        layerNormEps = try f.double("layer_norm_eps", default: layerNormEps)
        useParallelResidual = try f.bool("use_parallel_residual", default: useParallelResidual)
        attentionBias = try f.bool("attention_bias", default: attentionBias)
        tieWordEmbeddings = try f.bool("tie_word_embeddings", default: tieWordEmbeddings)
        try validate()
    }

    public func validate() throws {
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigError("hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard hiddenAct == "gelu" else { throw ConfigError("hidden_act \"\(hiddenAct)\" is not supported (GPT-NeoX models here use \"gelu\")") }
        guard !tieWordEmbeddings else { throw ConfigError("tie_word_embeddings = true is not supported for gpt_neox (Pythia unties them)") }
        _ = try rotaryChecked()
    }

    func rotaryChecked() throws -> (headSize: Int, factor: Double, theta: Double) {
        guard partialRotaryFactor >= 0, partialRotaryFactor <= 1 else {
            throw ConfigError("partial_rotary_factor must be in [0, 1], got \(partialRotaryFactor)")
        }
        return (headSize, partialRotaryFactor, ropeTheta)
    }

    /// config.json's fields (nested whole inside a hybrid's config).
    var fields: [String: Any] {
        [
            "model_type": "gpt_neox", "architectures": ["GPTNeoXForCausalLM"],
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "num_hidden_layers": numHiddenLayers,
            "num_attention_heads": numAttentionHeads, "intermediate_size": intermediateSize, "hidden_act": hiddenAct,
            "rotary_pct": partialRotaryFactor, "rotary_emb_base": ropeTheta,
            "rope_parameters": ["rope_type": "default", "rope_theta": ropeTheta, "partial_rotary_factor": partialRotaryFactor],
            "max_position_embeddings": maxPositionEmbeddings, "initializer_range": initializerRange,
            "layer_norm_eps": layerNormEps, "use_parallel_residual": useParallelResidual,
            "attention_bias": attentionBias, "tie_word_embeddings": tieWordEmbeddings,
        ]
    }

}
