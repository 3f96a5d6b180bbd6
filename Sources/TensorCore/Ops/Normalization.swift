import Foundation

/// Σ p[i] over one row.
@inline(__always) func rowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec16()
    var i = 0
    while i + 16 <= n { acc += load16(p + i); i += 16 }
    var s = hsum16(acc)
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Σ (p[i] − c)² over one row.
@inline(__always) func rowCenteredSquares(_ p: UnsafePointer<Float>, _ c: Float, _ n: Int) -> Float {
    var acc = Vec16()
    let cv = Vec16(repeating: c)
    var i = 0
    while i + 16 <= n { let d = load16(p + i) - cv; acc = fma16(d, d, acc); i += 16 }
    var s = hsum16(acc)
    while i < n { let d = p[i] - c; s += d * d; i += 1 }
    return s
}

/// LayerNorm (GPT-NeoX) and RMSNorm (Mamba) over the last axis.
extension Tensor {
    /// Rows and width for a last-axis normalisation, checking the parameter shapes.
    private func normRows(_ op: String, _ params: [Tensor]) -> (Int, Int) {
        guard let n = shape.last, n > 0 else { shapeFailure(ShapeError("\(op): input shape \(shape) has no features")) }
        for p in params where p.shape != [n] {
            shapeFailure(ShapeError("\(op): parameter shape \(p.shape) does not match input shape \(shape) (want [\(n)])"))
        }
        return (count / n, n)
    }

    // layerNorm: y = (x−μ)·rstd·w + b
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w;  dw = Σ g·x̂;  db = Σ g
    public func layerNorm(weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
        let (rows, n) = normRows("layerNorm", [weight, bias])
        let x = self, out = Tensor(uninitializedShape: shape)
        let xhat = Tensor(uninitializedShape: shape)
        var rstd = [Float](repeating: 0, count: rows)
        rstd.withUnsafeMutableBufferPointer { rs in
            Parallel.forEach(rows, workPerItem: n * 4) { r in
                let xr = x.data + r * n, hr = xhat.data + r * n, or = out.data + r * n
                let mean = rowSum(xr, n) / Float(n)
                let s = 1 / (rowCenteredSquares(xr, mean, n) / Float(n) + eps).squareRoot()
                rs[r] = s
                let mv = Vec16(repeating: mean), sv = Vec16(repeating: s)
                var i = 0
                while i + 16 <= n {
                    let h = (load16(xr + i) - mv) * sv
                    store16(h, hr + i)
                    store16(fma16(h, load16(weight.data + i), load16(bias.data + i)), or + i)
                    i += 16
                }
                while i < n { let h = (xr[i] - mean) * s; hr[i] = h; or[i] = h * weight.data[i] + bias.data[i]; i += 1 }
            }
        }
        return out.recorded("layerNorm", [x, weight, bias]) { c in
            let g = c.grad
            var gx: Tensor? = nil
            if c.needsGrad(0) {
                let dx = Tensor(uninitializedShape: x.shape)
                Parallel.forEach(rows, workPerItem: n * 4) { r in
                    let gr = g.data + r * n, hr = xhat.data + r * n, dr = dx.data + r * n, w = weight.data
                    var a1 = Vec16(), a2 = Vec16()
                    var i = 0
                    while i + 16 <= n {
                        let gh = load16(gr + i) * load16(w + i)
                        a1 += gh; a2 = fma16(gh, load16(hr + i), a2); i += 16
                    }
                    var m1 = hsum16(a1), m2 = hsum16(a2)
                    while i < n { let gh = gr[i] * w[i]; m1 += gh; m2 += gh * hr[i]; i += 1 }
                    m1 /= Float(n); m2 /= Float(n)
                    let sv = Vec16(repeating: rstd[r]), m1v = Vec16(repeating: m1), m2v = Vec16(repeating: m2)
                    i = 0
                    while i + 16 <= n {
                        store16(sv * (load16(gr + i) * load16(w + i) - m1v - load16(hr + i) * m2v), dr + i); i += 16
                    }
                    while i < n { dr[i] = rstd[r] * (gr[i] * w[i] - m1 - hr[i] * m2); i += 1 }
                }
                gx = dx
            }
            let gw = c.needsGrad(1) ? g.zipped(xhat, *, *).reshapedRaw([rows, n]).sumRaw(axes: [0]).reshapedRaw([n]) : nil
            let gb = c.needsGrad(2) ? g.reshapedRaw([rows, n]).sumRaw(axes: [0]).reshapedRaw([n]) : nil
            return [gx, gw, gb]
        }
    }

    // rmsNorm (transformers' MambaRMSNorm): y = w·x·r with r = 1/√(mean(x²)+ε)
    // dx = r·(ĝ − x̂·mean(ĝ·x̂)) with ĝ = g·w, x̂ = x·r;  dw = Σ g·x̂
    public func rmsNorm(weight: Tensor, eps: Float = 1e-5) -> Tensor {
        let (rows, n) = normRows("rmsNorm", [weight])
        let x = self, out = Tensor(uninitializedShape: shape)
        let xhat = Tensor(uninitializedShape: shape)
        var rs = [Float](repeating: 0, count: rows)
        rs.withUnsafeMutableBufferPointer { rsp in
            Parallel.forEach(rows, workPerItem: n * 3) { r in
                let xr = x.data + r * n, hr = xhat.data + r * n, or = out.data + r * n
                let s = 1 / (rowCenteredSquares(xr, 0, n) / Float(n) + eps).squareRoot()
                rsp[r] = s
                let sv = Vec16(repeating: s)
                var i = 0
                while i + 16 <= n {
                    let h = load16(xr + i) * sv
                    store16(h, hr + i); store16(h * load16(weight.data + i), or + i); i += 16
                }
                while i < n { let h = xr[i] * s; hr[i] = h; or[i] = h * weight.data[i]; i += 1 }
            }
        }
        return out.recorded("rmsNorm", [x, weight]) { c in
            let g = c.grad
            var gx: Tensor? = nil
            if c.needsGrad(0) {
                let dx = Tensor(uninitializedShape: x.shape)
                Parallel.forEach(rows, workPerItem: n * 3) { r in
                    let gr = g.data + r * n, hr = xhat.data + r * n, dr = dx.data + r * n, w = weight.data
                    var acc = Vec16()
                    var i = 0
                    while i + 16 <= n { acc = fma16(load16(gr + i) * load16(w + i), load16(hr + i), acc); i += 16 }
                    var m = hsum16(acc)
                    while i < n { m += gr[i] * w[i] * hr[i]; i += 1 }
                    m /= Float(n)
                    let sv = Vec16(repeating: rs[r]), mv = Vec16(repeating: m)
                    i = 0
                    while i + 16 <= n { store16(sv * (load16(gr + i) * load16(w + i) - load16(hr + i) * mv), dr + i); i += 16 }
                    while i < n { dr[i] = rs[r] * (gr[i] * w[i] - hr[i] * m); i += 1 }
                }
                gx = dx
            }
            let gw = c.needsGrad(1) ? g.zipped(xhat, *, *).reshapedRaw([rows, n]).sumRaw(axes: [0]).reshapedRaw([n]) : nil
            return [gx, gw]
        }
    }
}
