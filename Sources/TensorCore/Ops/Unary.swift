import Foundation

/// Elementwise functions of one tensor. Each forward sits above its vjp.
extension Tensor {
    /// Applies a vector/scalar function pair into a new tensor of the same shape.
    @inline(__always)
    func mapped(_ vf: (Vec16) -> Vec16, _ sf: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        unaryKernel(count, data, out.data, vf, sf)
        return out
    }

    /// out[i] = f(self[i], other[i]) for two tensors of equal shape (backward helpers).
    @inline(__always)
    func zipped(_ other: Tensor, _ vf: (Vec16, Vec16) -> Vec16, _ sf: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipped: shapes \(shape) and \(other.shape) differ")
        let out = Tensor(uninitializedShape: shape)
        binaryKernel(self, other, out, vf, sf)
        return out
    }

    // neg: d(−x) = −g
    public static prefix func - (x: Tensor) -> Tensor {
        x.mapped({ -$0 }, { -$0 }).recorded("neg", [x]) { c in [c.grad.scaledRaw(-1)] }
    }

    // exp: d eˣ = g·eˣ (reuses the output)
    public func exp() -> Tensor {
        mapped({ exp16($0) }, { Foundation.exp($0) }).recorded("exp", [self]) { c in
            [c.grad.zipped(c.output, *, *)]
        }
    }

    // log: d ln x = g/x
    public func log() -> Tensor {
        let x = self
        let out = Tensor(uninitializedShape: shape)
        scalarKernel(count) { i in out.data[i] = Foundation.log(x.data[i]) }
        return out.recorded("log", [x]) { c in [c.grad.zipped(x, /, /)] }
    }

    // sqrt: d √x = g/(2√x)
    public func sqrt() -> Tensor {
        mapped({ $0.squareRoot() }, { $0.squareRoot() }).recorded("sqrt", [self]) { c in
            [c.grad.zipped(c.output, { 0.5 * $0 / $1 }, { 0.5 * $0 / $1 })]
        }
    }

    // pow with a constant exponent: d xᵖ = g·p·xᵖ⁻¹
    public func pow(_ p: Float) -> Tensor {
        let x = self
        let out: Tensor
        if p == 2 { out = mapped({ $0 * $0 }, { $0 * $0 }) } else {
            out = Tensor(uninitializedShape: shape)
            scalarKernel(count) { i in out.data[i] = Foundation.pow(x.data[i], p) }
        }
        return out.recorded("pow", [x]) { c in
            let d = Tensor(uninitializedShape: x.shape)
            if p == 2 {
                unaryKernel(x.count, x.data, d.data, { 2 * $0 }, { 2 * $0 })
            } else {
                scalarKernel(x.count) { i in d.data[i] = p * Foundation.pow(x.data[i], p - 1) }
            }
            return [c.grad.zipped(d, *, *)]
        }
    }

    // abs: d|x| = g·sign(x) (0 at 0)
    public func abs() -> Tensor {
        let x = self
        return mapped({ $0.replacing(with: -$0, where: $0 .< 0) }, { Swift.abs($0) })
            .recorded("abs", [x]) { c in
                [c.grad.zipped(x, { g, v in
                    var s = Vec16(repeating: 0)
                    s.replace(with: 1, where: v .> 0)
                    s.replace(with: -1, where: v .< 0)
                    return g * s
                }, { g, v in v > 0 ? g : (v < 0 ? -g : 0) })]
            }
    }
}
