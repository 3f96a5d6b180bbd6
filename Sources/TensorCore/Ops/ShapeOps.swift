/// Reshape (a view) and axis permutations (a copy).
extension Tensor {
    func reshapedRaw(_ newShape: [Int]) -> Tensor { Tensor(storage: storage, shape: newShape) }

    /// Resolves one −1 entry and checks the element count.
    static func resolveShape(_ newShape: [Int], count: Int, from shape: [Int]) throws -> [Int] {
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        guard unknown.count <= 1, s.allSatisfy({ $0 >= -1 }) else {
            throw ShapeError("reshape: invalid target shape \(newShape) for \(shape)")
        }
        if let u = unknown.first {
            let known = s.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw ShapeError("reshape: cannot reshape \(shape) (\(count) elements) to \(newShape)")
            }
            s[u] = count / known
        }
        guard s.reduce(1, *) == count else {
            throw ShapeError("reshape: cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        return s
    }

    // reshape: shares storage; d = g reshaped back
    public func reshape(_ newShape: [Int]) -> Tensor {
        let s = checked { try Tensor.resolveShape(newShape, count: count, from: shape) }
        let x = self
        return Tensor(storage: storage, shape: s).recorded("reshape", [x]) { c in [c.grad.reshapedRaw(x.shape)] }
    }

    /// out[..., i_k, ...] = x[..., i_perm(k), ...] // a contiguous copy in the new axis order
    func permutedRaw(_ perm: [Int]) -> Tensor {
        let outShape = perm.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let srcStrides = perm.map { inStrides[$0] }
        let n = outShape.last ?? 1, rows = count / Swift.max(n, 1)
        let last = srcStrides.last ?? 1
        let src = data, dst = out.data
        Parallel.forEach(rows, workPerItem: n) { row in
            var rem = row, off = 0
            var d = outShape.count - 2
            while d >= 0 { off += (rem % outShape[d]) * srcStrides[d]; rem /= outShape[d]; d -= 1 }
            let o = dst + row * n
            if last == 1 { o.update(from: src + off, count: n) } else {
                for i in 0..<n { o[i] = src[off + i * last] }
            }
        }
        return out
    }

    // permute: d = g permuted by the inverse permutation
    public func permute(_ axes: [Int]) -> Tensor {
        let perm = axes.map { self.axis($0, op: "permute") }
        guard perm.count == rank, Set(perm).count == rank else {
            shapeFailure(ShapeError("permute: \(axes) is not a permutation of the axes of \(shape)"))
        }
        if perm == Array(0..<rank) { return reshape(shape) }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return permutedRaw(perm).recorded("permute", [self]) { c in [c.grad.permutedRaw(inverse)] }
    }

    public func transpose(_ a: Int, _ b: Int) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(axis(a, op: "transpose"), axis(b, op: "transpose"))
        return permute(perm)
    }

    /// Adds size-1 axis at `axis` (a reshape).
    public func unsqueeze(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for shape \(shape)")
        var s = shape; s.insert(1, at: a)
        return reshape(s)
    }

    /// Broadcasts to `target` (a copy); d = g summed back.
    public func expand(_ target: [Int]) -> Tensor {
        let s = checked { try broadcastShapes(shape, target, op: "expand") }
        guard s == target else { shapeFailure(ShapeError("expand: shape \(shape) cannot expand to \(target)")) }
        let x = self
        return expandRaw(x, to: target).recorded("expand", [x]) { c in [c.grad.sumToShape(x.shape)] }
    }
}
