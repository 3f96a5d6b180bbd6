import Foundation
import TensorCore

// Mamba's selective scan (S6), in the paper's notation.
//
// Glossary
//   Bt       batch size                     L    sequence length
//   Dm       channels (d_inner)             N    d_state; Np = N rounded up to 16
//   u        input to the SSM, (Bt, L, Dm)
//   Δ        step size before softplus, (Bt, L, Dm); δ = softplus(Δ + Δ_bias)
//   A        −exp(A_log), (Dm, N): continuous-time state matrix (diagonal per channel)
//   B, C     input and output projections of the state, (Bt, L, N), shared by all channels
//   D        skip connection, (Dm); z: the gate, (Bt, L, Dm)
//
// Recurrence per channel d (h has N entries):
//   Ā_t = exp(δ_t·A_d)                h_t = Ā_t ⊙ h_{t−1} + δ_t·u_t·B_t
//   y_t = ⟨C_t, h_t⟩ + D_d·u_t        out_t = y_t · silu(z_t)
//
// Layout: channels-last (Bt, L, Dm). The recurrence runs over blocks of 16 channels with
// SIMD16 across channels, so softplus, the silu gate and y_t are whole-vector operations and
// Ā = exp(δ·A) costs one exp per (t, n, 16 channels): the kernels hold A₂ = A·log2(e) and
// compute Ā = 2^(δ·A₂), which skips exp's range-reduction multiplies. B_t and C_t are per-step scalars
// broadcast over the block. Their gradients sum over channels: the backward adds dB_t, dC_t
// lane-wise into a chunk's (T, N, 16) buffers and folds the lanes once per chunk, which avoids
// a horizontal sum per (t, n, block). Channels are padded to a multiple of 16 with u = 0, which
// keeps padded lanes' states at zero.
//
// Memory: the forward keeps δ and the state at every chunk start (Bt·⌈Dm/16⌉·N·16·⌈L/chunk⌉
// floats); the backward recomputes a chunk's states and Ā from there, so exp runs once per
// (t, d, n) in each direction and no (Bt, L, Dm, N) tensor ever exists.

/// Steps between saved states.
public let selectiveScanChunk = 32

/// Sizes of one scan, validated against every input's shape.
public struct ScanShape: Equatable {
    public let batch: Int, length: Int, channels: Int, state: Int
    /// Channel blocks of 16 (the last one zero-padded).
    public var blocks: Int { (channels + 15) / 16 }
    public var paddedChannels: Int { blocks * 16 }
    public var chunks: Int { (length + selectiveScanChunk - 1) / selectiveScanChunk }

    public init(u: [Int], delta: [Int], deltaBias: [Int], aLog: [Int], b: [Int], c: [Int], d: [Int], z: [Int]) throws {
        guard u.count == 3 else { throw ShapeError("selectiveScan: u must be (batch, length, channels), got \(u)") }
        batch = u[0]; length = u[1]; channels = u[2]
        guard aLog.count == 2, aLog[0] == channels, aLog[1] > 0 else {
            throw ShapeError("selectiveScan: A_log must be (\(channels), d_state), got \(aLog) for u \(u)")
        }
        state = aLog[1]
        let checks: [(String, [Int], [Int])] = [
            ("Δ", delta, u), ("z", z, u), ("Δ bias", deltaBias, [channels]), ("D", d, [channels]),
            ("B", b, [batch, length, state]), ("C", c, [batch, length, state]),
        ]
        for (name, got, want) in checks where got != want {
            throw ShapeError("selectiveScan: \(name) has shape \(got), expected \(want) (u \(u), A_log \(aLog))")
        }
    }
}

/// δ = softplus(Δ + bias) into channel-padded rows   // Δ is (rows, Dm) with row stride ldΔ; bias (Dm); δ (rows, Dmp)
/// `out` may be `delta` itself (ldΔ = Dmp): each element is read before it is written.
func scan_delta_forward(_ delta: UnsafePointer<Float>, ldDelta: Int, _ bias: UnsafePointer<Float>,
                        _ out: UnsafeMutablePointer<Float>, rows: Int, channels: Int, padded: Int) {
    Parallel.forEach(rows, workPerItem: channels * 8) { r in
        let x = delta + r * ldDelta, o = out + r * padded
        var d = 0
        while d + 16 <= channels { store16(softplus16(load16(x + d) + load16(bias + d)), o + d); d += 16 }
        while d < channels { o[d] = softplusScalar(x[d] + bias[d]); d += 1 }
        while d < padded { o[d] = 0; d += 1 }
    }
}

