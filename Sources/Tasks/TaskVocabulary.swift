/// The token ids of a task whose tokens keep one order in both layouts: `symbols` tokens named
/// `<prefix_k>`, then the task's special tokens; local id k is k in the compact vocabulary of a
/// model trained from scratch, and `base + k` appended after a pretrained vocabulary of `base`
/// rows (as transformers' `resize_token_embeddings` appends). Names are made only for
/// tokens.json, so a task with a large vocabulary (MQAR's 8192) stays cheap to make.
/// (Position retrieval keeps its own TokenLayout, fixed before this type existed.)
public struct TaskVocabulary: Equatable, Sendable {
    public let base: Int
    public let symbols: Int
    public let prefix: String
    public let specials: [String]

    public init(base: Int, symbols: Int, prefix: String = "sym", specials: [String] = []) {
        self.base = base; self.symbols = symbols; self.prefix = prefix; self.specials = specials
    }

    public var size: Int { base + symbols + specials.count }
    public func id(_ local: Int) -> Int32 { Int32(base + local) }
    /// The id of special token `i` (after the symbols).
    public func special(_ i: Int) -> Int32 { id(symbols + i) }
    public var tokens: [(name: String, id: Int)] {
        ((0..<symbols).map { "<\(prefix)_\($0)>" } + specials).enumerated().map { ($0.element, base + $0.offset) }
    }
}
