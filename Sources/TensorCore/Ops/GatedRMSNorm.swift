import Foundation

/// Mamba-2's gated RMSNorm (transformers' MambaRMSNormGated, mamba_ssm's RMSNormGated with
/// norm_before_gate=False) in one pass over the rows, where y·silu(z) then rmsNorm makes three
/// and keeps two more (rows, D) tensors for the backward.
///
///   g = y·silu(z);  x̂ = g·r per group of D/groups channels, r = 1/√(mean(g²) + ε);  out = w·x̂
///   dg = r·(ĝ − x̂·mean(ĝ·x̂)) with ĝ = dout·w;  dy = dg·silu(z);  dz = dg·y·σ(z)(1 + z(1 − σ(z)));  dw = Σ dout·x̂
extension Tensor {
    /// `self` is y and `gate` z, both (…, D); `weight` is (D); each row is normalised per group.
    public func rmsNorm(gate z: Tensor, weight: Tensor, groups: Int = 1, eps: Float = 1e-5) -> Tensor {
        guard let n = shape.last, n > 0, groups > 0, n % groups == 0 else {
            shapeFailure(ShapeError("rmsNorm(gate:): input shape \(shape) has no features or does not split into \(groups) groups"))
        }
        guard z.shape == shape else { shapeFailure(ShapeError("rmsNorm(gate:): gate shape \(z.shape) differs from input shape \(shape)")) }
        guard weight.shape == [n] else {
            shapeFailure(ShapeError("rmsNorm(gate:): weight shape \(weight.shape) does not match input shape \(shape) (want [\(n)])"))
        }
        let y = self, rows = count / n, width = n / groups
        let out = Tensor(uninitializedShape: shape), xhat = Tensor(uninitializedShape: shape)
        let rstd = Tensor(uninitializedShape: [rows, groups])
        let (yp, zp, wp, hp, op, rp) = (y.data, z.data, weight.data, xhat.data, out.data, rstd.data)
        Parallel.forEach(rows, workPerItem: n * 24) { r in
            let yr = yp + r * n, zr = zp + r * n, hr = hp + r * n, or = op + r * n
            silu_row(zr, hr, n)
            var i = 0
            while i + 16 <= n { store16(load16(yr + i) * load16(hr + i), hr + i); i += 16 }
            while i < n { hr[i] = yr[i] * hr[i]; i += 1 }
            for gi in 0..<groups {
                let lo = gi * width, h = hr + lo
                let s = 1 / (rowCenteredSquares(h, 0, width) / Float(width) + eps).squareRoot()
                rp[r * groups + gi] = s
                let sv = Vec16(repeating: s)
                i = 0
                while i + 16 <= width { let v = load16(h + i) * sv; store16(v, h + i); store16(v * load16(wp + lo + i), or + lo + i); i += 16 }
                while i < width { let v = h[i] * s; h[i] = v; or[lo + i] = v * wp[lo + i]; i += 1 }
            }
        }
        return out.recorded("rmsNorm(gate:)", [y, z, weight]) { c in
            // The pointers above point into these: the closure keeps them alive.
            _ = (y, z, weight, xhat, rstd)
            let g = c.grad.data
            var dy: Tensor? = nil, dz: Tensor? = nil
            if c.needsGrad(0) || c.needsGrad(1) {
                let dyT = Tensor(uninitializedShape: y.shape), dzT = Tensor(uninitializedShape: z.shape)
                let (dyp, dzp) = (dyT.data, dzT.data)
                Parallel.forEach(rows, workPerItem: n * 32) { r in
                    let gr = g + r * n, hr = hp + r * n, yr = yp + r * n, zr = zp + r * n
                    let dgr = dyp + r * n   // dg first, then dy over it
                    for gi in 0..<groups {
                        let lo = gi * width
                        var acc = Vec16()
                        var i = 0
                        while i + 16 <= width { acc = fma16(load16(gr + lo + i) * load16(wp + lo + i), load16(hr + lo + i), acc); i += 16 }
                        var m = hsum16(acc)
                        while i < width { m += gr[lo + i] * wp[lo + i] * hr[lo + i]; i += 1 }
                        m /= Float(width)
                        let s = rp[r * groups + gi], sv = Vec16(repeating: s), mv = Vec16(repeating: m)
                        i = 0
                        while i + 16 <= width {
                            store16(sv * (load16(gr + lo + i) * load16(wp + lo + i) - load16(hr + lo + i) * mv), dgr + lo + i); i += 16
                        }
                        while i < width { dgr[lo + i] = s * (gr[lo + i] * wp[lo + i] - hr[lo + i] * m); i += 1 }
                    }
                    var i = 0
                    while i + 16 <= n {
                        let dg = load16(dgr + i), zv = load16(zr + i)
                        store16(SiLU.Derivative.vector(dg * load16(yr + i), zv), dzp + r * n + i)
                        store16(dg * SiLU.vector(zv), dgr + i)
                        i += 16
                    }
                    while i < n {
                        let dg = dgr[i]
                        dzp[r * n + i] = SiLU.Derivative.scalar(dg * yr[i], zr[i])
                        dgr[i] = dg * SiLU.scalar(zr[i])
                        i += 1
                    }
                }
                dy = c.needsGrad(0) ? dyT : nil
                dz = c.needsGrad(1) ? dzT : nil
            }
            let dw = c.needsGrad(2) ? normParameterGrads(g, hp, rows: rows, n: n, bias: false).weight : nil
            return [dy, dz, dw]
        }
    }
}
