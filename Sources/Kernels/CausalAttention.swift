import Foundation
import TensorCore

// Causal self-attention for GPT-NeoX, fused from the qkv projection to the merged heads.
//
//   qkv (B, T, H·3·hs), per head laid out [q | k | v] as transformers' query_key_value emits it
//   q, k ← rotary(q), rotary(k)              (RotaryEmbedding: NeoX half-split, partial width)
//   S = q·kᵀ/√hs with S_ij = −∞ for j > i    P = softmax(S)      O = P·v
//   out (B, T, H·hs) = heads merged
//
// Flash-style: each (batch, head) runs on one core; queries go in tiles of 4 rows and keys in
// blocks of 64 with an online softmax (running max m, running sum l), so no T×T matrix exists.
// The forward saves only lse_i = m_i + log l_i per row; the backward recomputes
// P_ij = exp(S_ij − lse_i) block by block and forms dS = P ⊙ (dP − rowsum(dO ⊙ O)).
// Inner products run as SIMD16 over keys against kᵀ and vᵀ copies, and as SIMD16 over the
// head dimension for the P·v, dS·k and dS·q updates (head dims padded to 16 with zeros).

/// Sizes of one attention call.
public struct AttentionShape: Equatable {
    public let batch: Int, length: Int, heads: Int, headSize: Int
    var paddedHead: Int { (headSize + 15) / 16 * 16 }
    var paddedLength: Int { (length + 15) / 16 * 16 }

    public init(qkv: [Int], heads: Int, rotary: RotaryEmbedding) throws {
        guard qkv.count == 3 else { throw ShapeError("causalAttention: qkv must be (batch, length, heads·3·head_size), got \(qkv)") }
        guard heads > 0, qkv[2] == heads * 3 * rotary.headSize else {
            throw ShapeError("causalAttention: qkv shape \(qkv) does not hold \(heads) heads of 3·\(rotary.headSize) (want last dimension \(heads * 3 * rotary.headSize))")
        }
        batch = qkv[0]; length = qkv[1]; self.heads = heads; headSize = rotary.headSize
    }
}

/// Per-(batch, head) working copies: q (scaled, rotated) and k, v as rows and as columns.
struct HeadBuffers {
    let q, k, kt, v, vt: UnsafeMutablePointer<Float>
    let s: AttentionShape

    init(_ s: AttentionShape) {
        self.s = s
        let (tp, hp, hs) = (s.paddedLength, s.paddedHead, s.headSize)
        q = .allocate(capacity: tp * hp); k = .allocate(capacity: tp * hp); v = .allocate(capacity: tp * hp)
        kt = .allocate(capacity: hs * tp); vt = .allocate(capacity: hs * tp)
        for p in [q, k, v] { p.update(repeating: 0, count: tp * hp) }
        for p in [kt, vt] { p.update(repeating: 0, count: hs * tp) }
    }

    func free() { for p in [q, k, kt, v, vt] { p.deallocate() } }

    /// Gathers head h of batch b from qkv (B,T,H·3·hs), applying rotary and the score scale.
    func load(_ qkv: UnsafePointer<Float>, b: Int, h: Int, rotary: RotaryEmbedding,
              cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, scale: Float) {
        let (T, H, hs, hp, tp, half) = (s.length, s.heads, s.headSize, s.paddedHead, s.paddedLength, rotary.half)
        for i in 0..<T {
            let src = qkv + ((b * T + i) * H + h) * 3 * hs
            let qi = q + i * hp, ki = k + i * hp, vi = v + i * hp
            qi.update(from: src, count: hs)
            ki.update(from: src + hs, count: hs)
            vi.update(from: src + 2 * hs, count: hs)
            rotary_forward(qi, cos + i * half, sin + i * half, half: half)
            rotary_forward(ki, cos + i * half, sin + i * half, half: half)
            for d in 0..<hs {
                qi[d] *= scale
                kt[d * tp + i] = ki[d]
                vt[d * tp + i] = vi[d]
            }
        }
    }
}

