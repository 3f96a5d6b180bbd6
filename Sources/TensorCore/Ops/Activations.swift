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
    // The vector closures capture nothing, so they inline into the kernels' loops.
    public func gelu() -> Tensor {
        let x = self
        return mapped({ geluCDF16($0) * $0 },
                      { 0.5 * $0 * (1 + Foundation.erf($0 * 0.70710678118654752)) }).recorded("gelu", [x]) { c in
            [c.grad.zipped(x, { g, v in
                g * (geluCDF16(v) + v * Vec16(repeating: 0.39894228040143268) * exp16(-(Vec16(repeating: 0.5) * v * v)))
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

/// Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF.
@_transparent public func geluCDF16(_ x: Vec16) -> Vec16 {
    Vec16(repeating: 0.5) * (one16 + erf16(x * Vec16(repeating: 0.70710678118654752)))
}

/// PyTorch's softplus with beta 1, threshold 20.
@inlinable @inline(__always) public func softplusScalar(_ x: Float) -> Float {
    x > 20 ? x : Foundation.log1p(Foundation.exp(x))
}
