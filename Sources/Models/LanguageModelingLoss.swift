import TensorCore

/// transformers' causal-LM loss: logits at positions 0…L−2 predict tokens 1…L−1, mean
/// cross-entropy over all batch×(L−1) positions. Returns (logits (B, L, V), loss).
public func nextTokenLoss(_ model: CausalLM, _ tokens: TokenBatch) -> (logits: Tensor, loss: Tensor) {
    let logits = model.logits(tokens)
    precondition(tokens.length >= 2, "nextTokenLoss: sequences need at least 2 tokens, got \(tokens.length)")
    let shifted = logits.narrow(axis: 1, start: 0, length: tokens.length - 1)
    var targets: [Int] = []
    targets.reserveCapacity(tokens.batch * (tokens.length - 1))
    for b in 0..<tokens.batch { for t in 1..<tokens.length { targets.append(tokens.ids[b * tokens.length + t]) } }
    return (logits, shifted.crossEntropy(targets: targets))
}

extension ParameterStore {
    /// The gradient under every state_dict key (tied keys share their primary's total gradient);
    /// zeros for parameters that received none.
    public var gradientsByKey: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for key in allKeys { out[key] = self[key].grad ?? Tensor.zeros(self[key].shape) }
        return out
    }
}
