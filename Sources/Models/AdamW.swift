import Foundation
import TensorCore

/// PyTorch's AdamW: decoupled weight decay, bias-corrected moments.
///   p ← p·(1 − lr·λ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
///   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
/// Weight decay applies to the parameters a ParameterStore marks for decay (weights of
/// linear and embedding layers), not to biases, norms, A_log or D.
public final class AdamW {
    public struct Hyperparameters: Equatable, Codable, Sendable {
        public var beta1: Double = 0.9
        public var beta2: Double = 0.999
        public var eps: Double = 1e-8
        public var weightDecay: Double = 0.01
        public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
            self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        }
    }

    public let hyper: Hyperparameters
    public private(set) var step = 0
    /// First and second moments by parameter key.
    public private(set) var m: [String: Tensor] = [:]
    public private(set) var v: [String: Tensor] = [:]
    let parameters: ParameterStore

    public init(_ parameters: ParameterStore, hyper: Hyperparameters = .init()) {
        self.parameters = parameters
        self.hyper = hyper
        for (key, t) in parameters.all { m[key] = .zeros(t.shape); v[key] = .zeros(t.shape) }
    }

    /// Restores a saved state; every moment must match its parameter's shape.
    public func restore(step: Int, m: [String: Tensor], v: [String: Tensor]) throws {
        for (key, t) in parameters.all {
            guard let mk = m[key], let vk = v[key] else { throw ShapeError("optimizer state has no moments for \(key)") }
            guard mk.shape == t.shape, vk.shape == t.shape else {
                throw ShapeError("optimizer moments for \(key) have shapes \(mk.shape), \(vk.shape); the parameter is \(t.shape)")
            }
        }
        self.step = step
        self.m = m
        self.v = v
    }

    /// One update with learning rate `lr` from the gradients in `.grad` (parameters without a
    /// gradient are left as they are, like PyTorch).
    public func update(lr: Double) {
        step += 1
        let b1 = Float(hyper.beta1), b2 = Float(hyper.beta2)
        let bc1 = 1 - Foundation.pow(hyper.beta1, Double(step)), bc2 = 1 - Foundation.pow(hyper.beta2, Double(step))
        let stepSize = Float(lr / bc1), invSqrtBc2 = Float(1 / bc2.squareRoot()), eps = Float(hyper.eps)
        // Every parameter cut into blocks of 4096 elements, all blocks in one parallel loop:
        // one dispatch per step instead of one per parameter, and balanced over the cores.
        struct Block { let p, g, m, v: UnsafeMutablePointer<Float>; let count: Int; let decay: Float }
        var blocks: [Block] = []
        for (key, p) in parameters.all {
            guard let g = p.grad else { continue }
            let decay = parameters.noDecay.contains(key) ? 1 : Float(1 - lr * hyper.weightDecay)
            let (mp, vp) = (m[key]!.data, v[key]!.data)
            for start in stride(from: 0, to: p.count, by: 4096) {
                blocks.append(Block(p: p.data + start, g: g.data + start, m: mp + start, v: vp + start,
                                    count: min(4096, p.count - start), decay: decay))
            }
        }
        let b1v = Vec16(repeating: b1), b2v = Vec16(repeating: b2)
        let c1 = Vec16(repeating: 1 - b1), c2 = Vec16(repeating: 1 - b2)
        let sv = Vec16(repeating: stepSize), iv = Vec16(repeating: invSqrtBc2), ev = Vec16(repeating: eps)
        blocks.withUnsafeBufferPointer { list in
            Parallel.forEach(list.count, workPerItem: 4096 * 8) { j in
                let blk = list[j]
                let (pp, gp, mp, vp, decay) = (blk.p, blk.g, blk.m, blk.v, blk.decay)
                let dv = Vec16(repeating: decay)
                var i = 0
                while i + 16 <= blk.count {
                    let gi = load16(gp + i)
                    let mi = fma16(b1v, load16(mp + i), c1 * gi)
                    let vi = fma16(b2v, load16(vp + i), c2 * gi * gi)
                    store16(mi, mp + i); store16(vi, vp + i)
                    store16(load16(pp + i) * dv - sv * mi / fma16(vi.squareRoot(), iv, ev), pp + i)
                    i += 16
                }
                while i < blk.count {
                    let gi = gp[i]
                    mp[i] = b1 * mp[i] + (1 - b1) * gi
                    vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                    pp[i] = pp[i] * decay - stepSize * mp[i] / (vp[i].squareRoot() * invSqrtBc2 + eps)
                    i += 1
                }
            }
        }
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (PyTorch's
/// clip_grad_norm_, coefficient maxNorm/(norm + 1e-6)); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: ParameterStore, maxNorm: Double) -> Double {
    var total = 0.0
    for (_, p) in parameters.all {
        guard let g = p.grad else { continue }
        // Four running sums, so the adds do not wait on each other (a Float's square is exact in
        // a Double; only the summation order differs from one running sum).
        var acc = (0.0, 0.0, 0.0, 0.0)
        let x = g.data
        var i = 0
        while i + 4 <= g.count {
            let (a, b, c, d) = (Double(x[i]), Double(x[i + 1]), Double(x[i + 2]), Double(x[i + 3]))
            acc.0 += a * a; acc.1 += b * b; acc.2 += c * c; acc.3 += d * d
            i += 4
        }
        while i < g.count { acc.0 += Double(x[i]) * Double(x[i]); i += 1 }
        total += (acc.0 + acc.1) + (acc.2 + acc.3)
    }
    let norm = total.squareRoot()
    let coef = maxNorm / (norm + 1e-6)
    if coef < 1 {
        for (_, p) in parameters.all {
            guard let g = p.grad else { continue }
            let c = Float(coef)
            for i in 0..<g.count { g.data[i] *= c }
        }
    }
    return norm
}

/// Linear warmup from 0, then cosine decay to 0 (transformers' get_cosine_schedule_with_warmup):
/// the learning rate of step s (0-based) is base·s/warmup during warmup, then
/// base·½(1 + cos(π·(s − warmup)/(total − warmup))).
public struct WarmupCosineSchedule: Equatable, Codable, Sendable {
    public let base: Double
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(base: Double, warmupSteps: Int, totalSteps: Int) {
        self.base = base; self.warmupSteps = max(0, warmupSteps); self.totalSteps = max(1, totalSteps)
    }

    public func learningRate(step s: Int) -> Double {
        if s < warmupSteps { return base * Double(s) / Double(max(1, warmupSteps)) }
        let progress = Double(s - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return base * max(0, 0.5 * (1 + Foundation.cos(Double.pi * min(1, progress))))
    }
}
