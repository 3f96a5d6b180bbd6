import Foundation
import TensorCore

// Causal attention for one query row per sequence (the answer position), over its prefix.
//
//   qkv (B, T, H·3·hs) as for causalAttention; p_b = the query row of sequence b
//   q = rotary(q_{p_b})/√hs    k_j = rotary(k_j), j ≤ p_b
//   P_j = softmax_j(q·k_j)     out_b = Σ_j P_j v_j          out (B, H·hs)
//
// Why: a model trained on the answer position only needs its last layer at that row, so the
// last layer's attention is B·H rows of length ≤ T instead of B·H·T rows. The work is
// O(B·H·T·hs), so plain loops suffice; the forward keeps P (B, H, T) for the backward.

/// out (R, H·hs), probs (R, H, T) (zero beyond each row's p)   // qkv is (B, T, H·3·hs), rows (R) of b·T + p
func causal_attention_at_forward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                                 rows: UnsafeBufferPointer<Int>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                 out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>) {
    let (T, H, hs, half) = (s.length, s.heads, s.headSize, rotary.half)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(rows.count * H, workPerItem: T * hs * 4) { item in
        let r = item / H, h = item % H, b = rows[r] / T, p = rows[r] % T
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 2 * hs), k = q + hs
        defer { q.deallocate() }
        func row(_ j: Int) -> UnsafePointer<Float> { qkv + ((b * T + j) * H + h) * 3 * hs }
        copyRow(row(p), q, count: hs)
        rotary_forward(q, cos + p * half, sin + p * half, half: half)
        let P = probs + item * T
        var m = -Float.infinity
        for j in 0...p {
            if j + attentionRowsAhead <= p { prefetch(row(j + attentionRowsAhead) + hs, count: 2 * hs) }
            copyRow(row(j) + hs, k, count: hs)
            rotary_forward(k, cos + j * half, sin + j * half, half: half)
            P[j] = dotRow(q, k, count: hs) * scale
            m = max(m, P[j])
        }
        var sum: Float = 0
        for j in 0...p { P[j] = Foundation.exp(P[j] - m); sum += P[j] }
        for j in 0...p { P[j] /= sum }
        (P + p + 1).update(repeating: 0, count: T - p - 1)
        let o = out + (r * H + h) * hs
        o.update(repeating: 0, count: hs)
        for j in 0...p { axpyRow(P[j], row(j) + 2 * hs, into: o, count: hs) }
    }
}

/// Adds into dqkv (B, T, H·3·hs) what each answer row's attention contributes; zero elsewhere.
/// Each task writes a disjoint part (one head of one sequence), so sequences with several rows
/// run their rows in order within one task: the sum is the same on any thread count.
/// // out, dOut are (R, H·hs), probs (R, H, T) from the forward; rows ascend within a sequence
func causal_attention_at_backward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                                  rows: UnsafeBufferPointer<Int>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                  probs: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                  dqkv: UnsafeMutablePointer<Float>) {
    let (T, H, hs, half) = (s.length, s.heads, s.headSize, rotary.half)
    let scale = 1 / Float(hs).squareRoot()
    // The rows of each sequence: [first[b], first[b + 1]) in `rows`.
    var first = [Int](repeating: 0, count: s.batch + 1)
    for r in rows { first[r / T + 1] += 1 }
    for b in 0..<s.batch { first[b + 1] += first[b] }
    Parallel.forEach(s.batch * H, workPerItem: (first[s.batch] / max(1, s.batch)) * T * hs * 8 + 1) { item in
        let b = item / H, h = item % H
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 4 * hs), k = q + hs, dq = q + 2 * hs, dk = q + 3 * hs
        defer { q.deallocate() }
        func row(_ j: Int) -> UnsafePointer<Float> { qkv + ((b * T + j) * H + h) * 3 * hs }
        func grad(_ j: Int) -> UnsafeMutablePointer<Float> { dqkv + ((b * T + j) * H + h) * 3 * hs }
        for r in first[b]..<first[b + 1] {
            let p = rows[r] % T, ri = r * H + h
            copyRow(row(p), q, count: hs)
            rotary_forward(q, cos + p * half, sin + p * half, half: half)
            let P = probs + ri * T, dO = dOut + ri * hs, o = out + ri * hs
            // D = Σ_j P_j (dO·v_j) = dO·out
            let D = dotRow(dO, o, count: hs)
            dq.update(repeating: 0, count: hs)
            for j in 0...p {
                if j + attentionRowsAhead <= p { prefetch(row(j + attentionRowsAhead) + hs, count: 2 * hs); prefetch(grad(j + attentionRowsAhead) + hs, count: 2 * hs) }
                let g = grad(j)
                let dp = dotRow(dO, row(j) + 2 * hs, count: hs)
                axpyRow(P[j], dO, into: g + 2 * hs, count: hs)                          // dv_j += P_j dO
                let ds = P[j] * (dp - D) * scale
                copyRow(row(j) + hs, k, count: hs)
                rotary_forward(k, cos + j * half, sin + j * half, half: half)
                axpyRow(ds, k, into: dq, count: hs)                                     // dq += dS_j k_j
                dk.update(repeating: 0, count: hs)
                axpyRow(ds, q, into: dk, count: hs)                                     // dk_j += dS_j q
                rotary_backward(dk, cos + j * half, sin + j * half, half: half)
                axpyRow(1, dk, into: g + hs, count: hs)
            }
            rotary_backward(dq, cos + p * half, sin + p * half, half: half)
            axpyRow(1, dq, into: grad(p), count: hs)
        }
    }
}

