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

    /// Final hidden states (batch, length, hidden) before the final norm.
    func hiddenStates(_ tokens: TokenBatch) -> Tensor

    /// Final norm and output head on hidden rows (…, hidden) → (…, vocab).
    func head(_ hidden: Tensor) -> Tensor
}

extension CausalLM {
    /// Logits for every position: (batch, length, vocab).
    public func logits(_ tokens: TokenBatch) -> Tensor { head(hiddenStates(tokens)) }

    /// Logits at one chosen position per sequence: (batch, vocab). Training on the answer
    /// position runs the head on those rows only.
    public func logits(_ tokens: TokenBatch, at positions: [Int]) -> Tensor {
        precondition(positions.count == tokens.batch, "logits(at:): \(positions.count) positions for batch \(tokens.batch)")
        for p in positions where p < 0 || p >= tokens.length {
            fatalError("logits(at:): position \(p) is outside 0..<\(tokens.length)")
        }
        let h = hiddenStates(tokens)
        let width = h.shape[2]
        let rows = h.reshape([tokens.batch * tokens.length, width])
            .indexSelect(positions.enumerated().map { $0.offset * tokens.length + $0.element })
        return head(rows)
    }
}

/// Builds the model a configuration describes, initialised as transformers would.
public func makeModel(_ config: ModelConfig, generator: inout RandomGenerator) -> CausalLM {
    switch config {
    case .gptNeoX(let c): return GPTNeoXForCausalLM(c, generator: &generator)
    case .mamba(let c): return MambaForCausalLM(c, generator: &generator)
    }
}