/// Lane positions 0…15, for causal masks inside a key block.
@usableFromInline let laneIndex = Vec16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/// Keys per block: four SIMD16 vectors of scores per query row.
let keyBlock = 64

/// Scores of up to 4 query rows against keys jb..<jb+64, masked causally, into sBuf (4 × 64):
/// s_r[j] = Σ_d a_r[d]·bᵀ[d, j] where a is q (rows) or dO, and bᵀ is kᵀ or vᵀ.
@inline(__always)
func rowBlockProducts(_ a: UnsafePointer<Float>, _ bt: UnsafePointer<Float>, hs: Int, hp: Int, tp: Int,
                      i0: Int, rows: Int, jb: Int, mask: Bool, _ sBuf: UnsafeMutablePointer<Float>) {
    let nv = min(4, (tp - jb) / 16)   // vectors that exist in the padded key range
    for r in 0..<rows {
        var s0 = Vec16(), s1 = Vec16(), s2 = Vec16(), s3 = Vec16()
        let ar = a + (i0 + r) * hp
        for d in 0..<hs {
            let x = Vec16(repeating: ar[d]), row = bt + d * tp + jb
            s0 = fma16(x, load16(row), s0)
            if nv > 1 { s1 = fma16(x, load16(row + 16), s1) }
            if nv > 2 { s2 = fma16(x, load16(row + 32), s2) }
            if nv > 3 { s3 = fma16(x, load16(row + 48), s3) }
        }
        if mask {
            let i = Float(i0 + r), j = laneIndex + Float(jb)
            s0.replace(with: -.infinity, where: j .> i)
            s1.replace(with: -.infinity, where: j + 16 .> i)
            s2.replace(with: -.infinity, where: j + 32 .> i)
            s3.replace(with: -.infinity, where: j + 48 .> i)
        }
        let o = sBuf + r * keyBlock
        store16(s0, o); store16(s1, o + 16); store16(s2, o + 32); store16(s3, o + 48)
        if nv < 4 { for k in (nv * 16)..<keyBlock { o[k] = -.infinity } }
    }
}

/// out (B,T,H·hs) and lse (B,H,T) from qkv (B,T,H·3·hs)
func causal_attention_forward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                              cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>) {
    let (T, H, hs, hp, tp) = (s.length, s.heads, s.headSize, s.paddedHead, s.paddedLength)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(s.batch * H, workPerItem: T * T * hs) { item in
        let b = item / H, h = item % H
        let hb = HeadBuffers(s)
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: 4 * hp)
        let sBuf = UnsafeMutablePointer<Float>.allocate(capacity: 4 * keyBlock)
        let ml = UnsafeMutablePointer<Float>.allocate(capacity: 8)   // m_r, then l_r
        defer { hb.free(); acc.deallocate(); sBuf.deallocate(); ml.deallocate() }
        hb.load(qkv, b: b, h: h, rotary: rotary, cos: cos, sin: sin, scale: scale)
        for i0 in stride(from: 0, to: T, by: 4) {
            let rows = min(4, T - i0)
            for r in 0..<4 { ml[r] = -.infinity; ml[4 + r] = 0 }
            acc.update(repeating: 0, count: 4 * hp)
            for jb in stride(from: 0, through: i0 + rows - 1, by: keyBlock) {
                rowBlockProducts(hb.q, hb.kt, hs: hs, hp: hp, tp: tp, i0: i0, rows: rows, jb: jb,
                                 mask: jb + keyBlock > i0, sBuf)
                for r in 0..<rows {
                    let sr = sBuf + r * keyBlock
                    var vmax = load16(sr)
                    for k in stride(from: 16, to: keyBlock, by: 16) {
                        let x = load16(sr + k); vmax.replace(with: x, where: vmax .< x)
                    }
                    let blockMax = hmax16(vmax)
                    let mNew = max(ml[r], blockMax)
                    let corr = Foundation.exp(ml[r] - mNew)
                    let mv = Vec16(repeating: mNew)
                    var psum = Vec16()
                    for k in stride(from: 0, to: keyBlock, by: 16) {
                        let p = exp16(load16(sr + k) - mv)
                        store16(p, sr + k)
                        psum += p
                    }
                    ml[4 + r] = ml[4 + r] * corr + hsum16(psum)
                    ml[r] = mNew
                    // acc_r = corr·acc_r + Σ_j p_j·v_j, one SIMD16 of the head at a time in a register.
                    let keys = min(keyBlock, i0 + r + 1 - jb), cv = Vec16(repeating: corr)
                    for d in stride(from: 0, to: hp, by: 16) {
                        var a = load16(acc + r * hp + d) * cv
                        var vj = hb.v + jb * hp + d
                        for jj in 0..<keys { a = fma16(Vec16(repeating: sr[jj]), load16(vj), a); vj += hp }
                        store16(a, acc + r * hp + d)
                    }
                }
            }
            for r in 0..<rows {
                let i = i0 + r
                let dst = out + ((b * T + i) * H + h) * hs, inv = 1 / ml[4 + r]
                for d in 0..<hs { dst[d] = acc[r * hp + d] * inv }
                lse[(b * H + h) * T + i] = ml[r] + Foundation.log(ml[4 + r])
            }
        }
    }
}

