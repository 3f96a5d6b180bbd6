import Foundation

/// A matrix product's shape as `sgemm` receives it: C (m×n) = op(A)·op(B), op(A) m×k.
public struct ProductShape: Hashable, Sendable, CustomStringConvertible {
    public let m: Int, n: Int, k: Int
    public let transposeA: Bool, transposeB: Bool

    public init(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
        self.m = m; self.n = n; self.k = k; self.transposeA = transposeA; self.transposeB = transposeB
    }

    /// Multiply-adds counted twice, as GFLOP/s figures count them.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// "3392x128 by 384x128ᵀ": the operands as stored, ᵀ where the product reads one transposed.
    public var description: String {
        let a = transposeA ? "\(k)x\(m)ᵀ" : "\(m)x\(k)"
        let b = transposeB ? "\(n)x\(k)ᵀ" : "\(k)x\(n)"
        return "\(a) by \(b)"
    }
}

/// The arithmetic each product shape does while switched on: `bench train` compares a step with
/// a direct cblas_sgemm at the shape that does the most of it. Off by default (one flag test
/// per product); only whole products through `sgemm` count, not the tiles kernels multiply.
public enum ProductTally {
    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) private static var flops: [ProductShape: Double] = [:]
    private static let lock = NSLock()

    public static func start() {
        lock.withLock { flops = [:] }
        isEnabled = true
    }

    public static func stop() { isEnabled = false }

    /// Called by `sgemm`; products may run on several threads at once.
    static func record(_ shape: ProductShape) {
        lock.withLock { flops[shape, default: 0] += shape.flops }
    }

    /// Every shape seen since `start`, with its total FLOPs, most first.
    public static var shapes: [(shape: ProductShape, flops: Double)] {
        lock.withLock { flops.map { ($0.key, $0.value) } }.sorted {
            $0.flops != $1.flops ? $0.flops > $1.flops : $0.shape.description < $1.shape.description
        }
    }
}
