/// The token ids of a task whose tokens keep one order in both layouts: local id k is k in the
/// compact vocabulary of a model trained from scratch, and `base + k` appended after a
/// pretrained vocabulary of `base` rows (as transformers' `resize_token_embeddings` appends).
/// (Position retrieval keeps its own TokenLayout, fixed before this type existed.)
public struct TaskVocabulary: Equatable, Sendable {
    public let base: Int
    public let names: [String]

    public init(base: Int, names: [String]) { self.base = base; self.names = names }

    public var size: Int { base + names.count }
    public func id(_ local: Int) -> Int32 { Int32(base + local) }
    public var tokens: [(name: String, id: Int)] { names.enumerated().map { ($0.element, base + $0.offset) } }
}