/// Copies (rows, n) into (rows, np) with zero padding; hands back the source when n == np.
final class PaddedRows {
    let pointer: UnsafeMutablePointer<Float>
    private let owned: Bool

    init(_ src: UnsafeMutablePointer<Float>, rows: Int, n: Int, np: Int) {
        if n == np { pointer = src; owned = false; return }
        pointer = .allocate(capacity: max(rows * np, 1))
        owned = true
        Parallel.forEach(rows, workPerItem: np) { r in
            (self.pointer + r * np).update(from: src + r * n, count: n)
            (self.pointer + r * np + n).update(repeating: 0, count: np - n)
        }
    }

    deinit { if owned { pointer.deallocate() } }
}

/// Splits (batch × channel-block groups) so two cores have work even for batch 1. Fixed by the
/// shape, not the thread count: the groups' partial sums of dB and dC are combined in group
/// order, so the gradients are the same on any number of threads.
@inline(__always) func scanGroups(_ s: ScanShape) -> Int {
    s.batch >= 4 ? 1 : min(2, s.blocks)
}

/// State n of one channel block one step on: Ā = 2^(δ·A₂) and h_t = Ā·h_{t−1} + δ·u·B_t[n].
/// A: the block's (N, 16) A₂; hPrev: its (N, 16) states at t − 1; dbu = δ·u.
@inline(__always)
func scanStateStep(_ n: Int, dt: Vec16, dbu: Vec16, A: UnsafePointer<Float>, B: UnsafePointer<Float>,
                   hPrev: UnsafePointer<Float>) -> (abar: Vec16, h: Vec16) {
    let an = exp2NonPositive16(dt * load16(A + n * 16))
    return (an, fma16(an, load16(hPrev + n * 16), dbu * B[n]))
}

/// out = (⟨C_t, h_t⟩ + D·u_t)·silu(z_t), saving h at each chunk start.
/// The scan's inputs as both kernels read them. Rows are steps (Bt·L) unless noted; channels
/// are padded to Dmp. Every step is an output row unless `slot` is given: then step bt outputs
/// to row slot[bt], and nowhere when slot[bt] < 0 (only h advances).
struct ScanOperands {
    let s: ScanShape
    let u: UnsafePointer<Float>            // (Bt·L, Dmp)
    let delta: UnsafePointer<Float>        // δ = softplus(Δ + bias), (Bt·L, Dmp)
    let At: UnsafePointer<Float>           // A₂ = A·log2(e) transposed per block, (blocks, N, 16)
    let B: UnsafePointer<Float>            // (Bt·L, N), rows ldB apart
    let ldB: Int
    let C: UnsafePointer<Float>            // (output rows, N), rows ldC apart
    let ldC: Int
    let Dp: UnsafePointer<Float>           // D, (Dmp)
    let z: UnsafePointer<Float>            // the gate, (output rows, Dmp)
    let slot: UnsafePointer<Int32>?        // (Bt·L): each step's output row, or nil (every step)
}

/// What the backward reads (dOut) and writes, beside the forward's operands and saved states.
struct ScanGradients {
    let outputRows: Int
    let dOut: UnsafePointer<Float>            // dL/dout, (output rows, Dmp)
    let du: UnsafeMutablePointer<Float>       // (Bt·L, Dmp)
    let dDelta: UnsafeMutablePointer<Float>   // dL/dΔ through the softplus, (Bt·L, Dmp)
    let dz: UnsafeMutablePointer<Float>       // (output rows, Dmp)
    let dBg: UnsafeMutablePointer<Float>      // per channel group, (groups, Bt·L, N)
    let dCg: UnsafeMutablePointer<Float>      // per channel group, (groups, output rows, N)
    let dAItems: UnsafeMutablePointer<Float>  // per work item, (items, blocks, N, 16)
    let dDItems: UnsafeMutablePointer<Float>  // per work item: dD, then dΔ bias, (items, 2, Dmp)
}

