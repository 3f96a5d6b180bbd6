import TensorCore

/// Tensors as float32 datasets of their shape.
extension HDF5File {
    public func write(_ name: String, _ tensor: Tensor, shape: [Int]? = nil) throws {
        try write(name, floatsAt: tensor.data, shape: shape ?? tensor.shape)
    }

    /// A float dataset (any float width on disk) as a Float32 tensor of its shape.
    public func readTensor(_ name: String) throws -> Tensor {
        try readFloats(name) { shape in
            let t = Tensor(uninitializedShape: shape)
            return (t, t.data)
        }
    }
}
