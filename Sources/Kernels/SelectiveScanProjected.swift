import TensorCore

// Mamba's mixer from x_proj's output on (mamba_ssm's mamba_inner_fn does the same fusion):
//   x_proj(x) = [Δ_r | B | C]   (Bt, L, R + 2N), R = dt_rank
//   Δ = Δ_r · W_dtᵀ             (Bt, L, Dm), dt_proj without its bias (the scan adds it)
// then the selective scan. Splitting x_proj's output and running dt_proj as separate ops
// costs three column copies, a (Bt, L, Dm) product output, and in the backward three
// zero-filled (Bt, L, R + 2N) gradients and their sums. Here Δ_r, B and C are read in place
// (row stride R + 2N), dt_proj writes straight into the scan's δ rows, and the backward
// writes dΔ_r, dB and dC into one gradient of x_proj's output.

extension Tensor {
    /// The selective scan on x_proj's output `projected` = [Δ_r | B | C] (Bt, L, R + 2N) with
    /// dt_proj's weight `dtWeight` (Dm, R) and bias `deltaBias` (Dm). When `C` (Bt, L, N) is
    /// given apart, `projected` is [Δ_r | B] (Bt, L, R + N) (Mamba's last layer computes C at
    /// the answer rows only). The same function as splitting `projected`, applying dt_proj
    /// and calling `selectiveScan(u:delta:…)`.
    ///
    /// With `rows` (distinct flat indices b·L + t), the output exists at those rows only:
    /// C (given apart) and z are (rows, ·) and so is the result, (rows, Dm) — the rows of the
    /// full output. The recurrence still runs over every step; steps without output skip
    /// y, dz and dC. (Mamba's last layer needs its output at the answer position only.)
    public static func selectiveScan(u: Tensor, projected: Tensor, dtWeight: Tensor, deltaBias: Tensor,
                                     aLog: Tensor, C separateC: Tensor? = nil, D: Tensor, z: Tensor,
                                     at rows: [Int]? = nil) -> Tensor {
        guard u.rank == 3, aLog.rank == 2, dtWeight.rank == 2, dtWeight.shape[0] == u.shape[2] else {
            fatalError("\(ShapeError("selectiveScan: u \(u.shape), dt_proj weight \(dtWeight.shape) and A_log \(aLog.shape) do not fit (want u (batch, length, channels), weight (channels, dt_rank))"))")
        }
        let (Bt, L, R, N) = (u.shape[0], u.shape[1], dtWeight.shape[1], aLog.shape[1])
        let width = R + N + (separateC == nil ? N : 0)
        guard projected.shape == [Bt, L, width] else {
            fatalError("\(ShapeError("selectiveScan: x_proj output has shape \(projected.shape), expected \([Bt, L, width]) (dt_rank \(R) + B \(N)\(separateC == nil ? " + C \(N)" : ""); u \(u.shape))"))")
        }
        var slot: [Int32]? = nil
        if let rows {
            let Dm = u.shape[2]
            guard let separateC, separateC.shape == [rows.count, N], z.shape == [rows.count, Dm] else {
                fatalError("\(ShapeError("selectiveScan at \(rows.count) rows: C must come apart as \([rows.count, N]) and z be \([rows.count, Dm]); got C \(separateC?.shape.description ?? "inside x_proj's output"), z \(z.shape)"))")
            }
            var table = [Int32](repeating: -1, count: Bt * L)
            for (i, r) in rows.enumerated() {
                guard r >= 0, r < Bt * L, table[r] < 0 else {
                    fatalError("\(ShapeError("selectiveScan: output row \(r) is out of range 0..<\(Bt * L) or repeated"))")
                }
                table[r] = Int32(i)
            }
            slot = table
        }
        let s: ScanShape
        do {
            let perStep = [Bt, L, u.shape[2]]
            s = try ScanShape(u: u.shape, delta: u.shape, deltaBias: deltaBias.shape, aLog: aLog.shape, b: [Bt, L, N],
                              c: rows == nil ? separateC?.shape ?? [Bt, L, N] : [Bt, L, N], d: D.shape,
                              z: rows == nil ? z.shape : perStep)
        } catch { fatalError("\(error)") }
        let (Dm, Dmp, steps) = (s.channels, s.paddedChannels, Bt * L)
        // Δ = Δ_r·W_dtᵀ straight into the scan's channel-padded rows; the scan adds the bias.
        let dt = Tensor(uninitializedShape: [Bt, L, Dmp])
        sgemm(projected.data, dtWeight.data, dt.data, m: steps, n: Dm, k: R, transposeB: true, lda: width, ldc: Dmp)
        let inputs = [u, projected, dtWeight, deltaBias, aLog, D, z] + (separateC.map { [$0] } ?? [])
        let recording = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        let run = ScanRun(s, delta: dt.data, ldDelta: Dmp, dt: dt, deltaBias: deltaBias, aLog: aLog, u: u, z: z, D: D,
                          B: projected, bOffset: R, ldB: width,
                          C: separateC ?? projected, cOffset: separateC == nil ? R + N : 0, ldC: separateC == nil ? width : N,
                          slot: slot, outputRows: slot == nil ? nil : separateC?.shape[0], recording: recording)
        return run.out.recorded("selectiveScan", inputs) { c in
            let g = run.backward(c.grad)
            // d[Δ_r | B | C] in one tensor: dΔ_r = dΔ·W_dt into its first R columns, then B's and C's.
            var dProjected: Tensor? = nil, dWeight: Tensor? = nil
            if c.needsGrad(1) {
                let dp = Tensor(uninitializedShape: projected.shape)
                sgemm(g.dDelta.data, dtWeight.data, dp.data, m: steps, n: R, k: Dm, lda: Dmp, ldc: width)
                let dB = g.dB.data, dC = g.dC.data, out = dp.data, withC = separateC == nil
                Parallel.forEach(steps, workPerItem: 2 * N) { r in
                    (out + r * width + R).update(from: dB + r * N, count: N)
                    if withC { (out + r * width + R + N).update(from: dC + r * N, count: N) }
                }
                dProjected = dp
            }
            if c.needsGrad(2) {
                // dW_dt = dΔᵀ·Δ_r   // (Dm, steps)·(steps, R)
                dWeight = Tensor(uninitializedShape: dtWeight.shape)
                sgemm(g.dDelta.data, projected.data, dWeight!.data, m: Dm, n: R, k: steps, transposeA: true,
                      lda: Dmp, ldb: width)
            }
            return [g.du, dProjected, dWeight, g.dDeltaBias, g.dALog, g.dD, g.dz] + (separateC == nil ? [] : [g.dC])
        }
    }
}
