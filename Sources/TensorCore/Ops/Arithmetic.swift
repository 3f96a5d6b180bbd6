/// Binary arithmetic with NumPy broadcasting. Backward sums each gradient back to its
/// operand's shape.

extension Tensor {
    fileprivate static func binary(_ op: String, _ a: Tensor, _ b: Tensor,
                                   _ vf: (Vec16, Vec16) -> Vec16, _ sf: (Float, Float) -> Float) -> Tensor {
        let shape = checked { try broadcastShapes(a.shape, b.shape, op: op) }
        let out = Tensor(uninitializedShape: shape)
        binaryKernel(a, b, out, vf, sf)
        return out
    }

    // add: d(a+b) = (g, g)
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary("add", a, b, +, +).recorded("add", [a, b]) { c in
            [c.needsGrad(0) ? c.grad.sumToShape(a.shape) : nil,
             c.needsGrad(1) ? c.grad.sumToShape(b.shape) : nil]
        }
    }

    // sub: d(a−b) = (g, −g)
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary("sub", a, b, -, -).recorded("sub", [a, b]) { c in
            [c.needsGrad(0) ? c.grad.sumToShape(a.shape) : nil,
             c.needsGrad(1) ? c.grad.sumToShape(b.shape).scaledRaw(-1) : nil]
        }
    }

    // mul: d(a·b) = (g·b, g·a)
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary("mul", a, b, *, *).recorded("mul", [a, b]) { c in
            [c.needsGrad(0) ? binary("mul", c.grad, b, *, *).sumToShape(a.shape) : nil,
             c.needsGrad(1) ? binary("mul", c.grad, a, *, *).sumToShape(b.shape) : nil]
        }
    }

    // div: d(a/b) = (g/b, −g·a/b²) = (g/b, −g·out/b)
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binary("div", a, b, /, /).recorded("div", [a, b]) { c in
            let gOverB = binary("div", c.grad, b, /, /)
            return [c.needsGrad(0) ? gOverB.sumToShape(a.shape) : nil,
                    c.needsGrad(1) ? binary("mul", gOverB, c.output, { -$0 * $1 }, { -$0 * $1 }).sumToShape(b.shape) : nil]
        }
    }

    // pow: d(a^b) = (g·b·a^(b−1), g·out·ln a)
    public static func pow(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = binary("pow", a, b, { x, y in
            var r = Vec16(); for i in 0..<16 { r[i] = Foundation.pow(x[i], y[i]) }; return r
        }, { Foundation.pow($0, $1) })
        return out.recorded("pow", [a, b]) { c in
            var ga: Tensor? = nil, gb: Tensor? = nil
            if c.needsGrad(0) {
                let d = binary("pow'", a, b, { x, y in
                    var r = Vec16(); for i in 0..<16 { r[i] = y[i] * Foundation.pow(x[i], y[i] - 1) }; return r
                }, { $1 * Foundation.pow($0, $1 - 1) })
                ga = binary("mul", c.grad, d, *, *).sumToShape(a.shape)
            }
            if c.needsGrad(1) {
                let lnA = Tensor(uninitializedShape: a.shape)
                scalarKernel(a.count) { i in lnA.data[i] = Foundation.log(a.data[i]) }
                let go = binary("mul", c.grad, c.output, *, *)
                gb = binary("mul", go, lnA, *, *).sumToShape(b.shape)
            }
            return [ga, gb]
        }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(scalar: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(scalar: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.scaled(1 / s) }
    public static func + (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) + a }
    public static func - (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) - a }
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaled(s) }
    public static func / (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) / a }

    // scale: d(s·a) = s·g
    public func scaled(_ s: Float) -> Tensor {
        let a = self
        return scaledRaw(s).recorded("scale", [a]) { c in [c.grad.scaledRaw(s)] }
    }
}

import Foundation
