import Foundation

/// How per-token losses become one number.
public enum CrossEntropyReduction: Equatable, Sendable {
    /// Mean over all tokens that are not ignored (PyTorch's default; NaN when all are ignored).
    case mean
    /// The paper's rule: mean over each sequence's counted tokens, then mean over sequences
    /// that have any. Rows are grouped into consecutive sequences of this length.
    case perSequence(length: Int)
}

extension Tensor {
    // crossEntropy: loss = Σ_r w_r·(logsumexp(x_r) − x_r[t_r]); dx_r = g·w_r·(softmax(x_r) − onehot(t_r))
    /// `self` is (…, V) logits; `targets` has one class per row (the leading dimensions flattened).
    public func crossEntropy(targets: [Int], ignoreIndex: Int = -100,
                             reduction: CrossEntropyReduction = .mean) -> Tensor {
        guard rank >= 1, let v = shape.last, v > 0 else {
            shapeFailure(ShapeError("crossEntropy: logits need a class axis, got shape \(shape)"))
        }
        let rows = count / v
        guard targets.count == rows else {
            shapeFailure(ShapeError("crossEntropy: \(targets.count) targets for logits of shape \(shape) (\(rows) rows)"))
        }
        if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || $0 >= v) }) {
            shapeFailure(ShapeError("crossEntropy: target \(bad) is outside 0..<\(v) (ignore index \(ignoreIndex))"))
        }
        // Weight of each row in the final average.
        var weight = [Float](repeating: 0, count: rows)
        switch reduction {
        case .mean:
            let valid = targets.filter { $0 != ignoreIndex }.count
            for r in 0..<rows where targets[r] != ignoreIndex { weight[r] = 1 / Float(valid) }
        case .perSequence(let length):
            guard length > 0, rows % length == 0 else {
                shapeFailure(ShapeError("crossEntropy: \(rows) rows do not split into sequences of length \(length)"))
            }
            let seqs = rows / length
            var counts = [Int](repeating: 0, count: seqs)
            for r in 0..<rows where targets[r] != ignoreIndex { counts[r / length] += 1 }
            let used = counts.filter { $0 > 0 }.count
            for r in 0..<rows where targets[r] != ignoreIndex {
                weight[r] = 1 / Float(counts[r / length] * used)
            }
        }
        let x = self
        let logProbs = Tensor(uninitializedShape: [rows, v])
        softmax_forward(x.data, logProbs.data, rows: rows, n: v, log: true)
        var loss: Double = 0
        var anyValid = false
        for r in 0..<rows where targets[r] != ignoreIndex {
            loss -= Double(weight[r]) * Double(logProbs.data[r * v + targets[r]])
            anyValid = true
        }
        let out = Tensor(scalar: anyValid ? Float(loss) : .nan)
        return out.recorded("crossEntropy", [x]) { c in
            let g = c.grad.item
            let gx = Tensor(uninitializedShape: x.shape)
            Parallel.forEach(rows, workPerItem: v * 2) { r in
                let dst = gx.data + r * v, lp = logProbs.data + r * v
                let w = weight[r] * g
                if w == 0 { dst.update(repeating: 0, count: v); return }
                let wv = Vec16(repeating: w)
                var i = 0
                while i + 16 <= v { store16(wv * exp16(load16(lp + i)), dst + i); i += 16 }
                while i < v { dst[i] = w * Foundation.exp(lp[i]); i += 1 }
                dst[targets[r]] -= w
            }
            return [gx]
        }
    }
}
