import Foundation
import TensorCore

// Causal self-attention for GPT-NeoX, fused from the qkv projection to the merged heads.
//
//   qkv (B, T, H·3·hs), per head laid out [q | k | v] as transformers' query_key_value emits it
//   q, k ← rotary(q), rotary(k)              (RotaryEmbedding: NeoX half-split, partial width)
//   S = q·kᵀ/√hs with S_ij = −∞ for j > i    P = softmax(S)      O = P·v
//   out (B, T, H·hs) = heads merged
//
// Flash-style: each (batch, head) runs on one core. Queries go in tiles of 128 rows and keys in
// blocks of 128 with an online softmax (running max m, running sum l), so no T×T matrix
// exists: the largest buffer is one 128×128 tile. The forward saves only lse_i = m_i + log l_i
// per row; the backward (FlashAttention-2 order: key blocks outer, query tiles inner)
// recomputes P = exp(S − lse) per tile and forms dS = P ⊙ (dP − rowsum(dO ⊙ O)).
// Every tile product (the scores q·kᵀ and dO·vᵀ, P·V, and the backward's dQ, dV, dK) has a
// shallow depth (the head size or one tile), where a cblas_sgemm call would spend most of its
// time packing: they go through attention_tile_forward, register-blocked over the causal part
// only. The softmax work runs as SIMD16 over keys.

/// Sizes of one attention call.
public struct AttentionShape: Equatable {
    public let batch: Int, length: Int, heads: Int, headSize: Int

    public init(qkv: [Int], heads: Int, rotary: RotaryEmbedding) throws {
        guard qkv.count == 3 else { throw ShapeError("causalAttention: qkv must be (batch, length, heads·3·head_size), got \(qkv)") }
        guard heads > 0, qkv[2] == heads * 3 * rotary.headSize else {
            throw ShapeError("causalAttention: qkv shape \(qkv) does not hold \(heads) heads of 3·\(rotary.headSize) (want last dimension \(heads * 3 * rotary.headSize))")
        }
        batch = qkv[0]; length = qkv[1]; self.heads = heads; headSize = rotary.headSize
    }
}

/// Query rows per tile and keys per block (a multiple of 16, so score rows are whole vectors).
let attentionTile = 128

/// A head's rows lie 3·H·hs floats apart in qkv (H·hs in out and dOut), beyond the hardware
/// prefetchers' reach: loops over a head's rows ask for the rows this many ahead.
let attentionRowsAhead = 4

/// Which pass gathers a head: the forward multiplies P·V (v in rows), the backward dS·K (k in rows).
enum AttentionPass { case forward, backward }

/// One head's operands, gathered into scratch that stays in cache: q (rotated, pre-scaled by
/// 1/√hs) in (T, hsPad) rows, zero-padded to whole vectors so the tile kernel can read them as
/// its B; k (rotated) transposed (hs, ldT) for the scores; and in rows the operand the pass
/// multiplies by: v for the forward's P·V, k for the backward's dS·K (`rows`).
struct HeadOperands {
    let q, rows, kT: UnsafeMutablePointer<Float>
    /// v of this head inside qkv, row stride `ldv`.
    let v: UnsafePointer<Float>
    let ldv: Int
    /// Row stride of q and k: the head size rounded up to whole vectors.
    let hsPad: Int
    /// Row stride of the transposed operands: T rounded up to whole vectors.
    let ldT: Int

    /// Allocates the scratch; `free()` releases it.
    init(_ qkv: UnsafePointer<Float>, _ s: AttentionShape, b: Int, h: Int) {
        hsPad = (s.headSize + 15) / 16 * 16
        ldT = (s.length + 15) / 16 * 16
        let n = max(s.length * hsPad, 1)
        q = .allocate(capacity: 2 * n + hsPad + s.headSize * ldT); rows = q + n; kT = rows + n + hsPad
        ldv = 3 * s.heads * s.headSize
        v = qkv + (b * s.length * s.heads + h) * 3 * s.headSize + 2 * s.headSize
    }

    func free() { q.deallocate() }

