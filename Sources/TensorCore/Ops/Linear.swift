extension Tensor {
    // linear: y = x·Wᵀ + b with PyTorch's (out, in) weight layout, one sgemm with the bias rows
    // as its C input (β = 1) and the transpose as a BLAS flag.
    // dx = g·W (added into x's gradient from its other uses when allowed);  dW = gᵀ·x (one sgemm
    // over all rows);  db = Σ_rows g
    public func linear(_ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
        guard rank >= 1, weight.rank == 2, let inFeatures = shape.last, weight.shape[1] == inFeatures else {
            shapeFailure(ShapeError("linear: input \(shape) does not fit weight \(weight.shape) (want [out, \(shape.last ?? 0)])"))
        }
        let outFeatures = weight.shape[0]
        if let bias, bias.shape != [outFeatures] {
            shapeFailure(ShapeError("linear: bias shape \(bias.shape) does not fit weight \(weight.shape) (want [\(outFeatures)])"))
        }
        let rows = count / Swift.max(inFeatures, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [outFeatures])
        if let bias {
            let b = bias.data, o = out.data
            Parallel.forEach(rows, workPerItem: outFeatures) { r in (o + r * outFeatures).update(from: b, count: outFeatures) }
        }
        sgemm(data, weight.data, out.data, m: rows, n: outFeatures, k: inFeatures,
              transposeA: false, transposeB: true, beta: bias == nil ? 0 : 1)
        let x = self
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        // Profiles tell the products apart by shape: rows × in → out.
        let name = OpProfiler.isEnabled ? "linear \(rows)×\(inFeatures)→\(outFeatures)" : "linear"
        return out.recorded(name, inputs) { c in
            let g = c.grad
            var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
            if c.needsGrad(0) {
                // Summed into the input's gradient from its other uses when that is allowed.
                let sum = c.accumulator(0)
                gx = sum ?? Tensor(uninitializedShape: x.shape)
                sgemm(g.data, weight.data, gx!.data, m: rows, n: inFeatures, k: outFeatures, beta: sum == nil ? 0 : 1)
            }
            if c.needsGrad(1) {
                gw = Tensor(uninitializedShape: weight.shape)
                sgemm(g.data, x.data, gw!.data, m: outFeatures, n: inFeatures, k: rows, transposeA: true)
            }
            if bias != nil, c.needsGrad(2) {
                gb = g.reshapedRaw([rows, outFeatures]).sumRaw(axes: [0]).reshapedRaw([outFeatures])
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
}
