import Foundation

/// Activation functions with the exact definitions transformers uses.
extension Tensor {
    // sigmoid: σ(x) = 1/(1+e⁻ˣ); dσ = g·σ(1−σ)
    public func sigmoid() -> Tensor {
        mapped({ sigmoid16($0) }, { 1 / (1 + Foundation.exp(-$0)) }).recorded("sigmoid", [self]) { c in
            [c.grad.zipped(c.output, { g, s in g * s * (one16 - s) }, { g, s in g * s * (1 - s) })]
        }
    }

    // silu: x·σ(x); d = g·σ(x)·(1 + x(1−σ(x)))
    public func silu() -> Tensor { activation(SiLU.self, SiLU.Derivative.self, "silu") }

    // gelu (exact, erf form as transformers' "gelu"): x·Φ(x); d = g·(Φ(x) + x·φ(x))
    public func gelu() -> Tensor { activation(GELU.self, GELU.Derivative.self, "gelu") }

    /// y = F(x), with gx = D(g, x) recomputed from x in the backward.
    private func activation<F: ElementwiseFunction, D: ElementwiseDerivative>(_: F.Type, _: D.Type, _ name: String) -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        unaryKernel(count, data, out.data, F.self)
        return out.recorded(name, [x]) { c in
            let gx = Tensor(uninitializedShape: x.shape)
            derivativeKernel(x.count, c.grad.data, x.data, gx.data, D.self)
            return [gx]
        }
    }

    // softplus with PyTorch's threshold: x > 20 → x, else ln(1+eˣ); d = g·σ(x) (1 above threshold)
    public func softplus() -> Tensor { activation(Softplus.self, Softplus.Derivative.self, "softplus") }
}

/// Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF.
@_transparent public func geluCDF16(_ x: Vec16) -> Vec16 {
    Vec16(repeating: 0.5) * (one16 + erf16(x * Vec16(repeating: 0.70710678118654752)))
}

/// PyTorch's softplus with beta 1, threshold 20.
@inlinable @inline(__always) public func softplusScalar(_ x: Float) -> Float {
    x > 20 ? x : Foundation.log1p(Foundation.exp(x))
}

enum SiLU: ElementwiseFunction {
    @inline(__always) static func vector(_ x: Vec16) -> Vec16 { silu16(x) }
    @inline(__always) static func scalar(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }

    enum Derivative: ElementwiseDerivative {
        @inline(__always) static func vector(_ g: Vec16, _ x: Vec16) -> Vec16 {
            let s = sigmoid16(x)
            return g * s * fma16(x, one16 - s, one16)
        }
        @inline(__always) static func scalar(_ g: Float, _ x: Float) -> Float {
            let s = 1 / (1 + Foundation.exp(-x))
            return g * s * (1 + x * (1 - s))
        }
    }
}

enum GELU: ElementwiseFunction {
    @inline(__always) static func vector(_ x: Vec16) -> Vec16 { geluCDF16(x) * x }
    @inline(__always) static func scalar(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }

    enum Derivative: ElementwiseDerivative {
        @inline(__always) static func vector(_ g: Vec16, _ x: Vec16) -> Vec16 {
            let pdf = Vec16(repeating: 0.39894228040143268) * exp16(-(Vec16(repeating: 0.5) * x * x))
            return g * fma16(x, pdf, geluCDF16(x))
        }
        @inline(__always) static func scalar(_ g: Float, _ x: Float) -> Float {
            g * (0.5 * (1 + Foundation.erf(x * 0.70710678118654752)) + x * 0.39894228040143268 * Foundation.exp(-0.5 * x * x))
        }
    }
}

enum Softplus: ElementwiseFunction {
    @inline(__always) static func vector(_ x: Vec16) -> Vec16 { softplus16(x) }
    @inline(__always) static func scalar(_ x: Float) -> Float { softplusScalar(x) }

    enum Derivative: ElementwiseDerivative {
        @inline(__always) static func vector(_ g: Vec16, _ x: Vec16) -> Vec16 {
            let s = sigmoid16(x).replacing(with: one16, where: x .> Vec16(repeating: 20))
            return g * s
        }
        @inline(__always) static func scalar(_ g: Float, _ x: Float) -> Float { x > 20 ? g : g / (1 + Foundation.exp(-x)) }
    }
}
