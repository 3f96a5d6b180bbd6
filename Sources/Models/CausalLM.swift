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

/// A causal language model as a stack of typed layers, built once from a configuration:
/// embedding → blocks → final norm → head, with transformers' parameter names and semantics.
/// Every family (GPT-NeoX, Mamba, Mamba-2, hybrids) is this class with its own blocks.
public final class CausalLM {
    public let config: ModelConfig
    /// The state_dict view of every layer's fields (same tensors), in transformers' key order.
    public let parameters = ParameterStore()
    public let embedding: Tensor            // (vocab, hidden)
    public let blocks: [Block]
    public let finalNorm: RowNorm
    /// The output head's weight (vocab, hidden); the embedding itself when tied.
    public let headWeight: Tensor

    /// Where each part sits in the state_dict.
    public struct Keys {
        public var embedding: String
        public var layer: (Int) -> String
        public var finalNorm: String
        /// lm_head's key; when tied it is an alias of the embedding's.
        public var head = "lm_head.weight"
        public var tied: Bool

        public init(embedding: String, layer: @escaping (Int) -> String, finalNorm: String, head: String = "lm_head.weight", tied: Bool) {
            self.embedding = embedding; self.layer = layer; self.finalNorm = finalNorm; self.head = head; self.tied = tied
        }
    }

    public init(config: ModelConfig, embedding: Tensor, blocks: [Block], finalNorm: RowNorm, head: Tensor?, keys: Keys) {
        precondition((head == nil) == keys.tied, "CausalLM: a tied model has no head of its own")
        self.config = config; self.embedding = embedding; self.blocks = blocks; self.finalNorm = finalNorm
        headWeight = head ?? embedding
        parameters.add(keys.embedding, embedding)
        for (l, block) in blocks.enumerated() { block.register(in: parameters, prefix: keys.layer(l)) }
        finalNorm.register(in: parameters, prefix: keys.finalNorm)
        if let head { parameters.add(keys.head, head) } else { parameters.alias(keys.head, to: keys.embedding) }
    }

    /// Final hidden states before the final norm: (batch, length, hidden), or with `rows` (flat
    /// indices b·length + t, ascending within a sequence) (rows, hidden): the same function as
    /// those rows, with the last block told so (it may skip work after its sequence mixing). With
    /// `vocabularyTables` the first block may run its token-wise work once per vocabulary entry
    /// (TokenwiseInput). Without either, every block on every row, as transformers.
    public func hiddenStates(_ tokens: TokenBatch, atRows rows: [Int]?, vocabularyTables tables: Bool) -> Tensor {
        var x = embedding.embedding(tokens.ids, shape: [tokens.batch, tokens.length])
        for (l, block) in blocks.enumerated() {
            let last = l == blocks.count - 1
            x = block.forward(BlockInput(x: x, tokens: tokens, table: l == 0 && tables ? embedding : nil,
                                         rows: last ? rows : nil))
        }
        return x
    }

    /// Final norm and output head on hidden rows (…, hidden) → (…, vocab).
    public func head(_ hidden: Tensor) -> Tensor { finalNorm(hidden).linear(headWeight) }

    /// Final hidden states (batch, length, hidden) of every layer on every row.
    public func hiddenStates(_ tokens: TokenBatch) -> Tensor { hiddenStates(tokens, atRows: nil, vocabularyTables: false) }

    /// Logits for every position: (batch, length, vocab).
    public func logits(_ tokens: TokenBatch) -> Tensor { head(hiddenStates(tokens)) }

    /// Logits at chosen rows (flat indices b·length + t, ascending within a sequence):
    /// (rows, vocab). Training on answer positions runs the last layer's tail and the head on
    /// those rows only; vocabulary tables are used when the batch has many more tokens than it
    /// reads distinct ids, unless `vocabularyTables` says.
    public func logits(_ tokens: TokenBatch, atRows rows: [Int], vocabularyTables: Bool? = nil) -> Tensor {
        let tables = vocabularyTables ?? tokens.vocabularyTablesPay(vocabularySize: config.vocabSize)
        return head(hiddenStates(tokens, atRows: tokens.checked(rows), vocabularyTables: tables))
    }

    /// Logits at one position per sequence: (batch, vocab).
    public func logits(_ tokens: TokenBatch, at positions: [Int], vocabularyTables: Bool? = nil) -> Tensor {
        logits(tokens, atRows: tokens.rows(at: positions), vocabularyTables: vocabularyTables)
    }

    /// The same logits as `logits(_:atRows:)`, taken from the full forward (every layer on every
    /// row, no vocabulary tables), as PyTorch and transformers compute them: for comparisons.
    public func logitsFromFullForward(_ tokens: TokenBatch, atRows rows: [Int]) -> Tensor {
        head(hiddenStates(tokens).tokenRows(tokens.checked(rows)))
    }

    /// The same at one position per sequence.
    public func logitsFromFullForward(_ tokens: TokenBatch, at positions: [Int]) -> Tensor {
        logitsFromFullForward(tokens, atRows: tokens.rows(at: positions))
    }

    /// Forward + backward FLOPs of one training step on `batch` sequences of `sequence` tokens,
    /// the loss at `answerRows` rows in all (the batch size when each sequence has one answer):
    /// 3 × the forward, whose work each block reports for the shortcuts it takes.
    /// `tableEntries`: rows of the first layer's vocabulary table, or nil without tables;
    /// `answerOnly`: the trainer's answer-row forward.
    public func trainingFLOPs(batch: Int, sequence: Int, answerRows: Int? = nil, tableEntries: Int?, answerOnly: Bool) -> Double {
        let (B, T, A) = (Double(batch), Double(sequence), Double(answerRows ?? batch))
        let H = Double(embedding.shape[1]), V = Double(embedding.shape[0])
        var total = A * 2 * H * V   // the head, at the answer rows only (as the PyTorch anchor)
        for (l, block) in blocks.enumerated() {
            let r = BlockRefinement(tables: l == 0 && tableEntries != nil, answerOnly: answerOnly && l == blocks.count - 1)
            let f = block.flops(sequence: sequence, refined: r)
            total += B * T * f.perToken + A * f.perSequence + Double(tableEntries ?? 0) * f.perEntry
        }
        return 3 * total
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

    /// `rows` when every one is a row of this batch, distinct and ascending within its sequence.
    func checked(_ rows: [Int]) -> [Int] {
        for (i, r) in rows.enumerated() {
            precondition(r >= 0 && r < batch * length, "rows: row \(r) is outside 0..<\(batch * length)")
            precondition(i == 0 || r / length != rows[i - 1] / length || r > rows[i - 1],
                         "rows: \(rows[i - 1]) then \(r) do not ascend within their sequence")
        }
        return rows
    }
}
