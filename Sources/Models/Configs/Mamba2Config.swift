import Foundation

/// transformers' Mamba2Config. `normBeforeGate` is mamba_ssm's option (transformers always gates
/// first, so a config with it set is ScanLab's own and not transformers-exchangeable).
public struct Mamba2Config: Equatable, Sendable {
    public var vocabSize = 32768
    public var hiddenSize = 4096
    public var stateSize = 128
    public var numHiddenLayers = 64
    public var layerNormEpsilon = 1e-5
    public var expand = 2
    public var convKernel = 4
    public var numHeads = 128
    public var headDim = 64
    public var nGroups = 8
    public var useBias = false
    public var useConvBias = true
    public var hiddenAct = "silu"
    public var initializerRange = 0.1
    public var timeStepMin = 0.001
    public var timeStepMax = 0.1
    public var timeStepFloor = 1e-4
    /// δ is clamped to this range (transformers' default (0, ∞) clamps nothing).
    public var timeStepLimit: [Double] = [0, .infinity]
    public var rescalePrenormResidual = false
    public var chunkSize = 256
    public var tieWordEmbeddings = false
    public var normBeforeGate = false

    public var intermediateSize: Int { expand * hiddenSize }
    /// Columns of the convolution's input and output: x, B and C.
    public var convDim: Int { intermediateSize + 2 * nGroups * stateSize }

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, stateSize: Int = 16, headDim: Int = 16,
                groups: Int = 1, expand: Int = 2, convKernel: Int = 4) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; numHiddenLayers = layers
        self.stateSize = stateSize; self.headDim = headDim; nGroups = groups; self.expand = expand
        self.convKernel = convKernel
        numHeads = expand * hiddenSize / headDim
    }

    init(_ f: ConfigFields) throws {
        vocabSize = try f.positiveInt("vocab_size", default: vocabSize)
        hiddenSize = try f.positiveInt("hidden_size", default: hiddenSize)
        stateSize = try f.positiveInt("state_size", default: stateSize)
        numHiddenLayers = try f.positiveInt("num_hidden_layers", default: numHiddenLayers)
        layerNormEpsilon = try f.double("layer_norm_epsilon", default: layerNormEpsilon)
        expand = try f.positiveInt("expand", default: expand)
        convKernel = try f.positiveInt("conv_kernel", default: convKernel)
        numHeads = try f.positiveInt("num_heads", default: numHeads)
        headDim = try f.positiveInt("head_dim", default: headDim)
        nGroups = try f.positiveInt("n_groups", default: nGroups)
        useBias = try f.bool("use_bias", default: useBias)
        useConvBias = try f.bool("use_conv_bias", default: useConvBias)
        hiddenAct = try f.string("hidden_act", default: hiddenAct)
        initializerRange = try f.double("initializer_range", default: initializerRange)
        timeStepMin = try f.double("time_step_min", default: timeStepMin)
        timeStepMax = try f.double("time_step_max", default: timeStepMax)
        timeStepFloor = try f.double("time_step_floor", default: timeStepFloor)
        if f.has("time_step_limit") {
            guard let pair = f.dict["time_step_limit"] as? [Any], pair.count == 2,
                  let lo = ConfigFields.number(pair[0]), let hi = ConfigFields.number(pair[1]) else {
                throw ConfigError("config field \"time_step_limit\" must be [low, high], got \(f.dict["time_step_limit"]!)")
            }
            timeStepLimit = [lo, hi]
        }
        rescalePrenormResidual = try f.bool("rescale_prenorm_residual", default: rescalePrenormResidual)
        chunkSize = try f.positiveInt("chunk_size", default: chunkSize)
        tieWordEmbeddings = try f.bool("tie_word_embeddings", default: tieWordEmbeddings)
        normBeforeGate = try f.bool("norm_before_gate", default: normBeforeGate)
        try validate()
    }

    public func validate() throws {
        guard hiddenAct == "silu" else { throw ConfigError("hidden_act \"\(hiddenAct)\" is not supported (Mamba-2 uses \"silu\")") }
        guard intermediateSize == numHeads * headDim else {
            throw ConfigError("hidden_size × expand (\(intermediateSize)) must equal num_heads × head_dim (\(numHeads) × \(headDim))")
        }
        guard numHeads % nGroups == 0 else { throw ConfigError("num_heads \(numHeads) is not divisible by n_groups \(nGroups)") }
        try checkTimeStepRange(min: timeStepMin, max: timeStepMax)
        guard timeStepLimit[0] >= 0, timeStepLimit[1] >= timeStepLimit[0] else {
            throw ConfigError("time_step_limit must satisfy 0 ≤ low ≤ high, got \(timeStepLimit)")
        }
    }

    /// config.json's fields (nested whole inside a hybrid's config).
    var fields: [String: Any] {
        [
            "model_type": "mamba2", "architectures": ["Mamba2ForCausalLM"],
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "state_size": stateSize,
            "num_hidden_layers": numHiddenLayers, "layer_norm_epsilon": layerNormEpsilon, "expand": expand,
            "conv_kernel": convKernel, "num_heads": numHeads, "head_dim": headDim, "n_groups": nGroups,
            "use_bias": useBias, "use_conv_bias": useConvBias, "hidden_act": hiddenAct,
            "initializer_range": initializerRange, "time_step_min": timeStepMin, "time_step_max": timeStepMax,
            "time_step_floor": timeStepFloor, "time_step_limit": timeStepLimit,
            "rescale_prenorm_residual": rescalePrenormResidual, "chunk_size": chunkSize,
            "tie_word_embeddings": tieWordEmbeddings, "norm_before_gate": normBeforeGate, "residual_in_fp32": true,
        ]
    }

}