/// out: (output rows, Dmp); states: (Bt, chunks, blocks, N, 16), the state at each chunk start
/// (nil: not kept). Time runs outermost and channel blocks inside, so each step reads contiguous
/// rows and the states of all blocks (blocks·N·16 floats) stay in L1.
func selective_scan_forward(_ o: ScanOperands, out: UnsafeMutablePointer<Float>, states: UnsafeMutablePointer<Float>?) {
    let (s, u, delta, At, B, ldB, C, ldC, Dp, z, slot) = (o.s, o.u, o.delta, o.At, o.B, o.ldB, o.C, o.ldC, o.Dp, o.z, o.slot)
    let (L, N, Dmp, K, T) = (s.length, s.state, s.paddedChannels, s.blocks, selectiveScanChunk)
    let groups = scanGroups(s)
    Parallel.forEach(s.batch * groups, workPerItem: L * Dmp * N * 4 / groups) { item in
        let b = item / groups, g = item % groups
        let k0 = g * K / groups, k1 = (g + 1) * K / groups
        let h = UnsafeMutablePointer<Float>.allocate(capacity: K * N * 16)
        defer { h.deallocate() }
        h.update(repeating: 0, count: K * N * 16)
        for t in 0..<L {
            let bt = b * L + t
            if t % T == 0, let states {
                let dst = states + (b * s.chunks + t / T) * K * N * 16
                (dst + k0 * N * 16).update(from: h + k0 * N * 16, count: (k1 - k0) * N * 16)
            }
            let row = slot.map { Int($0[bt]) } ?? bt
            let bRow = B + bt * ldB, cRow = C + max(row, 0) * ldC
            for k in k0..<k1 {
                let off = bt * Dmp + k * 16, A = At + k * N * 16, hk = h + k * N * 16
                let dt = load16(delta + off), ut = load16(u + off)
                let dbu = dt * ut
                // The states first, each one step on in place, then y from them (in L1): a loop
                // that carries no sums leaves the exps more of AVX2's sixteen registers.
                for n in 0..<N {
                    store16(scanStateStep(n, dt: dt, dbu: dbu, A: A, B: bRow, hPrev: hk).h, hk + n * 16)
                }
                if row < 0 { continue }
                // Two partial sums for y, so the adds do not wait on each other.
                var y0 = load16(Dp + k * 16) * ut, y1 = Vec16()
                var n = 0
                while n + 1 < N {
                    y0 = fma16(load16(hk + n * 16), Vec16(repeating: cRow[n]), y0)
                    y1 = fma16(load16(hk + (n + 1) * 16), Vec16(repeating: cRow[n + 1]), y1)
                    n += 2
                }
                if n < N { y0 = fma16(load16(hk + n * 16), Vec16(repeating: cRow[n]), y0) }
                let y = y0 + y1, outOff = row * Dmp + k * 16
                // y·silu(z) as (y·z)/(1 + e^−z): one division, rounded as the reference composition's order.
                let zt = load16(z + outOff)
                store16(y * zt / (one16 + exp16(-zt)), out + outOff)
            }
        }
    }
}

