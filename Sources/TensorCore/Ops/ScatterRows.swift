/// Rows placed into a zero tensor: the inverse of `indexSelect` for distinct indices. Lets a
/// model feed rows computed only where they matter (the answer positions) into an op that
/// takes whole sequences.
extension Tensor {
    // scatterRows along axis 0: out[idx[i], ...] = x[i, ...], other rows 0   // x is (n, …), out is (rows, …)
    // d: gx[i, ...] = g[idx[i], ...]
    public func scatterRows(_ indices: [Int], rows: Int) -> Tensor {
        guard rank >= 1, indices.count == shape[0] else {
            shapeFailure(ShapeError("scatterRows: \(indices.count) indices for shape \(shape)"))
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            shapeFailure(ShapeError("scatterRows: index \(bad) is out of range 0..<\(rows) for shape \(shape)"))
        }
        guard Set(indices).count == indices.count else {
            shapeFailure(ShapeError("scatterRows: indices must be distinct, got \(indices)"))
        }
        let width = count / Swift.max(shape[0], 1)
        let out = Tensor.zeros([rows] + shape.dropFirst())
        let src = data, dst = out.data
        Parallel.forEach(indices.count, workPerItem: width) { i in
            (dst + indices[i] * width).update(from: src + i * width, count: width)
        }
        return out.recorded("scatterRows", [self]) { c in
            [withNoGrad { c.grad.indexSelect(indices) }]
        }
    }
}
