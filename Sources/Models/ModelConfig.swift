import Foundation

/// A model configuration read from a Hugging Face config.json text. Field names and defaults
/// follow transformers' GPTNeoXConfig and MambaConfig; unknown fields are ignored.
public enum ModelConfig: Equatable, Sendable {
    case gptNeoX(GPTNeoXConfig)
    case mamba(MambaConfig)

    public var vocabSize: Int {
        switch self { case .gptNeoX(let c): return c.vocabSize; case .mamba(let c): return c.vocabSize }
    }

    /// The token-embedding matrix's state_dict key.
    public var embeddingKey: String {
        switch self { case .gptNeoX: return "gpt_neox.embed_in.weight"; case .mamba: return "backbone.embeddings.weight" }
    }

    /// The matrices with one row per vocabulary entry that are parameters of their own: the
    /// embedding, and GPT-NeoX's untied output head (Mamba's head is the embedding).
    public var vocabularyMatrixKeys: [String] {
        switch self { case .gptNeoX: return [embeddingKey, "lm_head.weight"]; case .mamba: return [embeddingKey] }
    }

    /// The standard deviation transformers draws embeddings (and normal-initialised weights) with.
    public var initializerRange: Double {
        switch self { case .gptNeoX(let c): return c.initializerRange; case .mamba(let c): return c.initializerRange }
    }

    public var modelType: String {
        switch self { case .gptNeoX: return "gpt_neox"; case .mamba: return "mamba" }
    }

    /// Parses config.json text; errors name the field and the value.
    public init(json text: String) throws {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw ConfigError("config is not a JSON object")
        }
        let fields = ConfigFields(dict)
        switch try fields.string("model_type", default: nil) {
        case "gpt_neox": self = .gptNeoX(try GPTNeoXConfig(fields))
        case "mamba": self = .mamba(try MambaConfig(fields))
        case let other: throw ConfigError("model_type \"\(other)\" is not supported (use \"gpt_neox\" or \"mamba\")")
        }
    }

    /// config.json text that transformers reads back into the same model.
    public var json: String {
        switch self { case .gptNeoX(let c): return c.json; case .mamba(let c): return c.json }
    }

    /// The same configuration with another vocabulary size (resizing embeddings for a task).
    public func withVocabulary(_ size: Int) -> ModelConfig {
        switch self {
        case .gptNeoX(var c): c.vocabSize = size; return .gptNeoX(c)
        case .mamba(var c): c.vocabSize = size; return .mamba(c)
        }
    }
}

public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Typed access to config.json fields with clear errors.
struct ConfigFields {
    let dict: [String: Any]
    init(_ dict: [String: Any]) { self.dict = dict }

    func has(_ key: String) -> Bool { dict[key] != nil && !(dict[key] is NSNull) }

    /// The field converted by `convert`, or `value` when the field is absent; errors name the
    /// field and the expected kind.
    private func field<T>(_ key: String, default value: T?, kind: String, _ convert: (Any) -> T?) throws -> T {
        guard has(key) else {
            if let value { return value }
            throw ConfigError("config field \"\(key)\" is missing")
        }
        guard let v = convert(dict[key]!) else { throw ConfigError("config field \"\(key)\" must be \(kind), got \(dict[key]!)") }
        return v
    }

    func int(_ key: String, default value: Int?) throws -> Int {
        try field(key, default: value, kind: "an integer") { raw in
            guard !isBoolean(raw), let d = (raw as? NSNumber)?.doubleValue, d == d.rounded(), Swift.abs(d) < 1e15 else { return nil }
            return Int(d)
        }
    }

    func positiveInt(_ key: String, default value: Int?) throws -> Int {
        let v = try int(key, default: value)
        guard v > 0 else { throw ConfigError("config field \"\(key)\" must be positive, got \(v)") }
        return v
    }

    func double(_ key: String, default value: Double?) throws -> Double {
        try field(key, default: value, kind: "a number") { ($0 as? NSNumber)?.doubleValue }
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        try field(key, default: value, kind: "true or false") { isBoolean($0) ? $0 as? Bool : nil }
    }

    func string(_ key: String, default value: String?) throws -> String {
        try field(key, default: value, kind: "a string") { $0 as? String }
    }

    func object(_ key: String) -> ConfigFields? { (dict[key] as? [String: Any]).map(ConfigFields.init) }
}

/// JSON true/false, told apart from the numbers 1 and 0 (Foundation bridges both to NSNumber).
func isBoolean(_ value: Any) -> Bool {
    String(describing: type(of: value)).contains("Boolean") || type(of: value) == Bool.self
}

/// Serialises a config dictionary with sorted keys (stable files, readable diffs). Floating
/// fields keep a decimal point (1.0, not 1): transformers ≥ 5 validates config fields by type
/// and refuses an integer where it declares a float.
func configJSON(_ dict: [String: Any]) -> String {
    func text(_ value: Any, indent: String) -> String {
        switch value {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double:
            if d == d.rounded() && Swift.abs(d) < 1e15 { return String(Int(d)) + ".0" }
            return "\(d)"
        case let s as String:
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case let a as [Any]: return "[" + a.map { text($0, indent: indent) }.joined(separator: ", ") + "]"
        case let o as [String: Any]:
            let inner = indent + "  "
            return "{\n" + o.keys.sorted().map { inner + text($0, indent: inner) + ": " + text(o[$0]!, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        default: fatalError("configJSON: unsupported value \(value)")
        }
    }
    return text(dict, indent: "")
}

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

    var json: String {
        configJSON([
            "model_type": "gpt_neox", "architectures": ["GPTNeoXForCausalLM"],
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "num_hidden_layers": numHiddenLayers,
            "num_attention_heads": numAttentionHeads, "intermediate_size": intermediateSize, "hidden_act": hiddenAct,
            "rotary_pct": partialRotaryFactor, "rotary_emb_base": ropeTheta,
            "rope_parameters": ["rope_type": "default", "rope_theta": ropeTheta, "partial_rotary_factor": partialRotaryFactor],
            "max_position_embeddings": maxPositionEmbeddings, "initializer_range": initializerRange,
            "layer_norm_eps": layerNormEps, "use_parallel_residual": useParallelResidual,
            "attention_bias": attentionBias, "tie_word_embeddings": tieWordEmbeddings,
        ])
    }
}

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
        guard timeStepMin > 0, timeStepMax >= timeStepMin else {
            throw ConfigError("time_step_min/max must satisfy 0 < min ≤ max, got \(timeStepMin), \(timeStepMax)")
        }
        guard tieWordEmbeddings else { throw ConfigError("tie_word_embeddings = false is not supported for mamba (transformers ties them)") }
    }

    var json: String {
        configJSON([
            "model_type": "mamba", "architectures": ["MambaForCausalLM"],
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "state_size": stateSize,
            "num_hidden_layers": numHiddenLayers, "layer_norm_epsilon": layerNormEpsilon, "expand": expand,
            "conv_kernel": convKernel, "use_bias": useBias, "use_conv_bias": useConvBias, "hidden_act": hiddenAct,
            "initializer_range": initializerRange, "time_step_rank": timeStepRankAuto ? "auto" as Any : timeStepRank as Any,
            "time_step_scale": timeStepScale, "time_step_min": timeStepMin, "time_step_max": timeStepMax,
            "time_step_init_scheme": timeStepInitScheme, "time_step_floor": timeStepFloor,
            "rescale_prenorm_residual": rescalePrenormResidual, "tie_word_embeddings": tieWordEmbeddings,
            "intermediate_size": intermediateSize, "residual_in_fp32": true, "use_mambapy": false,
        ])
    }
}
