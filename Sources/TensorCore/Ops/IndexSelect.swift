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
            let gx = Tensor.zeros(x.shape)
            let g = c.grad.data
            // Cores split the columns, not the indices: repeated indices would race.
            Parallel.forChunks(width, work: indices.count * width) { cols in
                for (i, row) in indices.enumerated() {
                    let d = gx.data + row * width, s = g + i * width
                    var k = cols.lowerBound
                    while k + 16 <= cols.upperBound { store16(load16(d + k) + load16(s + k), d + k); k += 16 }
                    while k < cols.upperBound { d[k] += s[k]; k += 1 }
                }
            }
            return [gx]
        }
    }

    /// Embedding lookup: indices of any shape S give S + [embedding width].
    public func embedding(_ indices: [Int], shape indexShape: [Int]) -> Tensor {
        guard indexShape.reduce(1, *) == indices.count else {
            shapeFailure(ShapeError("embedding: \(indices.count) indices do not fill index shape \(indexShape)"))
        }
        return indexSelect(indices).reshape(indexShape + Array(shape.dropFirst()))
    }
}