/// Gradients of the scan. `dDelta` receives dL/dΔ (through the softplus: dδ·σ(Δ + bias)).
/// Output rows as in the forward (`slot`): C, z, dOut, dz and dCg have one row per output row;
/// steps without output have dy = 0 and skip y, dz and dC.
/// dB and dC sum over channels: each item adds its blocks into 16-lane partials for the
/// current chunk (T·N·16 floats, in cache) and folds the lanes once the chunk is done.
/// Chunks run backwards; inside a chunk each channel block recomputes its states from the
/// saved start, and on that forward walk also forms what needs h_t alone (y_t for dz, dy_t,
/// dC_t); then it walks the chunk in reverse for dh, dB, dA, dδ and du. The chunk's rows stay in cache.
func selective_scan_backward(_ o: ScanOperands, states: UnsafePointer<Float>, _ g: ScanGradients) {
    let (s, u, delta, At, B, ldB, C, ldC, Dp, z, slot) = (o.s, o.u, o.delta, o.At, o.B, o.ldB, o.C, o.ldC, o.Dp, o.z, o.slot)
    let (outputRows, dOut, du, dDelta, dz, dBg, dCg, dAItems, dDItems) =
        (g.outputRows, g.dOut, g.du, g.dDelta, g.dz, g.dBg, g.dCg, g.dAItems, g.dDItems)
    let (L, N, Dmp, K, T) = (s.length, s.state, s.paddedChannels, s.blocks, selectiveScanChunk)
    let groups = scanGroups(s)
    let ln2 = Vec16(repeating: Float(M_LN2)), twenty = Vec16(repeating: 20)
    Parallel.forEach(s.batch * groups, workPerItem: L * Dmp * N * 8 / groups) { item in
        let b = item / groups, group = item % groups
        let k0 = group * K / groups, k1 = (group + 1) * K / groups
        let dBout = dBg + group * s.batch * L * N, dCout = dCg + group * outputRows * N
        // C for steps without output: dy = 0 there, so the reverse walk's dy·C term vanishes.
        let zeroC = UnsafeMutablePointer<Float>.allocate(capacity: N)
        zeroC.update(repeating: 0, count: N)
        // outRow[i]: the output row of step t0 + i of the current chunk, or −1 (looked up once per chunk).
        let outRow = UnsafeMutablePointer<Int>.allocate(capacity: T)
        defer { zeroC.deallocate(); outRow.deallocate() }
        let dBc = UnsafeMutablePointer<Float>.allocate(capacity: 2 * T * N * 16), dCc = dBc + T * N * 16
        // hs[i] = h_{t0+i−1} (hs[0] is the chunk's saved state); abar[i] = Ā_{t0+i}; dys[i] = dy_{t0+i}
        let hs = UnsafeMutablePointer<Float>.allocate(capacity: (T + 1) * N * 16)
        let abar = UnsafeMutablePointer<Float>.allocate(capacity: T * N * 16)
        let dys = UnsafeMutablePointer<Float>.allocate(capacity: T * 16)
        let dds = UnsafeMutablePointer<Float>.allocate(capacity: 2 * T * 16)   // per step: Σ_n dδ terms, then Σ_n du terms
        let dhAll = UnsafeMutablePointer<Float>.allocate(capacity: K * N * 16)   // dL/dh carried across chunks
        let dDacc = UnsafeMutablePointer<Float>.allocate(capacity: 2 * K * 16)   // dD, then dΔ bias
        let dAacc = dAItems + item * K * N * 16
        defer { hs.deallocate(); abar.deallocate(); dys.deallocate(); dhAll.deallocate(); dDacc.deallocate(); dBc.deallocate(); dds.deallocate() }
        dhAll.update(repeating: 0, count: K * N * 16)
        dDacc.update(repeating: 0, count: 2 * K * 16)
        (dAacc + k0 * N * 16).update(repeating: 0, count: (k1 - k0) * N * 16)
        for c in stride(from: s.chunks - 1, through: 0, by: -1) {
            let t0 = c * T, t1 = min(L, t0 + T)
            for t in t0..<t1 { outRow[t - t0] = slot.map { Int($0[b * L + t]) } ?? b * L + t }
            for k in k0..<k1 {
                let A = At + k * N * 16, Dv = load16(Dp + k * 16)
                let dA = dAacc + k * N * 16, dh = dhAll + k * N * 16
                // The group's first block writes the dB, dC lane partials, later blocks add to them.
                let first = k == k0
                var dDk = load16(dDacc + k * 16), dBiasK = load16(dDacc + (K + k) * 16)
                hs.update(from: states + (((b * s.chunks + c) * K + k) * N) * 16, count: N * 16)
                for t in t0..<t1 {
                    let bt = b * L + t, i = t - t0, off = bt * Dmp + k * 16
                    let row = outRow[i]
                    let dt = load16(delta + off), ut = load16(u + off)
                    let dbu = dt * ut
                    let bRow = B + bt * ldB, dCt = dCc + i * N * 16
                    let hPrev = hs + i * N * 16, hNow = hs + (i + 1) * N * 16, a = abar + i * N * 16
                    if row < 0 {
                        // No output at this step: only h_t and Ā for the reverse walk.
                        store16(Vec16(), dys + i * 16)
                        let v = ScanRecomputeRow(dt: dt, dbu: dbu, dy: Vec16(), bRow: bRow, cRow: UnsafePointer(zeroC), A: A, abar: a, hPrev: hPrev,
                                                 hNow: hNow, dC: dCt, first: first)
                        for n in 0..<N { v.advance(n) }
                        continue
                    }
                    let outOff = row * Dmp + k * 16, zt = load16(z + outOff)
                    let sig = sigmoid16(zt)
                    let dOutT = load16(dOut + outOff)
                    let dy = dOutT * zt * sig
                    store16(dy, dys + i * 16)
                    dDk = fma16(dy, ut, dDk)
                    let cRow = C + row * ldC
                    // Two partial sums for y (even and odd n), so the adds do not wait on each other.
                    var y0 = Dv * ut, y1 = Vec16()
                    let v = ScanRecomputeRow(dt: dt, dbu: dbu, dy: dy, bRow: bRow, cRow: cRow, A: A, abar: a, hPrev: hPrev, hNow: hNow,
                                             dC: dCt, first: first)
                    var n = 0
                    while n + 1 < N { v.step(n, &y0); v.step(n + 1, &y1); n += 2 }
                    if n < N { v.step(n, &y0) }
                    store16(dOutT * (y0 + y1) * sig * (one16 + zt * (one16 - sig)), dz + outOff)
                }
                // Reverse walk, states in groups of four: a group's dh and dA stay in registers
                // over the whole chunk, and its shares of dδ and du (sums over states) collect
                // in per-step buffers; states beyond the last full group go one at a time.
                let steps = t1 - t0
                dds.update(repeating: 0, count: 2 * steps * 16)
                var n0 = 0
                while n0 < N {
                    let width = min(4, N - n0)
                    var st = (ScanReverseState(dh, dA, A, n0, N), ScanReverseState(dh, dA, A, n0 + 1, N),
                              ScanReverseState(dh, dA, A, n0 + 2, N), ScanReverseState(dh, dA, A, n0 + 3, N))
                    for t in stride(from: t1 - 1, through: t0, by: -1) {
                        let bt = b * L + t, i = t - t0, off = bt * Dmp + k * 16
                        let dt = load16(delta + off), dy = load16(dys + i * 16)
                        let row = outRow[i]
                        let w = ScanReverseStep(dy: dy, dt: dt, dbu: dt * load16(u + off), cRow: row < 0 ? UnsafePointer(zeroC) : C + row * ldC, bRow: B + bt * ldB,
                                                abar: abar + i * N * 16, hPrev: hs + i * N * 16, dB: dBc + i * N * 16, first: first)
                        var dd = Vec16(), dub = Vec16()
                        if width == 4 {
                            w.apply(&st.0, n0, &dd, &dub); w.apply(&st.1, n0 + 1, &dd, &dub)
                            w.apply(&st.2, n0 + 2, &dd, &dub); w.apply(&st.3, n0 + 3, &dd, &dub)
                        } else {
                            w.apply(&st.0, n0, &dd, &dub)
                        }
                        store16(load16(dds + i * 16) + dd, dds + i * 16)
                        store16(load16(dds + (steps + i) * 16) + dub, dds + (steps + i) * 16)
                    }
                    if width == 4 {
                        st.0.save(dh, dA, n0); st.1.save(dh, dA, n0 + 1); st.2.save(dh, dA, n0 + 2); st.3.save(dh, dA, n0 + 3)
                        n0 += 4
                    } else {
                        st.0.save(dh, dA, n0)
                        n0 += 1
                    }
                }
                for t in t0..<t1 {
                    let i = t - t0, off = (b * L + t) * Dmp + k * 16
                    let ut = load16(u + off), dt = load16(delta + off), dy = load16(dys + i * 16)
                    let dub = load16(dds + (steps + i) * 16)
                    let dSoftplus = fma16(load16(dds + i * 16), ln2, dub * ut)       // dL/dδ; A₂·ln2 = A
                    // dΔ = dδ·σ(Δ + bias) = dδ·(1 − e^−δ), and dδ where softplus passed Δ + bias
                    // through (above 20, exactly where δ > 20).
                    let sigmoid = (one16 - expNonPositive16(-dt)).replacing(with: one16, where: dt .> twenty)
                    let dDeltaRaw = dSoftplus * sigmoid
                    store16(dDeltaRaw, dDelta + off)
                    dBiasK += dDeltaRaw
                    store16(fma16(dub, dt, dy * Dv), du + off)
                }
                store16(dDk, dDacc + k * 16)
                store16(dBiasK, dDacc + (K + k) * 16)
            }
            for i in 0..<(t1 - t0) * N {
                dBout[(b * L + t0) * N + i] = hsum16(load16(dBc + i * 16))
            }
            for t in t0..<t1 {
                let row = outRow[t - t0]
                guard row >= 0 else { continue }   // no output, no dC (its partials were never written)
                for n in 0..<N { dCout[row * N + n] = hsum16(load16(dCc + ((t - t0) * N + n) * 16)) }
            }
        }
        for k in k0..<k1 {
            store16(load16(dDacc + k * 16), dDItems + item * 2 * Dmp + k * 16)
            store16(load16(dDacc + (K + k) * 16), dDItems + item * 2 * Dmp + Dmp + k * 16)
        }
    }
}

