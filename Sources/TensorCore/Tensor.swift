/// A Float32 N-dimensional array in contiguous row-major storage that can take part in autograd.
///
/// Every op returns a new contiguous tensor; `reshape` is the only view (it shares storage).
/// Layout transposes for matrix products travel as BLAS flags instead of copies (`matmul`).
public final class Tensor {
    public let shape: [Int]
    public let storage: TensorStorage
    /// Leaves set this to receive `.grad`; outputs of recorded ops have it set automatically.
    public var requiresGrad: Bool
    /// Accumulated gradient of the last `backward()` calls; `zeroGrad()` clears it.
    public var grad: Tensor?
    /// How this tensor was computed, while the graph is alive (cleared by `backward()`).
    var node: GraphNode?

    public init(storage: TensorStorage, shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(storage.count == shape.reduce(1, *),
                     "Tensor: storage of \(storage.count) elements does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Contents are undefined; kernels that write every element use this.
    public convenience init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(uninitializedCount: shape.reduce(1, *)), shape: shape)
    }

    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        precondition(values.count == count,
                     "Tensor: \(values.count) values do not fill shape \(shape) (\(count) elements)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
        self.requiresGrad = requiresGrad
    }

    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    public var buffer: UnsafeMutableBufferPointer<Float> { storage.buffer }

    /// A copy of the elements, for tests and small outputs.
    public var values: [Float] { Array(storage.buffer) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Normalises a possibly negative axis and checks its range.
    public func axis(_ axis: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < Swift.max(rank, 1) else {
            fatalError("\(op): axis \(axis) is out of range for shape \(shape)")
        }
        return a
    }

    /// A detached copy with fresh storage.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// The same storage, outside the graph.
    public func detached() -> Tensor { Tensor(storage: storage, shape: shape) }

    public func zeroGrad() { grad = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

import Foundation

extension Tensor {
    /// The first entry that is NaN or infinite, with its flat index: what a reader of stored
    /// weights names when it refuses them.
    public var firstNonFinite: (index: Int, value: Float)? {
        let p = data
        for i in 0..<count where !p[i].isFinite { return (i, p[i]) }
        return nil
    }
}
