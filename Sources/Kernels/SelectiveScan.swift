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
// Layout: channels-last (Bt, L, Dm), so δ is computed in one SIMD pass over channels; the
// recurrence runs per channel with SIMD16 over the state index n, which lets the backward
// add into dB_t and dC_t directly (no horizontal sums over channels) and costs 3 horizontal
// sums per (t, d). Memory: the forward keeps δ and the state at every chunk start
// (Bt·Dm·Np·⌈L/chunk⌉ floats); the backward recomputes a chunk's states and Ā from there,
// so exp runs once per (t, d, n) in each direction.

/// Steps between saved states.
public let selectiveScanChunk = 32

/// Sizes of one scan, validated against every input's shape.
public struct ScanShape: Equatable {
    public let batch: Int, length: Int, channels: Int, state: Int
    public var paddedState: Int { (state + 15) / 16 * 16 }
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

/// δ = softplus(Δ + bias)   // Δ, δ are (Bt·L, Dm); bias is (Dm)
func scan_delta_forward(_ delta: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                        _ out: UnsafeMutablePointer<Float>, rows: Int, channels: Int) {
    Parallel.forEach(rows, workPerItem: channels * 8) { r in
        let x = delta + r * channels, o = out + r * channels
        var d = 0
        while d + 16 <= channels { store16(softplus16(load16(x + d) + load16(bias + d)), o + d); d += 16 }
        while d < channels { o[d] = softplusScalar(x[d] + bias[d]); d += 1 }
    }
}

/// Copies (rows, n) into (rows, np) with zero padding, so every state vector is whole SIMD16s.
func padColumns(_ src: UnsafePointer<Float>, rows: Int, n: Int, np: Int) -> UnsafeMutablePointer<Float> {
    let dst = UnsafeMutablePointer<Float>.allocate(capacity: max(rows * np, 1))
    dst.update(repeating: 0, count: rows * np)
    for r in 0..<rows { (dst + r * np).update(from: src + r * n, count: n) }
    return dst
}

/// Splits (batch × channel groups) so both cores have work even for batch 1.
@inline(__always) func scanGroups(batch: Int) -> Int { batch >= 2 * Parallel.cores ? 1 : Parallel.cores }

/// out = (⟨C_t, h_t⟩ + D·u_t)·silu(z_t), saving the state at each chunk start.
/// u, delta(=δ), z, out: (Bt,L,Dm); Bp, Cp: (Bt,L,Np); Ap: (Dm,Np); states: (Bt,chunks,Dm,Np)
func selective_scan_forward(_ s: ScanShape, u: UnsafePointer<Float>, delta: UnsafePointer<Float>,
                            Ap: UnsafePointer<Float>, Bp: UnsafePointer<Float>, Cp: UnsafePointer<Float>,
                            D: UnsafePointer<Float>, z: UnsafePointer<Float>,
                            out: UnsafeMutablePointer<Float>, states: UnsafeMutablePointer<Float>) {
    let (L, Dm, Np, T) = (s.length, s.channels, s.paddedState, selectiveScanChunk)
    let groups = scanGroups(batch: s.batch)
    Parallel.forEach(s.batch * groups, workPerItem: L * Dm * Np / groups * 4) { item in
        let b = item / groups, g = item % groups
        let h = UnsafeMutablePointer<Float>.allocate(capacity: Np)
        defer { h.deallocate() }
        for d in (g * Dm / groups)..<((g + 1) * Dm / groups) {
            h.update(repeating: 0, count: Np)
            let A = Ap + d * Np
            for t in 0..<L {
                let bt = b * L + t
                if t % T == 0 { (states + ((b * s.chunks + t / T) * Dm + d) * Np).update(from: h, count: Np) }
                let dt = delta[bt * Dm + d], ut = u[bt * Dm + d]
                let dtv = Vec16(repeating: dt), dbu = Vec16(repeating: dt * ut)
                var acc = Vec16()
                var n = 0
                while n < Np {
                    let hn = exp16(dtv * load16(A + n)) * load16(h + n) + dbu * load16(Bp + bt * Np + n)
                    store16(hn, h + n)
                    acc += hn * load16(Cp + bt * Np + n)
                    n += 16
                }
                let y = acc.sum() + D[d] * ut
                let zt = z[bt * Dm + d]
                out[bt * Dm + d] = y * zt / (1 + Foundation.exp(-zt))
            }
        }
    }
}

/// Gradients of the scan. `dDelta` receives dL/dδ here; the caller turns it into dL/dΔ.
/// dB/dC partials are (groups, Bt, L, Np); dA/dD partials are per (batch·group) item.
func selective_scan_backward(_ s: ScanShape, u: UnsafePointer<Float>, delta: UnsafePointer<Float>,
                             Ap: UnsafePointer<Float>, Bp: UnsafePointer<Float>, Cp: UnsafePointer<Float>,
                             D: UnsafePointer<Float>, z: UnsafePointer<Float>, states: UnsafePointer<Float>,
                             dOut: UnsafePointer<Float>,
                             du: UnsafeMutablePointer<Float>, dDelta: UnsafeMutablePointer<Float>,
                             dz: UnsafeMutablePointer<Float>, dBp: UnsafeMutablePointer<Float>,
                             dCp: UnsafeMutablePointer<Float>, dAItems: UnsafeMutablePointer<Float>,
                             dDItems: UnsafeMutablePointer<Float>) {
    let (L, Dm, Np, T) = (s.length, s.channels, s.paddedState, selectiveScanChunk)
    let groups = scanGroups(batch: s.batch)
    Parallel.forEach(s.batch * groups, workPerItem: L * Dm * Np / groups * 8) { item in
        let b = item / groups, g = item % groups
        let dBg = dBp + g * s.batch * L * Np, dCg = dCp + g * s.batch * L * Np
        // hs[i] = h_{t0+i−1} (hs[0] is the chunk's saved state); abar[i] = Ā_{t0+i}
        let hs = UnsafeMutablePointer<Float>.allocate(capacity: (T + 1) * Np)
        let abar = UnsafeMutablePointer<Float>.allocate(capacity: T * Np)
        let dh = UnsafeMutablePointer<Float>.allocate(capacity: Np)
        let dAacc = UnsafeMutablePointer<Float>.allocate(capacity: Np)
        defer { hs.deallocate(); abar.deallocate(); dh.deallocate(); dAacc.deallocate() }
        let dA = dAItems + item * Dm * Np, dD = dDItems + item * Dm
        for d in (g * Dm / groups)..<((g + 1) * Dm / groups) {
            let A = Ap + d * Np
            dh.update(repeating: 0, count: Np)
            dAacc.update(repeating: 0, count: Np)
            var dDacc: Float = 0
            for c in stride(from: s.chunks - 1, through: 0, by: -1) {
                let t0 = c * T, t1 = min(L, t0 + T)
                // Recompute the chunk's states from its saved start.
                hs.update(from: states + ((b * s.chunks + c) * Dm + d) * Np, count: Np)
                for t in t0..<t1 {
                    let bt = b * L + t, i = t - t0
                    let dt = delta[bt * Dm + d]
                    let dtv = Vec16(repeating: dt), dbu = Vec16(repeating: dt * u[bt * Dm + d])
                    var n = 0
                    while n < Np {
                        let a = exp16(dtv * load16(A + n))
                        store16(a, abar + i * Np + n)
                        store16(a * load16(hs + i * Np + n) + dbu * load16(Bp + bt * Np + n), hs + (i + 1) * Np + n)
                        n += 16
                    }
                }
                for t in stride(from: t1 - 1, through: t0, by: -1) {
                    let bt = b * L + t, i = t - t0
                    let ut = u[bt * Dm + d], dt = delta[bt * Dm + d], zt = z[bt * Dm + d]
                    let hPrev = hs + i * Np, hNow = hs + (i + 1) * Np, a = abar + i * Np
                    let Bt = Bp + bt * Np, Ct = Cp + bt * Np
                    var yAcc = Vec16()
                    var n = 0
                    while n < Np { yAcc += load16(Ct + n) * load16(hNow + n); n += 16 }
                    let y = yAcc.sum() + D[d] * ut
                    let sig = 1 / (1 + Foundation.exp(-zt))
                    let g0 = dOut[bt * Dm + d]
                    let dy = g0 * zt * sig
                    dz[bt * Dm + d] = g0 * y * sig * (1 + zt * (1 - sig))
                    dDacc += dy * ut
                    let dyv = Vec16(repeating: dy), dbu = Vec16(repeating: dt * ut)
                    let uv = Vec16(repeating: ut), dtv = Vec16(repeating: dt)
                    var dDeltaAcc = Vec16(), duAcc = Vec16()
                    n = 0
                    while n < Np {
                        let gh = load16(dh + n) + dyv * load16(Ct + n)       // dL/dh_t
                        let bn = load16(Bt + n), an = load16(a + n), hp = load16(hPrev + n)
                        store16(load16(dCg + bt * Np + n) + dyv * load16(hNow + n), dCg + bt * Np + n)
                        store16(load16(dBg + bt * Np + n) + gh * dbu, dBg + bt * Np + n)
                        let ghAh = gh * an * hp                                  // dL/dĀ_t · h_{t−1}
                        dDeltaAcc += ghAh * load16(A + n) + gh * bn * uv
                        duAcc += gh * bn
                        store16(load16(dAacc + n) + ghAh * dtv, dAacc + n)
                        store16(gh * an, dh + n)
                        n += 16
                    }
                    dDelta[bt * Dm + d] = dDeltaAcc.sum()
                    du[bt * Dm + d] = dt * duAcc.sum() + dy * D[d]
                }
            }
            (dA + d * Np).update(from: dAacc, count: Np)
            dD[d] = dDacc
        }
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
        let (Bt, L, Dm, N, Np) = (s.batch, s.length, s.channels, s.state, s.paddedState)
        let dt = Tensor(uninitializedShape: u.shape)
        scan_delta_forward(delta.data, deltaBias.data, dt.data, rows: Bt * L, channels: Dm)
        // A = −exp(A_log), padded to (Dm, Np) with zeros: padded lanes have Ā = 1 and stay 0.
        let A = withNoGrad { aLog.exp().scaled(-1) }
        let Ap = padColumns(A.data, rows: Dm, n: N, np: Np)
        let Bp = padColumns(B.data, rows: Bt * L, n: N, np: Np)
        let Cp = padColumns(C.data, rows: Bt * L, n: N, np: Np)
        let states = Tensor(uninitializedShape: [Bt, s.chunks, Dm, Np])
        let out = Tensor(uninitializedShape: u.shape)
        selective_scan_forward(s, u: u.data, delta: dt.data, Ap: Ap, Bp: Bp, Cp: Cp, D: D.data, z: z.data,
                               out: out.data, states: states.data)
        let recording = GradMode.isEnabled && [u, delta, deltaBias, aLog, B, C, D, z].contains { $0.requiresGrad }
        if !recording {
            Ap.deallocate(); Bp.deallocate(); Cp.deallocate()
            return out
        }
        let padded = PaddedScanBuffers(Ap: Ap, Bp: Bp, Cp: Cp)
        return out.recorded("selectiveScan", [u, delta, deltaBias, aLog, B, C, D, z]) { c in
            let groups = scanGroups(batch: Bt), items = Bt * groups
            let du = Tensor(uninitializedShape: u.shape), dDelta = Tensor(uninitializedShape: u.shape)
            let dz = Tensor(uninitializedShape: u.shape)
            let dBp = Tensor.zeros([groups, Bt * L, Np]), dCp = Tensor.zeros([groups, Bt * L, Np])
            let dAItems = Tensor(uninitializedShape: [items, Dm, Np]).zeroed()
            let dDItems = Tensor(uninitializedShape: [items, Dm]).zeroed()
            selective_scan_backward(s, u: u.data, delta: dt.data, Ap: padded.Ap, Bp: padded.Bp, Cp: padded.Cp,
                                    D: D.data, z: z.data, states: states.data, dOut: c.grad.data,
                                    du: du.data, dDelta: dDelta.data, dz: dz.data, dBp: dBp.data, dCp: dCp.data,
                                    dAItems: dAItems.data, dDItems: dDItems.data)
            // dΔ = dδ·σ(Δ + bias) = dδ·(1 − e^−δ), with derivative 1 above softplus's threshold.
            let dDeltaRaw = Tensor(uninitializedShape: u.shape)
            let xs = delta.data, bs = deltaBias.data, ds = dt.data, gs = dDelta.data, outp = dDeltaRaw.data
            Parallel.forEach(Bt * L, workPerItem: Dm * 4) { r in
                for d in 0..<Dm {
                    let i = r * Dm + d
                    outp[i] = xs[i] + bs[d] > 20 ? gs[i] : gs[i] * (1 - Foundation.exp(-ds[i]))
                }
            }
            let dBias = dDeltaRaw.reshape([Bt * L, Dm]).sum(axis: 0).detached()
            // dA_log = dA·A (A = −exp(A_log)); drop the padding of the state axis.
            let dAfull = dAItems.sum(axis: 0).detached()
            let dALog = Tensor(uninitializedShape: [Dm, N])
            for d in 0..<Dm { for n in 0..<N { dALog.data[d * N + n] = dAfull.data[d * Np + n] * A.data[d * N + n] } }
            func unpad(_ t: Tensor) -> Tensor {
                let summed = groups > 1 ? t.sum(axis: 0).detached() : t.reshape([Bt * L, Np]).detached()
                return N == Np ? summed.reshape([Bt, L, N]).detached()
                               : summed.narrow(axis: 1, start: 0, length: N).reshape([Bt, L, N]).detached()
            }
            return [du, dDeltaRaw, dBias, dALog, unpad(dBp), unpad(dCp), dDItems.sum(axis: 0).detached(), dz]
        }
    }
}

/// Padded copies the backward reuses; freed with the graph node that owns them.
final class PaddedScanBuffers {
    let Ap: UnsafeMutablePointer<Float>, Bp: UnsafeMutablePointer<Float>, Cp: UnsafeMutablePointer<Float>
    init(Ap: UnsafeMutablePointer<Float>, Bp: UnsafeMutablePointer<Float>, Cp: UnsafeMutablePointer<Float>) {
        self.Ap = Ap; self.Bp = Bp; self.Cp = Cp
    }
    deinit { Ap.deallocate(); Bp.deallocate(); Cp.deallocate() }
}

extension Tensor {
    /// Sets every element to 0 and returns self (for freshly allocated accumulators).
    func zeroed() -> Tensor { data.update(repeating: 0, count: count); return self }
}