extension Tensor {
    /// GPT-NeoX causal attention evaluated at chosen query rows: (R, H·hs), row i equal to row
    /// `rows[i]` (= b·T + p) of `causalAttention(qkv:heads:rotary:)` flattened to (B·T, H·hs).
    /// Rows must be distinct and ascend within each sequence.
    public static func causalAttention(qkv: Tensor, heads: Int, rotary: RotaryEmbedding, atRows rows: [Int]) -> Tensor {
        let s: AttentionShape
        do {
            s = try AttentionShape(qkv: qkv.shape, heads: heads, rotary: rotary)
            for (i, r) in rows.enumerated() {
                guard r >= 0, r < s.batch * s.length else {
                    throw ShapeError("causalAttention(atRows:): row \(r) is outside 0..<\(s.batch * s.length) (qkv \(qkv.shape))")
                }
                if i > 0, r / s.length == rows[i - 1] / s.length, r <= rows[i - 1] {
                    throw ShapeError("causalAttention(atRows:): rows \(rows[i - 1]) then \(r) of one sequence do not ascend")
                }
            }
        } catch { fatalError("\(error)") }
        let tables = RotaryTables(rotary, length: s.length)
        let out = Tensor(uninitializedShape: [rows.count, heads * s.headSize])
        let probs = Tensor(uninitializedShape: [rows.count, heads, s.length])
        rows.withUnsafeBufferPointer { rows in
            causal_attention_at_forward(s, rotary: rotary, qkv: qkv.data, rows: rows,
                                        cos: tables.cos, sin: tables.sin, out: out.data, probs: probs.data)
        }
        return out.recorded("causalAttention(atRows:)", [qkv]) { c in
            let dqkv = Tensor.zeros(qkv.shape)
            rows.withUnsafeBufferPointer { rows in
                causal_attention_at_backward(s, rotary: rotary, qkv: qkv.data, rows: rows,
                                             cos: tables.cos, sin: tables.sin, probs: probs.data,
                                             out: c.output.data, dOut: c.grad.data, dqkv: dqkv.data)
            }
            return [dqkv]
        }
    }

    /// At one query row per sequence: (B, H·hs), row b equal to row `positions[b]` of sequence b.
    public static func causalAttention(qkv: Tensor, heads: Int, rotary: RotaryEmbedding, at positions: [Int]) -> Tensor {
        let (batch, length) = (qkv.shape[0], qkv.shape[1])
        guard positions.count == batch, positions.allSatisfy({ $0 >= 0 && $0 < length }) else {
            fatalError("\(ShapeError("causalAttention(at:): positions \(positions) do not fit batch \(batch) of length \(length) (qkv \(qkv.shape))"))")
        }
        return causalAttention(qkv: qkv, heads: heads, rotary: rotary, atRows: positions.enumerated().map { $0.offset * length + $0.element })
    }
}
