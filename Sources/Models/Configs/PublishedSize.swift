/// The shapes of the pretrained checkpoints people fine-tune, by their Hugging Face names:
/// the values of EleutherAI/pythia-* and state-spaces/mamba-*-hf config.json (Pythia's
/// vocabulary is padded to 50304 rows, Mamba's to 50280).
public enum PublishedSize: String, CaseIterable, Codable, Sendable {
    case pythia14m = "pythia-14m", pythia70m = "pythia-70m", pythia160m = "pythia-160m"
    case pythia410m = "pythia-410m", pythia1b = "pythia-1b", pythia1_4b = "pythia-1.4b"
    case mamba130m = "mamba-130m", mamba370m = "mamba-370m", mamba790m = "mamba-790m", mamba1_4b = "mamba-1.4b"

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The published configuration, with its own vocabulary.
    public var config: ModelConfig {
        func pythia(_ hidden: Int, _ layers: Int, _ heads: Int) -> ModelConfig {
            .gptNeoX(GPTNeoXConfig(vocabSize: 50304, hiddenSize: hidden, layers: layers, heads: heads,
                                   intermediateSize: 4 * hidden, partialRotaryFactor: 0.25, ropeTheta: 10000,
                                   useParallelResidual: true))
        }
        func mamba(_ hidden: Int, _ layers: Int) -> ModelConfig {
            .mamba(MambaConfig(vocabSize: 50280, hiddenSize: hidden, layers: layers, stateSize: 16, expand: 2, convKernel: 4))
        }
        switch self {
        case .pythia14m: return pythia(128, 6, 4)
        case .pythia70m: return pythia(512, 6, 8)
        case .pythia160m: return pythia(768, 12, 12)
        case .pythia410m: return pythia(1024, 24, 16)
        case .pythia1b: return pythia(2048, 16, 8)
        case .pythia1_4b: return pythia(2048, 24, 16)
        case .mamba130m: return mamba(768, 24)
        case .mamba370m: return mamba(1024, 48)
        case .mamba790m: return mamba(1536, 48)
        case .mamba1_4b: return mamba(2048, 48)
        }
    }

    /// The size named `name`, or an error listing the names.
    public init(named name: String) throws {
        guard let size = PublishedSize(rawValue: name) else {
            throw ConfigError("unknown size \"\(name)\" (available: \(Self.names))")
        }
        self = size
    }
}

extension ModelConfig {
    /// Whether two configurations describe the same architecture and shapes, vocabulary aside;
    /// nil when they do, else the first field that differs, naming both values.
    public func shapeDifference(from other: ModelConfig) -> String? {
        switch (self.withVocabulary(0), other.withVocabulary(0)) {
        case (.gptNeoX(let a), .gptNeoX(let b)):
            let fields: [(String, Int, Int)] = [("hidden_size", a.hiddenSize, b.hiddenSize),
                                                ("num_hidden_layers", a.numHiddenLayers, b.numHiddenLayers),
                                                ("num_attention_heads", a.numAttentionHeads, b.numAttentionHeads),
                                                ("intermediate_size", a.intermediateSize, b.intermediateSize)]
            if let f = fields.first(where: { $0.1 != $0.2 }) { return "\(f.0) \(f.1) against \(f.2)" }
            return a == b ? nil : "other GPT-NeoX settings"
        case (.mamba(let a), .mamba(let b)):
            let fields: [(String, Int, Int)] = [("hidden_size", a.hiddenSize, b.hiddenSize),
                                                ("num_hidden_layers", a.numHiddenLayers, b.numHiddenLayers),
                                                ("state_size", a.stateSize, b.stateSize), ("expand", a.expand, b.expand)]
            if let f = fields.first(where: { $0.1 != $0.2 }) { return "\(f.0) \(f.1) against \(f.2)" }
            return nil
        case (.mamba2(let a), .mamba2(let b)):
            let fields: [(String, Int, Int)] = [("hidden_size", a.hiddenSize, b.hiddenSize),
                                                ("num_hidden_layers", a.numHiddenLayers, b.numHiddenLayers),
                                                ("state_size", a.stateSize, b.stateSize), ("num_heads", a.numHeads, b.numHeads),
                                                ("n_groups", a.nGroups, b.nGroups)]
            if let f = fields.first(where: { $0.1 != $0.2 }) { return "\(f.0) \(f.1) against \(f.2)" }
            return a == b ? nil : "other Mamba-2 settings"
        case (.hybrid(let a), .hybrid(let b)):
            if a.patternText != b.patternText { return "layer_pattern \(a.patternText) against \(b.patternText)" }
            if a.hiddenSize != b.hiddenSize { return "hidden_size \(a.hiddenSize) against \(b.hiddenSize)" }
            return a == b ? nil : "other hybrid settings"
        default:
            return "model_type \(modelType) against \(other.modelType)"
        }
    }
}
