import Foundation

/// Activation functions with the exact definitions transformers uses.
extension Tensor {
    // sigmoid: σ(x) = 1/(1+e⁻ˣ); dσ = g·σ(1−σ)
    public func sigmoid() -> Tensor {
        mapped({ one16 / (one16 + exp16(-$0)) }, { 1 / (1 + Foundation.exp(-$0)) }).recorded("sigmoid", [self]) { c in
            [c.grad.zipped(c.output, { g, s in g * s * (one16 - s) }, { g, s in g * s * (1 - s) })]
        }
    }

    // silu: x·σ(x); d = g·σ(x)·(1 + x(1−σ(x)))
    public func silu() -> Tensor {
        let x = self
        return mapped({ $0 / (one16 + exp16(-$0)) }, { $0 / (1 + Foundation.exp(-$0)) }).recorded("silu", [x]) { c in
            [c.grad.zipped(x, { g, v in
                let s = one16 / (one16 + exp16(-v)); return g * s * (one16 + v * (one16 - s))
            }, { g, v in
                let s = 1 / (1 + Foundation.exp(-v)); return g * s * (1 + v * (1 - s))
            })]
        }
    }

    // gelu (exact, erf form as transformers' "gelu"): x·Φ(x); d = g·(Φ(x) + x·φ(x))
    public func gelu() -> Tensor {
        let x = self
        let half = Vec16(repeating: 0.5), invSqrt2 = Vec16(repeating: 0.70710678118654752)
        return mapped({ half * $0 * (one16 + erf16($0 * invSqrt2)) },
                      { 0.5 * $0 * (1 + Foundation.erf($0 * 0.70710678118654752)) }).recorded("gelu", [x]) { c in
            let pdfScale = Vec16(repeating: 0.39894228040143268)
            return [c.grad.zipped(x, { g, v in
                let cdf = half * (one16 + erf16(v * invSqrt2))
                return g * (cdf + v * pdfScale * exp16(-(half * v * v)))
            }, { g, v in
                let cdf = 0.5 * (1 + Foundation.erf(v * 0.70710678118654752))
                return g * (cdf + v * 0.39894228040143268 * Foundation.exp(-0.5 * v * v))
            })]
        }
    }

    // softplus with PyTorch's threshold: x > 20 → x, else ln(1+eˣ); d = g·σ(x) (1 above threshold)
    public func softplus() -> Tensor {
        let x = self
        return mapped({ softplus16($0) }, { softplusScalar($0) }).recorded("softplus", [x]) { c in
            [c.grad.zipped(x, { g, v in
                var s = one16 / (one16 + exp16(-v)); s.replace(with: one16, where: v .> Vec16(repeating: 20)); return g * s
            }, { g, v in v > 20 ? g : g / (1 + Foundation.exp(-v)) })]
        }
    }
}

/// PyTorch's softplus with beta 1, threshold 20.
@inlinable @inline(__always) public func softplusScalar(_ x: Float) -> Float {
    x > 20 ? x : Foundation.log1p(Foundation.exp(x))
}