    /// Gathers head h of batch b from qkv (B,T,H·3·hs), rotating q and k and scaling q.
    func load(_ qkv: UnsafePointer<Float>, _ s: AttentionShape, b: Int, h: Int, rotary: RotaryEmbedding,
              cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, scale: Float, for pass: AttentionPass) {
        let (T, H, hs, half) = (s.length, s.heads, s.headSize, rotary.half)
        // The forward rotates k in the spare row past the last one before transposing it.
        let ki0 = rows + T * hsPad
        for i in 0..<T {
            let src = qkv + ((b * T + i) * H + h) * 3 * hs
            if i + attentionRowsAhead < T { prefetch(src + attentionRowsAhead * 3 * H * hs, count: 3 * hs) }
            let qi = q + i * hsPad, ki = pass == .backward ? rows + i * hsPad : ki0
            copyRow(src, qi, count: hs)
            copyRow(src + hs, ki, count: hs)
            (qi + hs).update(repeating: 0, count: hsPad - hs)
            (ki + hs).update(repeating: 0, count: hsPad - hs)
            rotary_forward(qi, cos + i * half, sin + i * half, half: half)
            rotary_forward(ki, cos + i * half, sin + i * half, half: half)
            scaleRow(qi, count: hs, by: scale)
            for d in 0..<hs { kT[d * ldT + i] = ki[d] }
            if pass == .forward {
                let vi = rows + i * hsPad
                copyRow(src + 2 * hs, vi, count: hs)
                (vi + hs).update(repeating: 0, count: hsPad - hs)
            }
        }
        for d in 0..<hs { (kT + d * ldT + T).update(repeating: 0, count: ldT - T) }
    }
}

/// Exponentiates one score row in place against `shift` (≥ every score, so the exponents are
/// ≤ 0 and the cheaper exp applies) for the first `valid` keys and zeroes
/// the rest up to `width` (a multiple of 16); returns Σ exp.
@inline(__always)
func expRow(_ row: UnsafeMutablePointer<Float>, valid: Int, width: Int, shift: Float) -> Float {
    let sv = Vec16(repeating: shift)
    var sum = Vec16()
    var k = 0
    while k + 16 <= valid {
        let p = expNonPositive16(load16(row + k) - sv)
        store16(p, row + k); sum += p; k += 16
    }
    if k < valid {
        var p = expNonPositive16(load16(row + k) - sv)
        p.replace(with: 0, where: laneIndex .>= Float(valid - k))
        store16(p, row + k); sum += p; k += 16
    }
    while k < width { store16(Vec16(), row + k); k += 16 }
    return hsum16(sum)
}

/// Lane positions 0…15, for masks inside a vector.
@usableFromInline let laneIndex = Vec16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/// out (B,T,H·hs) and lse (B,H,T) from qkv (B,T,H·3·hs)
func causal_attention_forward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                              cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>) {
    let (T, H, hs, Bt) = (s.length, s.heads, s.headSize, attentionTile)
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forEach(s.batch * H, workPerItem: T * T * hs) { item in
        let b = item / H, h = item % H
        let hv = HeadOperands(qkv, s, b: b, h: h)
        let hsPad = hv.hsPad
        let S = UnsafeMutablePointer<Float>.allocate(capacity: Bt * Bt), O = UnsafeMutablePointer<Float>.allocate(capacity: Bt * hsPad)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: Bt), l = UnsafeMutablePointer<Float>.allocate(capacity: Bt)
        defer { hv.free(); S.deallocate(); O.deallocate(); m.deallocate(); l.deallocate() }
        hv.load(qkv, s, b: b, h: h, rotary: rotary, cos: cos, sin: sin, scale: scale, for: .forward)
        for i0 in stride(from: 0, to: T, by: Bt) {
            let rows = min(Bt, T - i0)
            m.update(repeating: -.infinity, count: rows); l.update(repeating: 0, count: rows)
            O.update(repeating: 0, count: rows * hsPad)
            for j0 in stride(from: 0, to: i0 + rows, by: Bt) {
                let cols = min(Bt, i0 + rows - j0)
                attention_tile_forward(TileOperands(a: hv.q + i0 * hsPad, lda: hsPad, bT: hv.kT + j0, ldb: hv.ldT, c: S, ldc: Bt,
                                                    rows: rows, cols: cols, depth: hs, mask: .columnsPerRow, diagonal: i0 - j0))
                for r in 0..<rows {
                    let row = S + r * Bt, valid = min(cols, i0 + r + 1 - j0)
                    guard valid > 0 else { row.update(repeating: 0, count: Bt); continue }
                    var vmax = Vec16(repeating: -.infinity)
                    var k = 0
                    while k < valid {
                        var x = load16(row + k)
                        if valid - k < 16 { x.replace(with: -.infinity, where: laneIndex .>= Float(valid - k)) }
                        vmax.replace(with: x, where: vmax .< x); k += 16
                    }
                    let mNew = max(m[r], hmax16(vmax))
                    let corr = Foundation.exp(m[r] - mNew)
                    l[r] = l[r] * corr + expRow(row, valid: valid, width: (cols + 15) / 16 * 16, shift: mNew)
                    m[r] = mNew
                    if corr != 1 { scaleRow(O + r * hsPad, count: hs, by: corr) }
                }
                // O += P·V_block
                attention_tile_forward(TileOperands(a: S, lda: Bt, bT: hv.rows + j0 * hsPad, ldb: hsPad, c: O, ldc: hsPad,
                                                    rows: rows, cols: hs, depth: cols, mask: .depthUpToRow, diagonal: i0 - j0,
                                                    accumulate: true))
            }
            for r in 0..<rows {
                let dst = out + ((b * T + i0 + r) * H + h) * hs
                scaleRow(O + r * hsPad, count: hs, by: 1 / l[r])
                copyRow(O + r * hsPad, dst, count: hs)
                lse[(b * H + h) * T + i0 + r] = m[r] + Foundation.log(l[r])
            }
        }
    }
}

