import Foundation
import TensorCore

/// GPT-NeoX rotary position embedding, as transformers computes it.
///
/// dims = ⌊head_size · partial_rotary_factor⌋; inv_freq_i = 1 / base^(2i/dims) for
/// i < ⌈dims/2⌉. transformers builds cos/sin from cat(freqs, freqs), so the rotated width is
/// 2·⌈dims/2⌉ — one more than dims when dims is odd — and rotates pairs (x_i, x_{i+half})
/// (the NeoX half-split): x_i' = x_i·cos − x_{i+half}·sin, x_{i+half}' = x_{i+half}·cos + x_i·sin.
/// Angles are t·inv_freq_i rounded to Float32 first, as PyTorch computes them.
public struct RotaryEmbedding: Equatable, Sendable {
    public let headSize: Int
    public let dims: Int
    public let base: Float
    /// Number of rotated pairs, ⌈dims/2⌉; the rotated width is 2·half.
    public var half: Int { (dims + 1) / 2 }
    public var width: Int { 2 * half }

    public init(headSize: Int, partialRotaryFactor: Double, base: Double) throws {
        guard headSize > 0 else { throw ShapeError("rotary: head size must be positive, got \(headSize)") }
        guard partialRotaryFactor >= 0, partialRotaryFactor <= 1 else {
            throw ShapeError("rotary: partial_rotary_factor must be in [0, 1], got \(partialRotaryFactor)")
        }
        self.headSize = headSize
        self.dims = Int(Double(headSize) * partialRotaryFactor)
        self.base = Float(base)
        guard 2 * ((dims + 1) / 2) <= headSize else {
            throw ShapeError("rotary: head size \(headSize) with partial_rotary_factor \(partialRotaryFactor) gives \(dims) rotary dims, whose rotated width \(2 * ((dims + 1) / 2)) exceeds the head size (transformers fails on this configuration too)")
        }
    }

    /// inv_freq_i in Float32, as torch computes 1.0 / base ** (arange(0, dims, 2).float() / dims).
    public var inverseFrequencies: [Float] {
        (0..<half).map { i in 1 / Foundation.pow(base, Float(2 * i) / Float(dims)) }
    }

    /// cos and sin tables, each (length, half).
    public func tables(length: Int) -> (cos: [Float], sin: [Float]) {
        let inv = inverseFrequencies
        var c = [Float](repeating: 1, count: length * half), s = [Float](repeating: 0, count: length * half)
        for t in 0..<length {
            for i in 0..<half {
                let angle = Double(Float(t) * inv[i])
                c[t * half + i] = Float(Foundation.cos(angle))
                s[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (c, s)
    }
}

/// cos and sin tables for one sequence length, kept for a kernel's forward and backward.
struct RotaryTables {
    private let storage: Tensor
    let cos, sin: UnsafePointer<Float>   // each (length, half)

    init(_ rotary: RotaryEmbedding, length: Int) {
        let (c, s) = rotary.tables(length: length)
        storage = Tensor(c + s, shape: [2, length * rotary.half])
        cos = UnsafePointer(storage.data)
        sin = UnsafePointer(storage.data + length * rotary.half)
    }
}

/// Rotates one head vector in place   // x is (headSize); cos, sin are the row (half) for its position
@inline(__always)
func rotary_forward(_ x: UnsafeMutablePointer<Float>, _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>, half: Int) {
    for i in 0..<half {
        let a = x[i], b = x[i + half]
        x[i] = a * cos[i] - b * sin[i]
        x[i + half] = b * cos[i] + a * sin[i]
    }
}

/// The transpose of rotary_forward (rotation by −angle), for gradients.
@inline(__always)
func rotary_backward(_ g: UnsafeMutablePointer<Float>, _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>, half: Int) {
    for i in 0..<half {
        let a = g[i], b = g[i + half]
        g[i] = a * cos[i] + b * sin[i]
        g[i + half] = b * cos[i] - a * sin[i]
    }
}