/// dqkv (B,T,H·3·hs) from dOut (B,T,H·hs), recomputing probabilities from lse.
func causal_attention_backward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                               cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                               out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                               dqkv: UnsafeMutablePointer<Float>) {
    let (T, H, hs, hp, tp, half) = (s.length, s.heads, s.headSize, s.paddedHead, s.paddedLength, rotary.half)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(s.batch * H, workPerItem: T * T * hs * 2) { item in
        let b = item / H, h = item % H
        let hb = HeadBuffers(s)
        let dO = UnsafeMutablePointer<Float>.allocate(capacity: tp * hp)
        let dOt = UnsafeMutablePointer<Float>.allocate(capacity: hs * tp)
        let dQ = UnsafeMutablePointer<Float>.allocate(capacity: tp * hp)
        let dK = UnsafeMutablePointer<Float>.allocate(capacity: tp * hp)
        let dV = UnsafeMutablePointer<Float>.allocate(capacity: tp * hp)
        let rowD = UnsafeMutablePointer<Float>.allocate(capacity: tp)
        let pBuf = UnsafeMutablePointer<Float>.allocate(capacity: 4 * keyBlock)
        let dsBuf = UnsafeMutablePointer<Float>.allocate(capacity: 4 * keyBlock)
        defer { hb.free(); for p in [dO, dOt, dQ, dK, dV, rowD, pBuf, dsBuf] { p.deallocate() } }
        hb.load(qkv, b: b, h: h, rotary: rotary, cos: cos, sin: sin, scale: scale)
        for p in [dO, dQ, dK, dV] { p.update(repeating: 0, count: tp * hp) }
        dOt.update(repeating: 0, count: hs * tp)
        for i in 0..<T {
            let g = dOut + ((b * T + i) * H + h) * hs, o = out + ((b * T + i) * H + h) * hs
            var dot: Float = 0
            for d in 0..<hs { dO[i * hp + d] = g[d]; dOt[d * tp + i] = g[d]; dot += g[d] * o[d] }
            rowD[i] = dot
        }
        for i0 in stride(from: 0, to: T, by: 4) {
            let rows = min(4, T - i0)
            for jb in stride(from: 0, through: i0 + rows - 1, by: keyBlock) {
                let mask = jb + keyBlock > i0
                rowBlockProducts(hb.q, hb.kt, hs: hs, hp: hp, tp: tp, i0: i0, rows: rows, jb: jb, mask: mask, pBuf)
                rowBlockProducts(dO, hb.vt, hs: hs, hp: hp, tp: tp, i0: i0, rows: rows, jb: jb, mask: false, dsBuf)
                // P = exp(S − lse) (0 where masked); dS = P ⊙ (dP − D)
                for r in 0..<rows {
                    let i = i0 + r
                    let lv = Vec16(repeating: lse[(b * H + h) * T + i]), dv = Vec16(repeating: rowD[i])
                    for k in stride(from: 0, to: keyBlock, by: 16) {
                        let p = exp16(load16(pBuf + r * keyBlock + k) - lv)
                        store16(p, pBuf + r * keyBlock + k)
                        store16(p * (load16(dsBuf + r * keyBlock + k) - dv), dsBuf + r * keyBlock + k)
                    }
                }
                let keys = min(keyBlock, i0 + rows - jb)
                for d in stride(from: 0, to: hp, by: 16) {
                    // dV_j += Σ_r P_rj·dO_r and dK_j += Σ_r dS_rj·q_r, summed over the tile's rows in registers.
                    for jj in 0..<keys {
                        let j = jb + jj
                        var dv = load16(dV + j * hp + d), dk = load16(dK + j * hp + d)
                        for r in 0..<rows {
                            dv = fma16(Vec16(repeating: pBuf[r * keyBlock + jj]), load16(dO + (i0 + r) * hp + d), dv)
                            dk = fma16(Vec16(repeating: dsBuf[r * keyBlock + jj]), load16(hb.q + (i0 + r) * hp + d), dk)
                        }
                        store16(dv, dV + j * hp + d)
                        store16(dk, dK + j * hp + d)
                    }
                    // dQ_r += Σ_j dS_rj·k_j
                    for r in 0..<rows {
                        var dq = load16(dQ + (i0 + r) * hp + d)
                        var kj = hb.k + jb * hp + d
                        let ds = dsBuf + r * keyBlock
                        for jj in 0..<keys { dq = fma16(Vec16(repeating: ds[jj]), load16(kj), dq); kj += hp }
                        store16(dq, dQ + (i0 + r) * hp + d)
                    }
                }
            }
        }
        // Back through the scale (q was pre-scaled) and the rotary rotation, into qkv's layout.
        for i in 0..<T {
            let dst = dqkv + ((b * T + i) * H + h) * 3 * hs
            let dq = dQ + i * hp, dk = dK + i * hp
            for d in 0..<hs { dq[d] *= scale }
            rotary_backward(dq, cos + i * half, sin + i * half, half: half)
            rotary_backward(dk, cos + i * half, sin + i * half, half: half)
            dst.update(from: dq, count: hs)
            (dst + hs).update(from: dk, count: hs)
            (dst + 2 * hs).update(from: dV + i * hp, count: hs)
        }
    }
}