/// One step t of the backward's recompute walk for one channel block, state by state.
struct ScanRecomputeRow {
    let dt, dbu, dy: Vec16
    /// B_t's and C_t's rows, and A₂ of the block.
    let bRow, cRow, A: UnsafePointer<Float>
    let abar, hPrev, hNow, dC: UnsafeMutablePointer<Float>
    /// The group's first channel block writes dC's lane partials; later blocks add to them.
    let first: Bool

    /// State n: Ā and h_t, kept for the reverse walk; returns h_t.
    @inline(__always) @discardableResult
    func advance(_ n: Int) -> Vec16 {
        let (an, h) = scanStateStep(n, dt: dt, dbu: dbu, A: A, B: bRow, hPrev: hPrev)
        store16(an, abar + n * 16)
        store16(h, hNow + n * 16)
        return h
    }

    /// State n at a step with output: `advance`, then y's term and dC_t's lane partial.
    @inline(__always)
    func step(_ n: Int, _ y: inout Vec16) {
        let h = advance(n)
        y = fma16(h, Vec16(repeating: cRow[n]), y)
        store16(first ? dy * h : fma16(dy, h, load16(dC + n * 16)), dC + n * 16)
    }
}

/// One state's carried gradients in the reverse walk: dL/dh and dL/dA for 16 channels.
struct ScanReverseState {
    var dh: Vec16, dA: Vec16
    let A: Vec16

