/// sum, mean and max over axes, with or without kept dimensions.
extension Tensor {
    private func normalisedAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let a = axes.map { axis($0, op: op) }
        guard Set(a).count == a.count else { shapeFailure(ShapeError("\(op): repeated axis in \(axes) for shape \(shape)")) }
        return a
    }

    private func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    // sum: d = g broadcast back over the summed axes
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalisedAxes(axes, op: "sum")
        let kept = reducedShape(ax, keepDims: true)
        let x = self
        let out = sumRaw(axes: ax).reshapedRaw(reducedShape(ax, keepDims: keepDims))
        return out.recorded("sum", [x]) { c in [expandRaw(c.grad.reshapedRaw(kept), to: x.shape)] }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    // mean: sum scaled by 1/n
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalisedAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims).scaled(1 / Float(Swift.max(n, 1)))
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    // max over one axis: d routes g to the first maximal element
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = self.axis(axis, op: "max")
        guard shape[a] > 0 else { shapeFailure(ShapeError("max: axis \(a) of shape \(shape) is empty")) }
        let (outer, n, inner) = split3(a)
        let out = Tensor(uninitializedShape: reducedShape([a], keepDims: keepDims))
        var arg = [Int32](repeating: 0, count: outer * inner)
        arg.withUnsafeMutableBufferPointer { max_forward(data, out.data, $0.baseAddress!, outer: outer, n: n, inner: inner) }
        let x = self
        return out.recorded("max", [x]) { c in
            let gx = Tensor.zeros(x.shape)
            for o in 0..<outer {
                for i in 0..<inner {
                    gx.data[(o * n + Int(arg[o * inner + i])) * inner + i] = c.grad.data[o * inner + i]
                }
            }
            return [gx]
        }
    }

    /// max over several axes, one after another (gradient flows through each step).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalisedAxes(axes, op: "max").sorted(by: >)
        var t = self
        for a in ax { t = t.max(axis: a, keepDims: true) }
        return keepDims ? t : t.reshape(reducedShape(ax, keepDims: false))
    }
}
