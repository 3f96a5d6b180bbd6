import TensorCore

/// A token batch: ids (batch × length) row-major.
public struct TokenBatch {
    public let ids: [Int]
    public let batch: Int
    public let length: Int

    public init(ids: [Int], batch: Int, length: Int) {
        precondition(ids.count == batch * length, "TokenBatch: \(ids.count) ids for \(batch)×\(length)")
        self.ids = ids; self.batch = batch; self.length = length
    }
}

/// A causal language model with transformers' parameter names and semantics.
public protocol CausalLM: AnyObject {
    var config: ModelConfig { get }
    var parameters: ParameterStore { get }

    /// Final hidden states before the final norm: (batch, length, hidden), or with `positions`
    /// (one per sequence) (batch, hidden) — the same function as those rows, but the last
    /// layer's work after its sequence mixing (and the mixing's output) is done for those rows
    /// only. With `vocabularyTables` the first layer's token-wise work runs once per vocabulary
    /// entry (see TokenwiseInput). Without either, every layer on every row, as transformers.
    func hiddenStates(_ tokens: TokenBatch, at positions: [Int]?, vocabularyTables: Bool) -> Tensor

    /// Final norm and output head on hidden rows (…, hidden) → (…, vocab).
    func head(_ hidden: Tensor) -> Tensor
}

extension CausalLM {
    /// Final hidden states (batch, length, hidden) of every layer on every row.
    public func hiddenStates(_ tokens: TokenBatch) -> Tensor { hiddenStates(tokens, at: nil, vocabularyTables: false) }

    /// Logits for every position: (batch, length, vocab).
    public func logits(_ tokens: TokenBatch) -> Tensor { head(hiddenStates(tokens)) }

    /// Logits at one chosen position per sequence: (batch, vocab). Training on the answer
    /// position runs the head on those rows only; vocabulary tables are used when the batch
    /// has many more tokens than it reads distinct ids, unless `vocabularyTables` says.
    public func logits(_ tokens: TokenBatch, at positions: [Int], vocabularyTables: Bool? = nil) -> Tensor {
        let tables = vocabularyTables
            ?? tokens.vocabularyTablesPay(vocabularySize: config.vocabSize)
        return head(hiddenStates(tokens, at: positions, vocabularyTables: tables))
    }

    /// The same logits as `logits(_:at:)`, taken from the full forward (every layer on every
    /// row, no vocabulary tables), as PyTorch and transformers compute them: for comparisons.
    public func logitsFromFullForward(_ tokens: TokenBatch, at positions: [Int]) -> Tensor {
        head(hiddenStates(tokens).tokenRows(tokens.rows(at: positions)))
    }
}

extension Tensor {
    /// The rows of a (batch, length, width) tensor at flat token indices b·length + t: (rows, width).
    public func tokenRows(_ rows: [Int]) -> Tensor { reshape([shape[0] * shape[1], shape[2]]).indexSelect(rows) }
}

extension TokenBatch {
    /// Flat row indices (b·length + p_b) of one position per sequence, checked.
    public func rows(at positions: [Int]) -> [Int] {
        precondition(positions.count == batch, "positions: \(positions.count) positions for batch \(batch)")
        for p in positions where p < 0 || p >= length {
            fatalError("positions: position \(p) is outside 0..<\(length)")
        }
        return positions.enumerated().map { $0.offset * length + $0.element }
    }
}

/// Builds the model a configuration describes, initialised as transformers would.
public func makeModel(_ config: ModelConfig, generator: inout RandomGenerator) -> CausalLM {
    switch config {
    case .gptNeoX(let c): return GPTNeoXForCausalLM(c, generator: &generator)
    case .mamba(let c): return MambaForCausalLM(c, generator: &generator)
    }
}