extension Tensor {
    /// GPT-NeoX causal self-attention from the fused qkv projection (B, T, H·3·hs) to the
    /// merged heads (B, T, H·hs), rotary included. Matches `causalAttentionReference`.
    public static func causalAttention(qkv: Tensor, heads: Int, rotary: RotaryEmbedding) -> Tensor {
        let s: AttentionShape
        do { s = try AttentionShape(qkv: qkv.shape, heads: heads, rotary: rotary) } catch { fatalError("\(error)") }
        let (cosT, sinT) = rotary.tables(length: s.length)
        let tables = Tensor(cosT + sinT, shape: [2, s.length * rotary.half])
        let cos = tables.data, sin = tables.data + s.length * rotary.half
        let out = Tensor(uninitializedShape: [s.batch, s.length, heads * s.headSize])
        let lse = Tensor(uninitializedShape: [s.batch, heads, s.length])
        causal_attention_forward(s, rotary: rotary, qkv: qkv.data, cos: cos, sin: sin, out: out.data, lse: lse.data)
        return out.recorded("causalAttention", [qkv]) { c in
            let dqkv = Tensor(uninitializedShape: qkv.shape)
            causal_attention_backward(s, rotary: rotary, qkv: qkv.data, cos: tables.data,
                                      sin: tables.data + s.length * rotary.half, out: c.output.data,
                                      lse: lse.data, dOut: c.grad.data, dqkv: dqkv.data)
            return [dqkv]
        }
    }
}
