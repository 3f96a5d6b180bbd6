/// Row lookup (embeddings, picking answer positions) with scatter-add backward.
extension Tensor {
    // indexSelect along axis 0: out[i, ...] = x[idx[i], ...]   // x is (V, …), out is (idx.count, …)
    // d: gx[idx[i], ...] += g[i, ...] (repeated indices accumulate)
    public func indexSelect(_ indices: [Int]) -> Tensor {
        guard rank >= 1 else { shapeFailure(ShapeError("indexSelect: needs rank ≥ 1, got shape \(shape)")) }
        let rows = shape[0], width = count / Swift.max(rows, 1)
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            shapeFailure(ShapeError("indexSelect: index \(bad) is out of range 0..<\(rows) for shape \(shape)"))
        }
        let out = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
        let src = data, dst = out.data
        Parallel.forEach(indices.count, workPerItem: width) { i in
            (dst + i * width).update(from: src + indices[i] * width, count: width)
        }
        let x = self
        return out.recorded("indexSelect", [x]) { c in
            [Tensor.indexSelectBackward(c.grad, indices: indices, rows: rows, width: width, shape: x.shape)]
        }
    }

    // d: gx[r] = Σ g[i] over the i with idx[i] = r, in ascending i   // g is (idx.count, width), gx (rows, width)
    // Cores split the destination rows, so repeated indices never race and each row adds its
    // contributions in index order whatever the thread count; rows no index names are zeroed
    // in the same pass.
    private static func indexSelectBackward(_ grad: Tensor, indices: [Int], rows: Int, width: Int, shape: [Int]) -> Tensor {
        // Counting sort: the positions naming row r are order[start[r] ..< start[r + 1]], ascending.
        var start = [Int](repeating: 0, count: rows + 1)
        for r in indices { start[r + 1] += 1 }
        for r in 0..<rows { start[r + 1] += start[r] }
        var order = [Int](repeating: 0, count: indices.count), fill = start
        for (i, r) in indices.enumerated() { order[fill[r]] = i; fill[r] += 1 }
        let gx = Tensor(uninitializedShape: shape)
        let g = grad.data, dst = gx.data
        start.withUnsafeBufferPointer { start in order.withUnsafeBufferPointer { order in
            Parallel.forEach(rows, workPerItem: width * (1 + indices.count / Swift.max(rows, 1))) { r in
                let d = dst + r * width
                let (lo, hi) = (start[r], start[r + 1])
                guard lo < hi else { d.update(repeating: 0, count: width); return }
                d.update(from: g + order[lo] * width, count: width)
                for p in (lo + 1)..<hi {
                    let s = g + order[p] * width
                    var k = 0
                    while k + 16 <= width { store16(load16(d + k) + load16(s + k), d + k); k += 16 }
                    while k < width { d[k] += s[k]; k += 1 }
                }
            }
        } }
        return gx
    }

    /// Embedding lookup: indices of any shape S give S + [embedding width].
    public func embedding(_ indices: [Int], shape indexShape: [Int]) -> Tensor {
        guard indexShape.reduce(1, *) == indices.count else {
            shapeFailure(ShapeError("embedding: \(indices.count) indices do not fill index shape \(indexShape)"))
        }
        return indexSelect(indices).reshape(indexShape + Array(shape.dropFirst()))
    }
}
