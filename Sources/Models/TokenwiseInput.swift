import TensorCore

/// The input of a layer's token-wise work (norm, projections, MLP): either every row of the
/// batch, or — in the first layer, where a row depends on its token id alone — one row per
/// vocabulary entry, looked up by id after the work is done.
///
/// Why: the retrieval task has a vocabulary of 3 + 2L ids and batches of 64·(L+3) tokens, so
/// the first layer's products run on ~30× fewer rows from a vocabulary table; the gradient
/// reaches the table by the lookup's scatter-add. Same function, different rounding.
struct TokenwiseInput {
    private enum Source {
        case rows(Tensor)    // (B, L, width)
        case table(Tensor)   // (V, width): batch row i is table[ids[i]]
    }
    private let source: Source
    private let tokens: TokenBatch

    static func rows(_ t: Tensor, _ tokens: TokenBatch) -> TokenwiseInput { .init(source: .rows(t), tokens: tokens) }
    static func table(_ t: Tensor, _ tokens: TokenBatch) -> TokenwiseInput { .init(source: .table(t), tokens: tokens) }

    /// `f` on every row, (B, L, out), or with `rows` on the rows at flat indices b·L + t only,
    /// (rows.count, out). `f` must treat rows independently.
    func map(at rows: [Int]? = nil, _ f: (Tensor) -> Tensor) -> Tensor {
        switch (source, rows) {
        case (.rows(let t), nil): return f(t)
        case (.rows(let t), let rows?): return f(t.tokenRows(rows))
        case (.table(let t), nil): return f(t).embedding(tokens.ids, shape: [tokens.batch, tokens.length])
        case (.table(let t), let rows?): return f(t.indexSelect(rows.map { tokens.ids[$0] }))
        }
    }
}

extension TokenBatch {
    /// Whether vocabulary tables beat computing the first layer per token: the table's
    /// products cost V rows against B·L, and looking rows up is cheap next to either.
    public static func vocabularyTablesPay(vocabularySize: Int, tokens: Int) -> Bool { 2 * vocabularySize <= tokens }
}
