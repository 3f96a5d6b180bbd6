import Foundation

/// Where the position-retrieval task's tokens sit in a model's vocabulary.
///
/// - `compact`: from-scratch models with nothing but the task: pad = 0, `<bos>` = 1,
///   `<out>` (the query marker) = 2, `<syn_k>` = 3 + k, `<pos_k>` = 3 + L + k.
/// - `appended(to: V)`: as the paper extends a pretrained vocabulary of V rows with
///   `resize_token_embeddings(V + 2 + 2L)`: `<out>` = V, `<bos>` = V + 1, `<syn_k>` = V + 2 + k,
///   `<pos_k>` = V + 2 + L + k (the order shared/anchors/torch_train_step.py uses). The task
///   brings its own `<bos>` rather than the model's `<|endoftext|>`, so that every token the task
///   reads is new and seeded by the embedding seed, and no pretrained row's meaning is borrowed.
public struct TokenLayout: Codable, Equatable, Sendable {
    /// Rows of the vocabulary before the task's tokens (0 for the compact layout).
    public let baseVocabulary: Int
    public let length: Int

    public static func compact(length: Int) -> TokenLayout { TokenLayout(baseVocabulary: 0, length: length) }
    public static func appended(to baseVocabulary: Int, length: Int) -> TokenLayout {
        TokenLayout(baseVocabulary: baseVocabulary, length: length)
    }

    public var isCompact: Bool { baseVocabulary == 0 }
    /// The padding id of the compact layout (never read by the task: every sequence has L + 3 tokens).
    public var pad: Int? { isCompact ? 0 : nil }
    public var bos: Int { isCompact ? 1 : baseVocabulary + 1 }
    public var query: Int { isCompact ? 2 : baseVocabulary }
    public func content(_ k: Int) -> Int { (isCompact ? 3 : baseVocabulary + 2) + k }
    public func position(_ k: Int) -> Int { content(length) + k }
    /// The whole vocabulary: base rows plus the task's tokens.
    public var vocabularySize: Int { position(length) }
    /// How many rows the task adds to the base vocabulary.
    public var addedTokens: Int { vocabularySize - baseVocabulary }

    /// Every task token's name and id, in id order (the paper's names).
    public var tokens: [(name: String, id: Int)] {
        var out: [(String, Int)] = pad.map { [("<pad>", $0)] } ?? []
        out += [("<bos>", bos), ("<out>", query)].sorted { $0.1 < $1.1 }
        out += (0..<length).map { ("<syn_\($0)>", content($0)) }
        out += (0..<length).map { ("<pos_\($0)>", position($0)) }
        return out
    }

    /// tokens.json: the layout as a transformers user reads it (name → id, plus the sizes).
    public var json: String {
        var names: [String: Int] = [:]
        for t in tokens { names[t.name] = t.id }
        let object: [String: Any] = [
            "format": "scanlab.token_layout", "version": 1, "length": length,
            "base_vocabulary": baseVocabulary, "vocab_size": vocabularySize,
            "added_tokens": tokens.map(\.name), "tokens": names,
        ]
        return prettyJSON(object)
    }
}
