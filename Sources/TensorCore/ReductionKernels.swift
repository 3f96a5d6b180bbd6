/// Reductions see a tensor as (outer, n, inner) and reduce the middle dimension.

/// out[o, i] = Σ_k x[o, k, i]   // x is (outer, n, inner), out is (outer, inner)
func sum_forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                 outer: Int, n: Int, inner: Int) {
    if inner == 1 {
        let rowSum = { (p: UnsafePointer<Float>, count: Int) -> Float in
            var acc0 = Vec16(), acc1 = Vec16()
            var k = 0
            while k + 32 <= count { acc0 += load16(p + k); acc1 += load16(p + k + 16); k += 32 }
            while k + 16 <= count { acc0 += load16(p + k); k += 16 }
            var s = hsum16(acc0 + acc1)
            while k < count { s += p[k]; k += 1 }
            return s
        }
        if outer == 1 && n >= Parallel.elementThreshold {
            // Fixed blocks, combined in order: the same sum on any number of threads.
            let blocks = Parallel.reductionBlocks
            var partial = [Float](repeating: 0, count: blocks)
            partial.withUnsafeMutableBufferPointer { pp in
                Parallel.forEach(blocks, workPerItem: n / blocks) { c in
                    let lo = c * n / blocks, hi = (c + 1) * n / blocks
                    pp[c] = rowSum(x + lo, hi - lo)
                }
            }
            out[0] = partial.reduce(0, +)
        } else {
            Parallel.forEach(outer, workPerItem: n) { o in out[o] = rowSum(x + o * n, n) }
        }
        return
    }
    // Rows of length `inner` are added together; SIMD runs along inner.
    let addRows = { (src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, k0: Int, k1: Int) in
        dst.update(repeating: 0, count: inner)
        for k in k0..<k1 {
            let row = src + k * inner
            var i = 0
            while i + 16 <= inner { store16(load16(dst + i) + load16(row + i), dst + i); i += 16 }
            while i < inner { dst[i] += row[i]; i += 1 }
        }
    }
    // Whether a reduction is split depends on its shape alone, never on the thread count.
    if outer >= Parallel.reductionBlocks || outer * n * inner < Parallel.elementThreshold || n < 2 {
        Parallel.forEach(outer, workPerItem: n * inner) { o in addRows(x + o * n * inner, out + o * inner, 0, n) }
        return
    }
    // Few outer rows but long reductions (bias gradients): partial sums over fixed blocks of
    // rows, combined in block order.
    let blocks = Swift.min(Parallel.reductionBlocks, n)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: blocks * inner)
    defer { scratch.deallocate() }
    for o in 0..<outer {
        let src = x + o * n * inner
        Parallel.forEach(blocks, workPerItem: n * inner / blocks) { c in
            addRows(src, scratch + c * inner, c * n / blocks, (c + 1) * n / blocks)
        }
        let dst = out + o * inner
        dst.update(from: scratch, count: inner)
        for c in 1..<blocks {
            for i in 0..<inner { dst[i] += scratch[c * inner + i] }
        }
    }
}

/// out[o, i] = max_k x[o, k, i], arg[o, i] = first k reaching it   // x is (outer, n, inner)
func max_forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                 _ arg: UnsafeMutablePointer<Int32>, outer: Int, n: Int, inner: Int) {
    Parallel.forEach(outer, workPerItem: n * inner) { o in
        let src = x + o * n * inner
        for i in 0..<inner {
            var best = src[i], bestK = 0
            for k in 1..<max(n, 1) where src[k * inner + i] > best || best.isNaN {
                best = src[k * inner + i]; bestK = k
            }
            out[o * inner + i] = best
            arg[o * inner + i] = Int32(bestK)
        }
    }
}

extension Tensor {
    /// (outer, n, inner) around `axis`.
    func split3(_ axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sum over `axes` (normalised, any order) with kept dimensions of size 1; no graph.
    func sumRaw(axes: [Int]) -> Tensor {
        var current = self
        for axis in Set(axes).sorted(by: >) where current.shape[axis] != 1 {
            let (outer, n, inner) = current.split3(axis)
            var newShape = current.shape
            newShape[axis] = 1
            let out = Tensor(uninitializedShape: newShape)
            sum_forward(current.data, out.data, outer: outer, n: n, inner: inner)
            current = out
        }
        return current === self ? copy() : current
    }

    /// Sums a broadcast gradient back down to `shape` (the reverse of broadcasting).
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        let summed = sumRaw(axes: axes)
        return Tensor(storage: summed.storage, shape: target)
    }
}