    /// Loads state n of N; n ≥ N gives an idle placeholder (zeros) that is never used or saved.
    @inline(__always)
    init(_ dh: UnsafeMutablePointer<Float>, _ dA: UnsafeMutablePointer<Float>, _ A: UnsafePointer<Float>, _ n: Int, _ N: Int) {
        guard n < N else { self.dh = Vec16(); self.dA = Vec16(); self.A = Vec16(); return }
        self.dh = load16(dh + n * 16); self.dA = load16(dA + n * 16); self.A = load16(A + n * 16)
    }

    @inline(__always)
    func save(_ dh: UnsafeMutablePointer<Float>, _ dA: UnsafeMutablePointer<Float>, _ n: Int) {
        store16(self.dh, dh + n * 16); store16(self.dA, dA + n * 16)
    }
}

/// Step t of the reverse walk for one channel block.
struct ScanReverseStep {
    let dy, dt, dbu: Vec16
    /// C_t's and B_t's rows.
    let cRow, bRow: UnsafePointer<Float>
    let abar, hPrev, dB: UnsafeMutablePointer<Float>
    let first: Bool

    /// State n: dh ← gh·Ā with gh = dh + dy·C_t[n]; dB_t's lane partial, dA, and the dδ, du sums.
    @inline(__always)
    func apply(_ s: inout ScanReverseState, _ n: Int, _ dd: inout Vec16, _ dub: inout Vec16) {
        let gh = fma16(dy, Vec16(repeating: cRow[n]), s.dh)                // dL/dh_t
        let an = load16(abar + n * 16)
        let ghAh = gh * an * load16(hPrev + n * 16)                        // dL/dĀ_t ⊙ h_{t−1}
        store16(first ? gh * dbu : fma16(gh, dbu, load16(dB + n * 16)), dB + n * 16)
        dd = fma16(ghAh, s.A, dd)
        dub = fma16(gh, Vec16(repeating: bRow[n]), dub)
        s.dA = fma16(ghAh, dt, s.dA)
        s.dh = gh * an
    }
}

/// One scan's forward pass, kept for its backward: δ, the padded inputs and the saved states.
/// Both entry points (Δ given, or Δ from x_proj's output through dt_proj) run through it.
final class ScanRun {
    let s: ScanShape
    /// δ = softplus(Δ + bias), (Bt, L, Dmp).
    let dt: Tensor
    let up: PaddedRows, zp: PaddedRows, Dp: PaddedRows
    /// A₂ = −exp(A_log)·log2(e) as (blocks, N, 16); padded channels get 0 (Ā = 1, state stays 0).
    let At: Tensor
    /// B and C rows with their strides; the tensors are kept alive here.
    let B: Tensor, bOffset: Int, ldB: Int, C: Tensor, cOffset: Int, ldC: Int
    /// Output rows: every step (nil), or slot[b·L + t] = the output row of that step, −1 for none.
    let slot: [Int32]?
    let outputRows: Int
    let states: Tensor
    /// out, (Bt, L, Dm), or (output rows, Dm) with `slot`.
    let out: Tensor

