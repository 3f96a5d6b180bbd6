import Foundation

/// Activation functions with the exact definitions transformers uses.
extension Tensor {
    // sigmoid: σ(x) = 1/(1+e⁻ˣ); dσ = g·σ(1−σ)
    public func sigmoid() -> Tensor {
        mapped({ one16 / (one16 + exp16(-$0)) }, { 1 / (1 + Foundation.exp(-$0)) }).recorded("sigmoid", [self]) { c in
            [c.grad.zipped(c.output, { g, s in g * s * (one16 - s) }, { g, s in g * s * (1 - s) })]
        }
    }

    // silu: x·σ(x); d = g·σ(x)·(1 + x(1−σ(x)))   (own loops: see gelu)
    public func silu() -> Tensor {
        let x = self
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, op = out.data
        Parallel.forChunks(count, work: count * 3) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { let v = load16(xp + i); store16(v / (one16 + exp16(-v)), op + i); i += 16 }
            while i < r.upperBound { op[i] = xp[i] / (1 + Foundation.exp(-xp[i])); i += 1 }
        }
        return out.recorded("silu", [x]) { c in
            let gx = Tensor(uninitializedShape: x.shape)
            let gp = c.grad.data, dp = gx.data
            Parallel.forChunks(x.count, work: x.count * 4) { r in
                var i = r.lowerBound
                while i + 16 <= r.upperBound {
                    let v = load16(xp + i)
                    let s = one16 / (one16 + exp16(-v))
                    store16(load16(gp + i) * s * (one16 + v * (one16 - s)), dp + i)
                    i += 16
                }
                while i < r.upperBound {
                    let s = 1 / (1 + Foundation.exp(-xp[i]))
                    dp[i] = gp[i] * s * (1 + xp[i] * (1 - s))
                    i += 1
                }
            }
            return [gx]
        }
    }

    // gelu (exact, erf form as transformers' "gelu"): x·Φ(x); d = g·(Φ(x) + x·φ(x))
    // Loops of their own: the optimiser would not inline a closure this large into the shared
    // elementwise loop, and a call per vector halved the throughput.
    public func gelu() -> Tensor {
        let x = self
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, op = out.data
        Parallel.forChunks(count, work: count * 4) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { let v = load16(xp + i); store16(geluCDF16(v) * v, op + i); i += 16 }
            while i < r.upperBound { op[i] = 0.5 * xp[i] * (1 + Foundation.erf(xp[i] * 0.70710678118654752)); i += 1 }
        }
        return out.recorded("gelu", [x]) { c in
            let gx = Tensor(uninitializedShape: x.shape)
            let gp = c.grad.data, dp = gx.data
            Parallel.forChunks(x.count, work: x.count * 6) { r in
                var i = r.lowerBound
                while i + 16 <= r.upperBound {
                    let v = load16(xp + i)
                    let pdf = Vec16(repeating: 0.39894228040143268) * exp16(-(Vec16(repeating: 0.5) * v * v))
                    store16(load16(gp + i) * (geluCDF16(v) + v * pdf), dp + i)
                    i += 16
                }
                while i < r.upperBound {
                    let v = xp[i]
                    let cdf = 0.5 * (1 + Foundation.erf(v * 0.70710678118654752))
                    dp[i] = gp[i] * (cdf + v * 0.39894228040143268 * Foundation.exp(-0.5 * v * v))
                    i += 1
                }
            }
            return [gx]
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