/// Per-head scratch of the backward: v transposed (hs, ldT) for the dP scores, dO gathered into
/// padded rows, and the gradients (T, hsPad) before they go back through scale and rotation.
struct HeadGradients {
    let vT: UnsafeMutablePointer<Float>                  // (hs, ldT)
    let dO, dQ, dK, dV: UnsafeMutablePointer<Float>      // each (T, hsPad)

    init(_ s: AttentionShape, _ hv: HeadOperands) {
        let t = s.headSize * hv.ldT, p = s.length * hv.hsPad
        vT = .allocate(capacity: t + 4 * p)
        dO = vT + t; dQ = dO + p; dK = dQ + p; dV = dK + p
        dQ.update(repeating: 0, count: 3 * p)
    }

    func free() { vT.deallocate() }
}

/// dqkv (B,T,H·3·hs) from dOut (B,T,H·hs), recomputing probabilities from lse.
func causal_attention_backward(_ s: AttentionShape, rotary: RotaryEmbedding, qkv: UnsafePointer<Float>,
                               cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                               out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                               dqkv: UnsafeMutablePointer<Float>) {
    let (T, H, hs, half, Bt) = (s.length, s.heads, s.headSize, rotary.half, attentionTile)
    let scale = 1 / Float(hs).squareRoot()
    let ldo = H * hs   // row stride of out and dOut
    Parallel.forEach(s.batch * H, workPerItem: T * T * hs * 2) { item in
        let b = item / H, h = item % H
        let hv = HeadOperands(qkv, s, b: b, h: h)
        let g = HeadGradients(s, hv)
        let hsPad = hv.hsPad
        let rowD = UnsafeMutablePointer<Float>.allocate(capacity: max(T, 1))
        let P = UnsafeMutablePointer<Float>.allocate(capacity: Bt * Bt), dP = UnsafeMutablePointer<Float>.allocate(capacity: Bt * Bt)
        defer { hv.free(); g.free(); for p in [rowD, P, dP] { p.deallocate() } }
        hv.load(qkv, s, b: b, h: h, rotary: rotary, cos: cos, sin: sin, scale: scale, for: .backward)
        transposeRows(hv.v, ldbRows: hv.ldv, count: T, depth: hs, into: g.vT, ldb: hv.ldT)
        let dOutHead = dOut + (b * T * H + h) * hs, outHead = out + (b * T * H + h) * hs
        for i in 0..<T {
            let row = g.dO + i * hsPad
            let later = i + attentionRowsAhead
            if later < T { prefetch(dOutHead + later * ldo, count: hs); prefetch(outHead + later * ldo, count: hs) }
            copyRow(dOutHead + i * ldo, row, count: hs)
            (row + hs).update(repeating: 0, count: hsPad - hs)
            rowD[i] = dotRow(row, outHead + i * ldo, count: hs)
        }
        let lseRow = lse + (b * H + h) * T
        for j0 in stride(from: 0, to: T, by: Bt) {
            let cols = min(Bt, T - j0), width = (cols + 15) / 16 * 16
            for i0 in stride(from: j0 / Bt * Bt, to: T, by: Bt) {
                let rows = min(Bt, T - i0), diagonal = i0 - j0
                // P = exp(Q_i·K_jᵀ − lse), causal
                attention_tile_forward(TileOperands(a: hv.q + i0 * hsPad, lda: hsPad, bT: hv.kT + j0, ldb: hv.ldT, c: P, ldc: Bt,
                                                    rows: rows, cols: cols, depth: hs, mask: .columnsPerRow, diagonal: diagonal))
                for r in 0..<rows {
                    let valid = min(cols, i0 + r + 1 - j0)
                    if valid <= 0 { (P + r * Bt).update(repeating: 0, count: width) } else {
                        _ = expRow(P + r * Bt, valid: valid, width: width, shift: lseRow[i0 + r])
                    }
                }
                // dV_j += Pᵀ·dO_i ; dP = dO_i·V_jᵀ
                attention_tile_forward(TileOperands(a: P, lda: Bt, transposeA: true, bT: g.dO + i0 * hsPad, ldb: hsPad,
                                                    c: g.dV + j0 * hsPad, ldc: hsPad, rows: cols, cols: hs, depth: rows,
                                                    mask: .depthFromRow, diagonal: diagonal, accumulate: true))
                attention_tile_forward(TileOperands(a: g.dO + i0 * hsPad, lda: hsPad, bT: g.vT + j0, ldb: hv.ldT, c: dP, ldc: Bt,
                                                    rows: rows, cols: cols, depth: hs, mask: .columnsPerRow, diagonal: diagonal))
                // dS = P ⊙ (dP − D_i), into P; zero past each row's visible keys (dP holds no
                // defined value there)
                for r in 0..<rows {
                    let dv = Vec16(repeating: rowD[i0 + r]), pr = P + r * Bt, dpr = dP + r * Bt
                    let valid = min(cols, i0 + r + 1 - j0)
                    var k = 0
                    while k < width {
                        var x = load16(pr + k) * (load16(dpr + k) - dv)
                        if k + 16 > valid { x.replace(with: 0, where: laneIndex .>= Float(valid - k)) }
                        store16(x, pr + k); k += 16
                    }
                }
                // dK_j += dSᵀ·Q_i ; dQ_i += dS·K_j
                attention_tile_forward(TileOperands(a: P, lda: Bt, transposeA: true, bT: hv.q + i0 * hsPad, ldb: hsPad,
                                                    c: g.dK + j0 * hsPad, ldc: hsPad, rows: cols, cols: hs, depth: rows,
                                                    mask: .depthFromRow, diagonal: diagonal, accumulate: true))
                attention_tile_forward(TileOperands(a: P, lda: Bt, bT: hv.rows + j0 * hsPad, ldb: hsPad,
                                                    c: g.dQ + i0 * hsPad, ldc: hsPad, rows: rows, cols: hs, depth: cols,
                                                    mask: .depthUpToRow, diagonal: diagonal, accumulate: true))
            }
        }
        // Back through the scale (q was pre-scaled) and the rotary rotation, into qkv's layout.
        // Scaled and rotated in the scratch rows (in cache), so each strided destination row is
        // written once, whole, and fetched ahead.
        let ldq = 3 * H * hs
        for i in 0..<T {
            let dst = dqkv + ((b * T + i) * H + h) * 3 * hs
            if i + attentionRowsAhead < T { prefetch(dst + attentionRowsAhead * ldq, count: 3 * hs) }
            let dq = g.dQ + i * hsPad, dk = g.dK + i * hsPad
            scaleRow(dq, count: hs, by: scale)
            rotary_backward(dq, cos + i * half, sin + i * half, half: half)
            rotary_backward(dk, cos + i * half, sin + i * half, half: half)
            copyRow(dq, dst, count: hs)
            copyRow(dk, dst + hs, count: hs)
            copyRow(g.dV + i * hsPad, dst + 2 * hs, count: hs)
        }
    }
}

