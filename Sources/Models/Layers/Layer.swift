import TensorCore

/// A typed piece of a model that owns parameters as fields and names them with the keys of
/// transformers' state_dict, relative to where the model places it.
public protocol Layer: AnyObject {
    /// Adds the layer's parameters to `store` under `prefix` + their state_dict names, in
    /// transformers' order.
    func register(in store: ParameterStore, prefix: String)
}

/// nn.Linear: y = x·Wᵀ + b.
public final class Linear: Layer {
    public let weight: Tensor   // (out, in)
    public let bias: Tensor?    // (out)

    public init(weight: Tensor, bias: Tensor? = nil) { self.weight = weight; self.bias = bias }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight, bias) }

    public func register(in store: ParameterStore, prefix: String) {
        store.add(prefix + "weight", weight)
        if let bias { store.add(prefix + "bias", bias, decay: false) }
    }

    /// Rows of the weight (and bias) split into consecutive output groups: the same numbers as
    /// splitting the product's columns, without copying activations.
    public func splitOutputs(_ sizes: [Int]) -> [Linear] {
        let ws = weight.split(sizes, axis: 0), bs = bias?.split(sizes, axis: 0)
        return ws.indices.map { Linear(weight: ws[$0], bias: bs?[$0]) }
    }
}

/// A row-wise normalisation over the last axis, as the final norm or a block's norms use it.
public protocol RowNorm: Layer {
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// nn.LayerNorm (GPT-NeoX).
public final class LayerNorm: RowNorm {
    public let weight: Tensor, bias: Tensor
    public let eps: Float

    public init(width: Int, eps: Double) { weight = .ones([width]); bias = .zeros([width]); self.eps = Float(eps) }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: eps) }

    public func register(in store: ParameterStore, prefix: String) {
        store.add(prefix + "weight", weight, decay: false)
        store.add(prefix + "bias", bias, decay: false)
    }
}

/// RMSNorm as Mamba's and Mamba-2's blocks and final norms use it.
public final class RMSNorm: RowNorm {
    public let weight: Tensor
    public let eps: Float

    public init(width: Int, eps: Double) { weight = .ones([width]); self.eps = Float(eps) }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, eps: eps) }

    public func register(in store: ParameterStore, prefix: String) { store.add(prefix + "weight", weight, decay: false) }
}
