import Foundation

/// One layer of a hybrid's pattern, by its letter.
public enum BlockKind: Character, CaseIterable, Sendable {
    /// Mamba (v1) block: RMSNorm + selective-scan mixer.
    case mamba = "M"
    /// Mamba-2 block: RMSNorm + SSD mixer.
    case mamba2 = "S"
    /// GPT-NeoX (Pythia) attention layer: attention and MLP.
    case attention = "T"

    /// The layer's key segment: backbone.layers.<i>.<keyName>.…
    public var keyName: String {
        switch self { case .mamba: return "mamba"; case .mamba2: return "mamba2"; case .attention: return "attention" }
    }

    /// Parses a pattern such as "MMT"; errors name the letter and list the valid ones.
    public static func pattern(_ text: String) throws -> [BlockKind] {
        guard !text.isEmpty else { throw ConfigError("the layer pattern is empty (letters: M Mamba, S Mamba-2, T attention)") }
        return try text.map { ch in
            guard let kind = BlockKind(rawValue: ch) else {
                throw ConfigError("layer pattern \"\(text)\": '\(ch)' is not a block (M Mamba, S Mamba-2, T attention)")
            }
            return kind
        }
    }
}

/// ScanLab's sequential hybrid: a layer pattern over the Mamba, Mamba-2 and GPT-NeoX blocks
/// (retrievit's "2M1T" is "MMT"), each layer as its own family's block with that family's
/// settings, one embedding, one final norm and head. Not a transformers model type
/// (model_type "scanlab_hybrid"); each block's parameters keep their family's names under
/// backbone.layers.<i>.<mamba|mamba2|attention>.
public struct HybridConfig: Equatable, Sendable {
    public enum FinalNorm: String, Sendable { case rms, layer }

    public var vocabSize: Int
    public var hiddenSize: Int
    public var pattern: [BlockKind]
    /// Each family's block settings, present when the pattern uses the family; their vocabulary,
    /// width and depth follow the hybrid's.
    public var mamba: MambaConfig?
    public var mamba2: Mamba2Config?
    public var attention: GPTNeoXConfig?
    public var finalNorm = FinalNorm.rms
    public var layerNormEpsilon = 1e-5
    public var tieWordEmbeddings = true
    /// The embedding's (and an untied head's) N(0, σ).
    public var initializerRange = 0.02

    public var patternText: String { String(pattern.map(\.rawValue)) }

    /// A hybrid of `pattern` whose blocks take the given settings (defaults: the tiny shapes'
    /// Mamba, Mamba-2 and Pythia settings at this width).
    public init(vocabSize: Int, hiddenSize: Int, pattern: String, mamba: MambaConfig? = nil, mamba2: Mamba2Config? = nil,
                attention: GPTNeoXConfig? = nil) throws {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize
        self.pattern = try BlockKind.pattern(pattern)
        let kinds = Set(self.pattern)
        self.mamba = kinds.contains(.mamba) ? mamba ?? MambaConfig(vocabSize: vocabSize, hiddenSize: hiddenSize, layers: 1) : nil
        self.mamba2 = kinds.contains(.mamba2) ? mamba2 ?? Mamba2Config(vocabSize: vocabSize, hiddenSize: hiddenSize, layers: 1) : nil
        self.attention = kinds.contains(.attention)
            ? attention ?? GPTNeoXConfig(vocabSize: vocabSize, hiddenSize: hiddenSize, layers: 1, heads: 4, intermediateSize: 4 * hiddenSize)
            : nil
        harmonise()
        try validate()
    }

    init(_ f: ConfigFields) throws {
        vocabSize = try f.positiveInt("vocab_size", default: nil)
        hiddenSize = try f.positiveInt("hidden_size", default: nil)
        pattern = try BlockKind.pattern(try f.string("layer_pattern", default: nil))
        let layers = try f.positiveInt("num_hidden_layers", default: pattern.count)
        guard layers == pattern.count else {
            throw ConfigError("num_hidden_layers \(layers) does not match layer_pattern \"\(String(pattern.map(\.rawValue)))\" (\(pattern.count) layers)")
        }
        let norm = try f.string("final_norm", default: "rms")
        guard let finalNorm = FinalNorm(rawValue: norm) else { throw ConfigError("final_norm must be \"rms\" or \"layer\", got \"\(norm)\"") }
        self.finalNorm = finalNorm
        layerNormEpsilon = try f.double("layer_norm_epsilon", default: layerNormEpsilon)
        tieWordEmbeddings = try f.bool("tie_word_embeddings", default: tieWordEmbeddings)
        initializerRange = try f.double("initializer_range", default: initializerRange)
        /// A family's block settings: required when the pattern uses it.
        func settings<T>(_ kind: BlockKind, _ key: String, _ parse: (ConfigFields) throws -> T) throws -> T? {
            guard pattern.contains(kind) else { return nil }
            guard let nested = f.object(key) else { throw ConfigError("config field \"\(key)\" is missing (layer_pattern uses '\(kind.rawValue)')") }
            do { return try parse(nested) } catch { throw ConfigError("\(key): \(error)") }
        }
        mamba = try settings(.mamba, "mamba_config", MambaConfig.init)
        mamba2 = try settings(.mamba2, "mamba2_config", Mamba2Config.init)
        attention = try settings(.attention, "attention_config", GPTNeoXConfig.init)
        harmonise()
        try validate()
    }

    /// Gives every block's settings the hybrid's vocabulary, width and depth (and what follows
    /// from the width: Mamba's automatic dt rank, Mamba-2's head count).
    mutating func harmonise() {
        if var m = mamba {
            m.vocabSize = vocabSize; m.hiddenSize = hiddenSize; m.numHiddenLayers = pattern.count
            if m.timeStepRankAuto { m.timeStepRank = (hiddenSize + 15) / 16 }
            mamba = m
        }
        if var m = mamba2 {
            m.vocabSize = vocabSize; m.hiddenSize = hiddenSize; m.numHiddenLayers = pattern.count
            if m.headDim > 0, m.intermediateSize % m.headDim == 0 { m.numHeads = m.intermediateSize / m.headDim }
            mamba2 = m
        }
        if var a = attention {
            a.vocabSize = vocabSize; a.hiddenSize = hiddenSize; a.numHiddenLayers = pattern.count
            attention = a
        }
    }

    public func validate() throws {
        do {
            try mamba?.validate()
            try mamba2?.validate()
            try attention?.validate()
        } catch { throw ConfigError("layer pattern \"\(patternText)\": \(error)") }
    }

    var fields: [String: Any] {
        var f: [String: Any] = [
            "model_type": "scanlab_hybrid", "layer_pattern": patternText, "vocab_size": vocabSize,
            "hidden_size": hiddenSize, "num_hidden_layers": pattern.count, "final_norm": finalNorm.rawValue,
            "layer_norm_epsilon": layerNormEpsilon, "tie_word_embeddings": tieWordEmbeddings,
            "initializer_range": initializerRange,
        ]
        if let mamba { f["mamba_config"] = mamba.fields }
        if let mamba2 { f["mamba2_config"] = mamba2.fields }
        if let attention { f["attention_config"] = attention.fields }
        return f
    }

}