    /// Δ (before the bias) is read from rows of stride ldΔ; δ is written to `dt` (Bt, L, Dmp),
    /// which may hold Δ itself (ldΔ = Dmp).
    init(_ s: ScanShape, delta: UnsafePointer<Float>, ldDelta: Int, dt: Tensor, deltaBias: Tensor, aLog: Tensor,
         u: Tensor, z: Tensor, D: Tensor, B: Tensor, bOffset: Int, ldB: Int, C: Tensor, cOffset: Int, ldC: Int,
         slot: [Int32]? = nil, outputRows: Int? = nil, recording: Bool) {
        let (Bt, L, Dm, N, K, Dmp) = (s.batch, s.length, s.channels, s.state, s.blocks, s.paddedChannels)
        let rows = Bt * L
        self.s = s
        self.dt = dt
        self.slot = slot
        let outRows = outputRows ?? rows
        self.outputRows = outRows
        scan_delta_forward(delta, ldDelta: ldDelta, deltaBias.data, dt.data, rows: rows, channels: Dm, padded: Dmp)
        up = PaddedRows(u.data, rows: rows, n: Dm, np: Dmp)
        zp = PaddedRows(z.data, rows: outRows, n: Dm, np: Dmp)
        Dp = PaddedRows(D.data, rows: 1, n: Dm, np: Dmp)
        At = Tensor.zeros([K, N, 16])
        for d in 0..<Dm { for n in 0..<N {
            At.data[((d / 16) * N + n) * 16 + d % 16] = Float(-Foundation.exp(Double(aLog.data[d * N + n])) * M_LOG2E)
        } }
        self.B = B; self.bOffset = bOffset; self.ldB = ldB
        self.C = C; self.cOffset = cOffset; self.ldC = ldC
        states = Tensor(uninitializedShape: recording ? [Bt, s.chunks, K, N, 16] : [0])
        let outp = Tensor(uninitializedShape: slot == nil ? [Bt, L, Dmp] : [outRows, Dmp])
        let statesPtr = recording ? states.data : nil
        let (uPtr, zPtr, dPtr, aPtr, dtPtr) = (up.pointer, zp.pointer, Dp.pointer, At.data, dt.data)
        slot.withOptionalBuffer { slotPointer in
            let o = ScanOperands(s: s, u: uPtr, delta: dtPtr, At: aPtr, B: B.data + bOffset, ldB: ldB, C: C.data + cOffset, ldC: ldC,
                                 Dp: dPtr, z: zPtr, slot: slotPointer)
            selective_scan_forward(o, out: outp.data, states: statesPtr)
        }
        out = unpad(outp, Dm)
    }

    /// The kernels' view of this scan's inputs (`slot` pointing into `self.slot`'s buffer).
    func operands(_ slot: UnsafePointer<Int32>?) -> ScanOperands {
        ScanOperands(s: s, u: up.pointer, delta: dt.data, At: At.data, B: B.data + bOffset, ldB: ldB, C: C.data + cOffset, ldC: ldC,
                     Dp: Dp.pointer, z: zp.pointer, slot: slot)
    }

