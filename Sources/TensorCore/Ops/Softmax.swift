import Foundation

/// Row kernels over the last axis   // x is (rows, n)
func softmax_forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, n: Int, log: Bool) {
    Parallel.forEach(rows, workPerItem: n * 4) { r in
        let xr = x + r * n, yr = y + r * n
        let m = rowMax(xr, count: n)
        let mv = Vec16(repeating: m)
        var acc = Vec16()
        var i = 0
        while i + 16 <= n { let e = exp16(load16(xr + i) - mv); store16(e, yr + i); acc += e; i += 16 }
        var s = hsum16(acc)
        while i < n { let e = Foundation.exp(xr[i] - m); yr[i] = e; s += e; i += 1 }
        if log {
            let shift = m + Foundation.log(s)
            for j in 0..<n { yr[j] = xr[j] - shift }
        } else {
            let inv = 1 / s
            for j in 0..<n { yr[j] *= inv }
        }
    }
}

/// max over x[0..<count], sixteen lanes at a time (a serial max waits on each compare; the
/// maximum is the same in any order). NaNs are skipped here; they reach the sum instead.
@inline(__always)
func rowMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var vmax = Vec16(repeating: -.infinity)
    var i = 0
    while i + 16 <= count {
        let v = load16(x + i)
        vmax.replace(with: v, where: vmax .< v)
        i += 16
    }
    var m = hmax16(vmax)
    while i < count { m = Swift.max(m, x[i]); i += 1 }
    return m
}

extension Tensor {
    /// Applies a last-axis row op along any axis by moving that axis last and back.
    private func alongAxis(_ axis: Int, op: String, _ f: (Tensor) -> Tensor) -> Tensor {
        let a = self.axis(axis, op: op)
        if a == rank - 1 { return f(self) }
        var perm = Array(0..<rank); perm.remove(at: a); perm.append(a)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return f(permute(perm)).permute(inverse)
    }

    // softmax: y = eˣ/Σeˣ; dx = y·(g − Σ g·y)
    public func softmax(axis: Int = -1) -> Tensor {
        alongAxis(axis, op: "softmax") { x in
            let n = x.shape.last ?? 1, rows = x.count / Swift.max(n, 1)
            let out = Tensor(uninitializedShape: x.shape)
            softmax_forward(x.data, out.data, rows: rows, n: n, log: false)
            return out.recorded("softmax", [x]) { c in
                let gx = Tensor(uninitializedShape: x.shape)
                let g = c.grad.data, y = c.output.data
                Parallel.forEach(rows, workPerItem: n * 2) { r in
                    var dot: Float = 0
                    for i in 0..<n { dot += g[r * n + i] * y[r * n + i] }
                    for i in 0..<n { gx.data[r * n + i] = y[r * n + i] * (g[r * n + i] - dot) }
                }
                return [gx]
            }
        }
    }

    // logSoftmax: y = x − log Σeˣ; dx = g − eʸ·Σg
    public func logSoftmax(axis: Int = -1) -> Tensor {
        alongAxis(axis, op: "logSoftmax") { x in
            let n = x.shape.last ?? 1, rows = x.count / Swift.max(n, 1)
            let out = Tensor(uninitializedShape: x.shape)
            softmax_forward(x.data, out.data, rows: rows, n: n, log: true)
            return out.recorded("logSoftmax", [x]) { c in
                let gx = Tensor(uninitializedShape: x.shape)
                let g = c.grad.data, y = c.output.data
                Parallel.forEach(rows, workPerItem: n * 4) { r in
                    var total: Float = 0
                    for i in 0..<n { total += g[r * n + i] }
                    for i in 0..<n { gx.data[r * n + i] = g[r * n + i] - Foundation.exp(y[r * n + i]) * total }
                }
                return [gx]
            }
        }
    }
}
