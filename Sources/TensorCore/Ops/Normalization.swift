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

/// One RMSNorm row (or group) forward: x̂ = x·s, out = x̂·w. `xhat` may be `x` itself.
@inline(__always) func rmsRowForward(_ x: UnsafePointer<Float>, scale s: Float, _ w: UnsafePointer<Float>,
                                     _ xhat: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let sv = Vec16(repeating: s)
    var i = 0
    while i + 16 <= n { let h = load16(x + i) * sv; store16(h, xhat + i); store16(h * load16(w + i), out + i); i += 16 }
    while i < n { let h = x[i] * s; xhat[i] = h; out[i] = h * w[i]; i += 1 }
}

/// One RMSNorm row (or group) backward: dx = s·(ĝ − x̂·mean(ĝ·x̂)) with ĝ = g·w.
@inline(__always) func rmsRowBackward(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>,
                                      scale s: Float, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
    var acc = Vec16()
    var i = 0
    while i + 16 <= n { acc = fma16(load16(g + i) * load16(w + i), load16(xhat + i), acc); i += 16 }
    var m = hsum16(acc)
    while i < n { m += g[i] * w[i] * xhat[i]; i += 1 }
    m /= Float(n)
    let sv = Vec16(repeating: s), mv = Vec16(repeating: m)
    i = 0
    while i + 16 <= n { store16(sv * (load16(g + i) * load16(w + i) - load16(xhat + i) * mv), dx + i); i += 16 }
    while i < n { dx[i] = s * (g[i] * w[i] - xhat[i] * m); i += 1 }
}

/// The weight gradient Σ_rows g·x̂ and (with `bias`) the bias gradient Σ_rows g of a
/// last-axis norm, in one pass: fixed blocks of rows (Parallel.reductionBlocks, whatever the
/// thread count) sum into their own partials, which are then added in block order.
func normParameterGrads(_ g: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, rows: Int, n: Int,
                                bias: Bool) -> (weight: Tensor, bias: Tensor?) {
    let parts = Swift.min(Parallel.reductionBlocks, Swift.max(rows, 1))
    let partial = Tensor.zeros([parts, 2, n])
    Parallel.forEach(parts, workPerItem: rows * n * 2 / parts) { p in
        let gw = partial.data + p * 2 * n, gb = gw + n
        for r in (p * rows / parts)..<((p + 1) * rows / parts) {
            let gr = g + r * n, hr = xhat + r * n
            var i = 0
            while i + 16 <= n {
                let gv = load16(gr + i)
                store16(fma16(gv, load16(hr + i), load16(gw + i)), gw + i)
                if bias { store16(load16(gb + i) + gv, gb + i) }
                i += 16
            }
            while i < n { gw[i] += gr[i] * hr[i]; if bias { gb[i] += gr[i] }; i += 1 }
        }
    }
    let weight = Tensor.zeros([n]), biasGrad = bias ? Tensor.zeros([n]) : nil
    for p in 0..<parts {
        for i in 0..<n {
            weight.data[i] += partial.data[p * 2 * n + i]
            if let biasGrad { biasGrad.data[i] += partial.data[p * 2 * n + n + i] }
        }
    }
    return (weight, biasGrad)
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
            guard c.needsGrad(1) || c.needsGrad(2) else { return [gx, nil, nil] }
            let (gw, gb) = normParameterGrads(g.data, xhat.data, rows: rows, n: n, bias: true)
            return [gx, c.needsGrad(1) ? gw : nil, c.needsGrad(2) ? gb : nil]
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
                rmsRowForward(xr, scale: s, weight.data, hr, or, n)
            }
        }
        return out.recorded("rmsNorm", [x, weight]) { c in
            let g = c.grad
            var gx: Tensor? = nil
            if c.needsGrad(0) {
                let dx = Tensor(uninitializedShape: x.shape)
                Parallel.forEach(rows, workPerItem: n * 3) { r in
                    rmsRowBackward(g.data + r * n, weight.data, xhat.data + r * n, scale: rs[r], dx.data + r * n, n)
                }
                gx = dx
            }
            let gw = c.needsGrad(1) ? normParameterGrads(g.data, xhat.data, rows: rows, n: n, bias: false).weight : nil
            return [gx, gw]
        }
    }
}