    /// Gradients of the scan for dL/dout (shaped as `out`). dΔ is through the softplus, in
    /// channel-padded rows (Bt, L, Dmp); dB is (Bt, L, N); dC and dz are shaped as C and z.
    func backward(_ dOut: Tensor) -> (du: Tensor, dDelta: Tensor, dDeltaBias: Tensor, dALog: Tensor,
                                      dB: Tensor, dC: Tensor, dD: Tensor, dz: Tensor) {
        let (Bt, L, Dm, N, K, Dmp) = (s.batch, s.length, s.channels, s.state, s.blocks, s.paddedChannels)
        let groups = scanGroups(s), items = Bt * groups
        let du = Tensor(uninitializedShape: [Bt, L, Dmp]), dDelta = Tensor(uninitializedShape: [Bt, L, Dmp])
        let dz = Tensor(uninitializedShape: slot == nil ? [Bt, L, Dmp] : [outputRows, Dmp])
        // Every entry is written by its item's lane fold, so no zeroing.
        let dBg = Tensor(uninitializedShape: [groups, Bt, L, N])
        let dCg = Tensor(uninitializedShape: slot == nil ? [groups, Bt, L, N] : [groups, outputRows, N])
        let dAItems = Tensor(uninitializedShape: [items, K, N, 16]).zeroed()
        let dDItems = Tensor(uninitializedShape: [items, 2 * Dmp]).zeroed()
        let dOutPadded = PaddedRows(dOut.data, rows: outputRows, n: Dm, np: Dmp)
        let gradients = ScanGradients(outputRows: outputRows, dOut: dOutPadded.pointer, du: du.data, dDelta: dDelta.data, dz: dz.data,
                                      dBg: dBg.data, dCg: dCg.data, dAItems: dAItems.data, dDItems: dDItems.data)
        slot.withOptionalBuffer { slotPointer in
            selective_scan_backward(operands(slotPointer), states: states.data, gradients)
        }
        // dA_log = dA·A, since A = −exp(A_log); A = A₂·ln2.
        let dAsum = dAItems.sumAll(axis0Of: items)
        let dALog = Tensor(uninitializedShape: [Dm, N])
        for d in 0..<Dm { for n in 0..<N {
            let idx = ((d / 16) * N + n) * 16 + d % 16
            dALog.data[d * N + n] = dAsum.data[idx] * At.data[idx] * Float(M_LN2)
        } }
        let dDsum = dDItems.sumAll(axis0Of: items)
        return (unpad(du, Dm), dDelta, Tensor(Array(dDsum.values[Dmp..<(Dmp + Dm)]), shape: [Dm]), dALog,
                dBg.sumAll(axis0Of: groups), dCg.sumAll(axis0Of: groups),
                Tensor(Array(dDsum.values.prefix(Dm)), shape: [Dm]), unpad(dz, Dm))
    }
}

extension Tensor {
    /// Mamba's selective scan with softplus on Δ + bias and the silu(z) gate fused in
    /// (mamba_ssm's selective_scan_fn with delta_softplus=True). See the glossary above for shapes.
    public static func selectiveScan(u: Tensor, delta: Tensor, deltaBias: Tensor, aLog: Tensor,
                                     B: Tensor, C: Tensor, D: Tensor, z: Tensor) -> Tensor {
        let s: ScanShape
        do {
            s = try ScanShape(u: u.shape, delta: delta.shape, deltaBias: deltaBias.shape, aLog: aLog.shape,
                              b: B.shape, c: C.shape, d: D.shape, z: z.shape)
        } catch { fatalError("\(error)") }
        let (Bt, L, Dm, N, Dmp) = (s.batch, s.length, s.channels, s.state, s.paddedChannels)
        let recording = GradMode.isEnabled && [u, delta, deltaBias, aLog, B, C, D, z].contains { $0.requiresGrad }
        let run = ScanRun(s, delta: delta.data, ldDelta: Dm, dt: Tensor(uninitializedShape: [Bt, L, Dmp]),
                          deltaBias: deltaBias, aLog: aLog, u: u, z: z, D: D,
                          B: B, bOffset: 0, ldB: N, C: C, cOffset: 0, ldC: N, recording: recording)
        return run.out.recorded("selectiveScan", [u, delta, deltaBias, aLog, B, C, D, z]) { c in
            let g = run.backward(c.grad)
            return [g.du, unpad(g.dDelta, Dm), g.dDeltaBias, g.dALog, g.dB, g.dC, g.dD, g.dz]
        }
    }
}

/// (…, Dmp) → (…, Dm), dropping padded channels.
func unpad(_ t: Tensor, _ channels: Int) -> Tensor {
    t.shape.last == channels ? t : withNoGrad { t.narrow(axis: t.rank - 1, start: 0, length: channels) }
}

extension Optional where Wrapped == [Int32] {
    /// The array's buffer, or nil, for kernels that take an optional pointer.
    func withOptionalBuffer<R>(_ body: (UnsafePointer<Int32>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

extension Tensor {
    /// Sets every element to 0 and returns self (for freshly allocated accumulators).
    func zeroed() -> Tensor { data.update(repeating: 0, count: count); return self }

    /// Sum over the leading axis of length `n`, outside the graph.
    func sumAll(axis0Of n: Int) -> Tensor {
        withNoGrad { n == 1 ? self.reshape(Array(shape.dropFirst())) : self.sum(axis: 0) }
    }
}
