import Foundation

/// transformers' MambaConfig (Mamba v1).
public struct MambaConfig: Equatable, Sendable {
    public var vocabSize = 50280
    public var hiddenSize = 768
    public var stateSize = 16
    public var numHiddenLayers = 32
    public var layerNormEpsilon = 1e-5
    public var expand = 2
    public var convKernel = 4
    public var useBias = false
    public var useConvBias = true
    public var hiddenAct = "silu"
    public var initializerRange = 0.1
    public var timeStepRank = 48
    public var timeStepScale = 1.0
    public var timeStepMin = 0.001
    public var timeStepMax = 0.1
    public var timeStepInitScheme = "random"
    public var timeStepFloor = 1e-4
    public var rescalePrenormResidual = false
    public var tieWordEmbeddings = true
    /// Whether time_step_rank was "auto" (kept so config.json round-trips).
    public var timeStepRankAuto = true

    public var intermediateSize: Int { expand * hiddenSize }

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, stateSize: Int = 16, expand: Int = 2, convKernel: Int = 4) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; numHiddenLayers = layers
        self.stateSize = stateSize; self.expand = expand; self.convKernel = convKernel
        timeStepRank = (hiddenSize + 15) / 16
    }

    init(_ f: ConfigFields) throws {
        vocabSize = try f.positiveInt("vocab_size", default: vocabSize)
        hiddenSize = try f.positiveInt("hidden_size", default: hiddenSize)
        stateSize = try f.positiveInt("state_size", default: stateSize)
        numHiddenLayers = try f.positiveInt("num_hidden_layers", default: numHiddenLayers)
        layerNormEpsilon = try f.double("layer_norm_epsilon", default: layerNormEpsilon)
        expand = try f.positiveInt("expand", default: expand)
        convKernel = try f.positiveInt("conv_kernel", default: convKernel)
        useBias = try f.bool("use_bias", default: useBias)
        useConvBias = try f.bool("use_conv_bias", default: useConvBias)
        hiddenAct = try f.string("hidden_act", default: hiddenAct)
        initializerRange = try f.double("initializer_range", default: initializerRange)
        if f.has("time_step_rank"), let text = f.dict["time_step_rank"] as? String {
            guard text == "auto" else { throw ConfigError("time_step_rank must be \"auto\" or an integer, got \"\(text)\"") }
            timeStepRank = (hiddenSize + 15) / 16
            timeStepRankAuto = true
        } else if f.has("time_step_rank") {
            timeStepRank = try f.positiveInt("time_step_rank", default: nil)
            timeStepRankAuto = false
        } else {
            timeStepRank = (hiddenSize + 15) / 16
        }
        timeStepScale = try f.double("time_step_scale", default: timeStepScale)
        timeStepMin = try f.double("time_step_min", default: timeStepMin)
        timeStepMax = try f.double("time_step_max", default: timeStepMax)
        timeStepInitScheme = try f.string("time_step_init_scheme", default: timeStepInitScheme)
        timeStepFloor = try f.double("time_step_floor", default: timeStepFloor)
        rescalePrenormResidual = try f.bool("rescale_prenorm_residual", default: rescalePrenormResidual)
        tieWordEmbeddings = try f.bool("tie_word_embeddings", default: tieWordEmbeddings)
        try validate()
    }

    public func validate() throws {
        guard hiddenAct == "silu" else { throw ConfigError("hidden_act \"\(hiddenAct)\" is not supported (Mamba uses \"silu\")") }
        guard ["random", "constant"].contains(timeStepInitScheme) else {
            throw ConfigError("time_step_init_scheme must be \"random\" or \"constant\", got \"\(timeStepInitScheme)\"")
        }
        try checkTimeStepRange(min: timeStepMin, max: timeStepMax)
        guard tieWordEmbeddings else { throw ConfigError("tie_word_embeddings = false is not supported for mamba (transformers ties them)") }
    }

    /// config.json's fields (nested whole inside a hybrid's config).
    var fields: [String: Any] {
        [
            "model_type": "mamba", "architectures": ["MambaForCausalLM"],
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "state_size": stateSize,
            "num_hidden_layers": numHiddenLayers, "layer_norm_epsilon": layerNormEpsilon, "expand": expand,
            "conv_kernel": convKernel, "use_bias": useBias, "use_conv_bias": useConvBias, "hidden_act": hiddenAct,
            "initializer_range": initializerRange, "time_step_rank": timeStepRankAuto ? "auto" as Any : timeStepRank as Any,
            "time_step_scale": timeStepScale, "time_step_min": timeStepMin, "time_step_max": timeStepMax,
            "time_step_init_scheme": timeStepInitScheme, "time_step_floor": timeStepFloor,
            "rescale_prenorm_residual": rescalePrenormResidual, "tie_word_embeddings": tieWordEmbeddings,
            "intermediate_size": intermediateSize, "residual_in_fp32": true, "use_mambapy": false,
        ]
    }

}
