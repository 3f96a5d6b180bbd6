/// Raw loops behind the elementwise ops: SIMD16 over contiguous runs, both cores when large.
/// Short closures are inlined into each call site, so each op gets its own specialised loop;
/// a capturing closure, or a larger body (SiLU, GELU), stays a call per vector. Those ops pass an ElementwiseFunction type instead,
/// whose generic kernels are specialised and inlined. Constants belong inside the closure or
/// in a @_transparent helper.

/// y = f(x) over n elements.
@inline(__always)
func unaryKernel(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                 _ vf: (Vec16) -> Vec16, _ sf: (Float) -> Float) {
    Parallel.forChunks(n) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { store16(vf(load16(x + i)), y + i); i += 16 }
        while i < r.upperBound { y[i] = sf(x[i]); i += 1 }
    }
}

/// An elementwise function as a type, for bodies too large for the closure path to inline
/// (an exp plus a division already is): the kernels below are specialised per type, so the
/// body is inlined into the loop.
protocol ElementwiseFunction {
    static func vector(_ x: Vec16) -> Vec16
    static func scalar(_ x: Float) -> Float
}

/// g·f′(x) as a type, for backward passes (see ElementwiseFunction).
protocol ElementwiseDerivative {
    static func vector(_ g: Vec16, _ x: Vec16) -> Vec16
    static func scalar(_ g: Float, _ x: Float) -> Float
}

/// y = F(x) over n elements.
@inline(__always)
func unaryKernel<F: ElementwiseFunction>(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _: F.Type) {
    Parallel.forChunks(n) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { store16(F.vector(load16(x + i)), y + i); i += 16 }
        while i < r.upperBound { y[i] = F.scalar(x[i]); i += 1 }
    }
}

/// gx = D(g, x) over n elements.
@inline(__always)
func derivativeKernel<D: ElementwiseDerivative>(_ n: Int, _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                _ gx: UnsafeMutablePointer<Float>, _: D.Type) {
    Parallel.forChunks(n) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { store16(D.vector(load16(g + i), load16(x + i)), gx + i); i += 16 }
        while i < r.upperBound { gx[i] = D.scalar(g[i], x[i]); i += 1 }
    }
}

/// y = f(x) for functions without a vector form (log, erf): the loop is still split over cores.
@inline(__always)
func scalarKernel(_ n: Int, work: Int = 8, _ body: (Int) -> Void) {
    Parallel.forChunks(n, work: n * work) { r in for i in r { body(i) } }
}

/// out = f(a, b) with NumPy broadcasting; `out` has the broadcast shape.
@inline(__always)
func binaryKernel(_ a: Tensor, _ b: Tensor, _ out: Tensor,
                  _ vf: (Vec16, Vec16) -> Vec16, _ sf: (Float, Float) -> Float) {
    let pa = a.data, pb = b.data, po = out.data
    if a.shape == b.shape {
        Parallel.forChunks(out.count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store16(vf(load16(pa + i), load16(pb + i)), po + i); i += 16 }
            while i < r.upperBound { po[i] = sf(pa[i], pb[i]); i += 1 }
        }
        return
    }
    let plan = StridedPlan(outShape: out.shape, aShape: a.shape, bShape: b.shape)
    let n = plan.rowLength, sa = plan.innerStrideA, sb = plan.innerStrideB
    // One row: split it across cores; many rows: split rows.
    let rows = plan.rowCount
    func rowBody(_ row: Int, _ lo: Int, _ hi: Int) {
        let (oa, ob) = plan.offsets(row: row)
        let x = pa + oa, y = pb + ob, o = po + row * n
        var i = lo
        switch (sa, sb) {
        case (1, 1):
            while i + 16 <= hi { store16(vf(load16(x + i), load16(y + i)), o + i); i += 16 }
            while i < hi { o[i] = sf(x[i], y[i]); i += 1 }
        case (1, 0):
            let yv = Vec16(repeating: y[0]), ys = y[0]
            while i + 16 <= hi { store16(vf(load16(x + i), yv), o + i); i += 16 }
            while i < hi { o[i] = sf(x[i], ys); i += 1 }
        case (0, 1):
            let xv = Vec16(repeating: x[0]), xs = x[0]
            while i + 16 <= hi { store16(vf(xv, load16(y + i)), o + i); i += 16 }
            while i < hi { o[i] = sf(xs, y[i]); i += 1 }
        default:
            let v = sf(x[0], y[0])
            while i < hi { o[i] = v; i += 1 }
        }
    }
    if rows == 1 {
        Parallel.forChunks(n) { r in rowBody(0, r.lowerBound, r.upperBound) }
    } else {
        Parallel.forEach(rows, workPerItem: n) { row in rowBody(row, 0, n) }
    }
}

/// Copies `x` into the larger broadcast shape `shape` (binaryKernel with a scalar second
/// operand that the function ignores).
func expandRaw(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x.detached() }
    let out = Tensor(uninitializedShape: shape)
    binaryKernel(x, Tensor(scalar: 0), out, { a, _ in a }, { a, _ in a })
    return out
}

extension Tensor {
    /// self += other (same shape), outside the graph: gradient accumulation and optimisers.
    public func addInPlace(_ other: Tensor, scale: Float = 1) {
        precondition(shape == other.shape, "addInPlace: shapes \(shape) and \(other.shape) differ")
        let p = data, q = other.data
        let s = Vec16(repeating: scale)
        Parallel.forChunks(count) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store16(load16(p + i) + s * load16(q + i), p + i); i += 16 }
            while i < r.upperBound { p[i] += scale * q[i]; i += 1 }
        }
    }

    /// self + other (same shape) without recording, in one pass.
    func addingRaw(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "addingRaw: shapes \(shape) and \(other.shape) differ")
        let out = Tensor(uninitializedShape: shape)
        binaryKernel(self, other, out, +, +)
        return out
    }

    /// self * s without recording.
    func scaledRaw(_ s: Float) -> Tensor {
        // A loop of its own: a per-vector closure capturing `s` would not inline.
        let out = Tensor(uninitializedShape: shape)
        let x = data, y = out.data
        Parallel.forChunks(count) { r in
            let sv = Vec16(repeating: s)
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store16(load16(x + i) * sv, y + i); i += 16 }
            while i < r.upperBound { y[i] = x[i] * s; i += 1 }
        }
        return out
    }
}
