import Foundation

/// A model configuration read from a Hugging Face config.json text. Field names and defaults
/// follow transformers' GPTNeoXConfig, MambaConfig and Mamba2Config; a hybrid is ScanLab's
/// own (HybridConfig). Unknown fields are ignored.
public enum ModelConfig: Equatable, Sendable {
    case gptNeoX(GPTNeoXConfig)
    case mamba(MambaConfig)
    case mamba2(Mamba2Config)
    case hybrid(HybridConfig)

    /// The family's own configuration, for what every family has.
    var family: any FamilyConfig {
        switch self {
        case .gptNeoX(let c): return c
        case .mamba(let c): return c
        case .mamba2(let c): return c
        case .hybrid(let c): return c
        }
    }

    public var vocabSize: Int { family.vocabSize }
    public var hiddenSize: Int { family.hiddenSize }

    /// The token-embedding matrix's state_dict key.
    public var embeddingKey: String {
        switch self { case .gptNeoX: return "gpt_neox.embed_in.weight"; default: return "backbone.embeddings.weight" }
    }

    /// Whether the output head is the embedding itself.
    public var tiedEmbeddings: Bool {
        switch self {
        case .gptNeoX: return false
        case .mamba: return true
        case .mamba2(let c): return c.tieWordEmbeddings
        case .hybrid(let c): return c.tieWordEmbeddings
        }
    }

    /// The matrices with one row per vocabulary entry that are parameters of their own: the
    /// embedding, and an untied output head.
    public var vocabularyMatrixKeys: [String] { tiedEmbeddings ? [embeddingKey] : [embeddingKey, "lm_head.weight"] }

    /// The standard deviation transformers draws embeddings (and normal-initialised weights) with.
    public var initializerRange: Double { family.initializerRange }

    public var modelType: String {
        switch self {
        case .gptNeoX: return "gpt_neox"
        case .mamba: return "mamba"
        case .mamba2: return "mamba2"
        case .hybrid: return "scanlab_hybrid"
        }
    }

    /// Parses config.json text; errors name the field and the value.
    public init(json text: String) throws {
        guard let data = ConfigFields.quotingNonFiniteNumbers(text).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw ConfigError("config is not a JSON object")
        }
        let fields = ConfigFields(dict)
        switch try fields.string("model_type", default: nil) {
        case "gpt_neox": self = .gptNeoX(try GPTNeoXConfig(fields))
        case "mamba": self = .mamba(try MambaConfig(fields))
        case "mamba2": self = .mamba2(try Mamba2Config(fields))
        case "scanlab_hybrid": self = .hybrid(try HybridConfig(fields))
        case let other:
            throw ConfigError("model_type \"\(other)\" is not supported (use \"gpt_neox\", \"mamba\", \"mamba2\" or \"scanlab_hybrid\")")
        }
    }

    /// config.json text that transformers reads back into the same model (ScanLab reads a hybrid's).
    public var json: String { configJSON(family.fields) }

    /// The configuration, after its family's checks.
    public func validated() throws -> ModelConfig {
        try family.validate()
        return self
    }

    /// The same configuration with another vocabulary size (resizing embeddings for a task).
    public func withVocabulary(_ size: Int) -> ModelConfig {
        switch self {
        case .gptNeoX(var c): c.vocabSize = size; return .gptNeoX(c)
        case .mamba(var c): c.vocabSize = size; return .mamba(c)
        case .mamba2(var c): c.vocabSize = size; return .mamba2(c)
        case .hybrid(var c): c.vocabSize = size; c.harmonise(); return .hybrid(c)
        }
    }
}

/// What every family's configuration has: the fields ModelConfig reads through `family`.
protocol FamilyConfig: Sendable {
    var vocabSize: Int { get }
    var hiddenSize: Int { get }
    var initializerRange: Double { get }
    /// config.json's fields.
    var fields: [String: Any] { get }
    func validate() throws
}

extension GPTNeoXConfig: FamilyConfig {}
extension MambaConfig: FamilyConfig {}
extension Mamba2Config: FamilyConfig {}
extension HybridConfig: FamilyConfig {}
