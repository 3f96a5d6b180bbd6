import TensorCore

/// The input of a layer's token-wise work (norm, projections, MLP): either every row of the
/// batch, or — in the first layer, where a row depends on its token id alone — one row per
/// vocabulary entry the batch uses, looked up by id after the work is done.
///
/// Why: the retrieval task reads 3 + 2L distinct ids in batches of 64·(L+3) tokens, so the
/// first layer's products run on ~30× fewer rows from a table; the gradient reaches the
/// embedding by the lookup's scatter-add. Same function, different rounding. A small
/// vocabulary is used whole; a large one (a pretrained vocabulary with the task's tokens
/// appended) is cut down to the entries the batch reads.
struct TokenwiseInput {
    private enum Source {
        case rows(Tensor)    // (B, L, width)
        case table(Tensor)   // (entries, width): batch row i is table[lookup[i]]
    }
    private let source: Source
    private let tokens: TokenBatch
    /// Table row of each token (the ids themselves when the table is the whole vocabulary).
    private let lookup: [Int]

    static func rows(_ t: Tensor, _ tokens: TokenBatch) -> TokenwiseInput { .init(source: .rows(t), tokens: tokens, lookup: []) }

    /// The embedding matrix (V, width) as a table: whole when small, else the rows the batch reads.
    static func table(_ embeddings: Tensor, _ tokens: TokenBatch) -> TokenwiseInput {
        if TokenBatch.wholeVocabularyTablePays(vocabularySize: embeddings.shape[0], tokens: tokens.ids.count) {
            return .init(source: .table(embeddings), tokens: tokens, lookup: tokens.ids)
        }
        let (entries, lookup) = tokens.distinctIDs()
        return .init(source: .table(embeddings.indexSelect(entries)), tokens: tokens, lookup: lookup)
    }

    /// The same input after a row-wise function (a norm), keeping the lookup.
    func transformed(_ f: (Tensor) -> Tensor) -> TokenwiseInput {
        switch source {
        case .rows(let t): return .init(source: .rows(f(t)), tokens: tokens, lookup: lookup)
        case .table(let t): return .init(source: .table(f(t)), tokens: tokens, lookup: lookup)
        }
    }

    /// `f` on every row, (B, L, out), or with `rows` on the rows at flat indices b·L + t only,
    /// (rows.count, out). `f` must treat rows independently.
    func map(at rows: [Int]? = nil, _ f: (Tensor) -> Tensor) -> Tensor {
        switch (source, rows) {
        case (.rows(let t), nil): return f(t)
        case (.rows(let t), let rows?): return f(t.tokenRows(rows))
        case (.table(let t), nil): return f(t).embedding(lookup, shape: [tokens.batch, tokens.length])
        case (.table(let t), let rows?): return f(t.indexSelect(rows.map { lookup[$0] }))
        }
    }
}

extension TokenBatch {
    /// Whether a table of the whole vocabulary beats computing the first layer per token: the
    /// table's products cost V rows against B·L, and looking rows up is cheap next to either.
    static func wholeVocabularyTablePays(vocabularySize: Int, tokens: Int) -> Bool { 2 * vocabularySize <= tokens }

    /// Whether vocabulary tables pay for this batch: the whole vocabulary when it is small,
    /// else the distinct ids the batch reads.
    public func vocabularyTablesPay(vocabularySize: Int) -> Bool {
        Self.wholeVocabularyTablePays(vocabularySize: vocabularySize, tokens: ids.count)
            || 2 * distinctIDs().entries.count <= ids.count
    }

    /// The distinct ids in increasing order, and each token's index among them.
    func distinctIDs() -> (entries: [Int], lookup: [Int]) {
        let entries = Set(ids).sorted()
        var index: [Int: Int] = [:]
        for (i, id) in entries.enumerated() { index[id] = i }
        return (entries, ids.map { index[$0]! })
    }
}