extension Tensor {
    /// GPT-NeoX causal self-attention from the fused qkv projection (B, T, H·3·hs) to the
    /// merged heads (B, T, H·hs), rotary included. Matches `causalAttentionReference`.
    public static func causalAttention(qkv: Tensor, heads: Int, rotary: RotaryEmbedding) -> Tensor {
        let s: AttentionShape
        do { s = try AttentionShape(qkv: qkv.shape, heads: heads, rotary: rotary) } catch { fatalError("\(error)") }
        let tables = RotaryTables(rotary, length: s.length)
        let out = Tensor(uninitializedShape: [s.batch, s.length, heads * s.headSize])
        let lse = Tensor(uninitializedShape: [s.batch, heads, s.length])
        causal_attention_forward(s, rotary: rotary, qkv: qkv.data, cos: tables.cos, sin: tables.sin, out: out.data, lse: lse.data)
        return out.recorded("causalAttention", [qkv]) { c in
            let dqkv = Tensor(uninitializedShape: qkv.shape)
            causal_attention_backward(s, rotary: rotary, qkv: qkv.data, cos: tables.cos, sin: tables.sin, out: c.output.data,
                                      lse: lse.data, dOut: c.grad.data, dqkv: dqkv.data)
            return [dqkv]
        }
    }
}
