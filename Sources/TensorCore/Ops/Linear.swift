extension Tensor {
    /// x·Wᵀ + b with PyTorch's (out, in) weight layout; the transpose is a BLAS flag.
    public func linear(_ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
        let y = matmul(weight, transposeB: true)
        return bias.map { y + $0 } ?? y
    }
}
