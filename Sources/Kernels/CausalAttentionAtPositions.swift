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

/// out (B, H·hs), probs (B, H, T) (zero beyond p_b)   // qkv is (B, T, H·3·hs), positions (B)
func causal_attention_at_forward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                                 positions: UnsafePointer<Int>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                 out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>) {
    let (T, H, hs, half) = (s.length, s.heads, s.headSize, rotary.half)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(s.batch * H, workPerItem: T * hs * 4) { item in
        let b = item / H, h = item % H, p = positions[b]
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 2 * hs), k = q + hs
        defer { q.deallocate() }
        func row(_ j: Int) -> UnsafePointer<Float> { qkv + ((b * T + j) * H + h) * 3 * hs }
        q.update(from: row(p), count: hs)
        rotary_forward(q, cos + p * half, sin + p * half, half: half)
        let P = probs + item * T
        var m = -Float.infinity
        for j in 0...p {
            k.update(from: row(j) + hs, count: hs)
            rotary_forward(k, cos + j * half, sin + j * half, half: half)
            var dot: Float = 0
            for d in 0..<hs { dot += q[d] * k[d] }
            P[j] = dot * scale
            m = max(m, P[j])
        }
        var sum: Float = 0
        for j in 0...p { P[j] = Foundation.exp(P[j] - m); sum += P[j] }
        for j in 0...p { P[j] /= sum }
        (P + p + 1).update(repeating: 0, count: T - p - 1)
        let o = out + (b * H + h) * hs
        o.update(repeating: 0, count: hs)
        for j in 0...p {
            let v = row(j) + 2 * hs, w = P[j]
            for d in 0..<hs { o[d] += w * v[d] }
        }
    }
}

/// dqkv (B, T, H·3·hs), zero outside the rows and slots the answer rows read
/// // out, dOut are (B, H·hs), probs (B, H, T) from the forward
func causal_attention_at_backward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                                  positions: UnsafePointer<Int>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                  probs: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                  dqkv: UnsafeMutablePointer<Float>) {
    let (T, H, hs, half) = (s.length, s.heads, s.headSize, rotary.half)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(s.batch * H, workPerItem: T * hs * 8) { item in
        let b = item / H, h = item % H, p = positions[b]
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 3 * hs), k = q + hs, dq = q + 2 * hs
        defer { q.deallocate() }
        func row(_ j: Int) -> UnsafePointer<Float> { qkv + ((b * T + j) * H + h) * 3 * hs }
        func grad(_ j: Int) -> UnsafeMutablePointer<Float> { dqkv + ((b * T + j) * H + h) * 3 * hs }
        q.update(from: row(p), count: hs)
        rotary_forward(q, cos + p * half, sin + p * half, half: half)
        let P = probs + item * T, dO = dOut + (b * H + h) * hs, o = out + (b * H + h) * hs
        // D = Σ_j P_j (dO·v_j) = dO·out
        var D: Float = 0
        for d in 0..<hs { D += dO[d] * o[d] }
        dq.update(repeating: 0, count: hs)
        for j in 0...p {
            let v = row(j) + 2 * hs, g = grad(j)
            var dp: Float = 0
            for d in 0..<hs { dp += dO[d] * v[d]; g[2 * hs + d] = P[j] * dO[d] }   // dv_j = P_j dO
            let ds = P[j] * (dp - D) * scale
            k.update(from: row(j) + hs, count: hs)
            rotary_forward(k, cos + j * half, sin + j * half, half: half)
            for d in 0..<hs { dq[d] += ds * k[d]; g[hs + d] = ds * q[d] }          // dk_j = dS_j q
            rotary_backward(g + hs, cos + j * half, sin + j * half, half: half)
        }
        rotary_backward(dq, cos + p * half, sin + p * half, half: half)
        grad(p).update(from: dq, count: hs)
    }
}

extension Tensor {
    /// GPT-NeoX causal attention evaluated at one query row per sequence: (B, H·hs), equal to
    /// row `positions[b]` of `causalAttention(qkv:heads:rotary:)` for every sequence b.
    public static func causalAttention(qkv: Tensor, heads: Int, rotary: RotaryEmbedding, at positions: [Int]) -> Tensor {
        let s: AttentionShape
        do {
            s = try AttentionShape(qkv: qkv.shape, heads: heads, rotary: rotary)
            guard positions.count == s.batch else {
                throw ShapeError("causalAttention(at:): \(positions.count) positions for batch \(s.batch) (qkv \(qkv.shape))")
            }
            if let bad = positions.first(where: { $0 < 0 || $0 >= s.length }) {
                throw ShapeError("causalAttention(at:): position \(bad) is outside 0..<\(s.length) (qkv \(qkv.shape))")
            }
        } catch { fatalError("\(error)") }
        let tables = RotaryTables(rotary, length: s.length)
        let out = Tensor(uninitializedShape: [s.batch, heads * s.headSize])
        let probs = Tensor(uninitializedShape: [s.batch, heads, s.length])
        positions.withUnsafeBufferPointer { pos in
            causal_attention_at_forward(s, rotary: rotary, qkv: qkv.data, positions: pos.baseAddress!,
                                        cos: tables.cos, sin: tables.sin, out: out.data, probs: probs.data)
        }
        return out.recorded("causalAttention(at:)", [qkv]) { c in
            let dqkv = Tensor.zeros(qkv.shape)
            positions.withUnsafeBufferPointer { pos in
                causal_attention_at_backward(s, rotary: rotary, qkv: qkv.data, positions: pos.baseAddress!,
                                             cos: tables.cos, sin: tables.sin, probs: probs.data,
                                             out: c.output.data, dOut: c.grad.data, dqkv: dqkv.data)
            }
            return [dqkv]
        }
    }
}
