import Foundation

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
                let xr = x.data + r * n
                var mean: Float = 0
                for i in 0..<n { mean += xr[i] }
                mean /= Float(n)
                var variance: Float = 0
                for i in 0..<n { let d = xr[i] - mean; variance += d * d }
                let s = 1 / (variance / Float(n) + eps).squareRoot()
                rs[r] = s
                for i in 0..<n {
                    let h = (xr[i] - mean) * s
                    xhat.data[r * n + i] = h
                    out.data[r * n + i] = h * weight.data[i] + bias.data[i]
                }
            }
        }
        return out.recorded("layerNorm", [x, weight, bias]) { c in
            let g = c.grad
            var gx: Tensor? = nil
            if c.needsGrad(0) {
                let dx = Tensor(uninitializedShape: x.shape)
                Parallel.forEach(rows, workPerItem: n * 4) { r in
                    let gr = g.data + r * n, hr = xhat.data + r * n
                    var m1: Float = 0, m2: Float = 0
                    for i in 0..<n { let gh = gr[i] * weight.data[i]; m1 += gh; m2 += gh * hr[i] }
                    m1 /= Float(n); m2 /= Float(n)
                    for i in 0..<n { dx.data[r * n + i] = rstd[r] * (gr[i] * weight.data[i] - m1 - hr[i] * m2) }
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
                let xr = x.data + r * n
                var ms: Float = 0
                for i in 0..<n { ms += xr[i] * xr[i] }
                let s = 1 / (ms / Float(n) + eps).squareRoot()
                rsp[r] = s
                for i in 0..<n {
                    let h = xr[i] * s
                    xhat.data[r * n + i] = h
                    out.data[r * n + i] = h * weight.data[i]
                }
            }
        }
        return out.recorded("rmsNorm", [x, weight]) { c in
            let g = c.grad
            var gx: Tensor? = nil
            if c.needsGrad(0) {
                let dx = Tensor(uninitializedShape: x.shape)
                Parallel.forEach(rows, workPerItem: n * 3) { r in
                    let gr = g.data + r * n, hr = xhat.data + r * n
                    var m: Float = 0
                    for i in 0..<n { m += gr[i] * weight.data[i] * hr[i] }
                    m /= Float(n)
                    for i in 0..<n { dx.data[r * n + i] = rs[r] * (gr[i] * weight.data[i] - hr[i] * m) }
                }
                gx = dx
            }
            let gw = c.needsGrad(1) ? g.zipped(xhat, *, *).reshapedRaw([rows, n]).sumRaw(axes: [0]).reshapedRaw([n]) : nil
            return [gx, gw]
        }
    }
}
