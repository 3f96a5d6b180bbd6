import TensorCore

/// A model's parameters in a fixed order, named by their transformers state_dict keys.
/// Tied weights are one tensor listed once under its primary key; `aliases` names the other
/// keys transformers also lists for it (Mamba's lm_head.weight).
public final class ParameterStore {
    public private(set) var keys: [String] = []
    private var tensors: [String: Tensor] = [:]
    /// alias key → primary key
    public private(set) var aliases: [String: String] = [:]
    /// Keys without weight decay (transformers marks Mamba's A_log and D so; biases and norms
    /// are excluded by the usual parameter-group rule).
    public private(set) var noDecay: Set<String> = []

    public init() {}

    public func add(_ key: String, _ tensor: Tensor, decay: Bool = true) {
        precondition(tensors[key] == nil, "ParameterStore: duplicate key \(key)")
        tensor.requiresGrad = true
        keys.append(key)
        tensors[key] = tensor
        if !decay { noDecay.insert(key) }
    }

    public func alias(_ key: String, to primary: String) {
        precondition(tensors[primary] != nil, "ParameterStore: alias \(key) to unknown key \(primary)")
        aliases[key] = primary
    }

    public subscript(key: String) -> Tensor {
        guard let t = tensors[key] ?? aliases[key].flatMap({ tensors[$0] }) else {
            fatalError("ParameterStore: no parameter named \(key)")
        }
        return t
    }

    public func contains(_ key: String) -> Bool { tensors[key] != nil || aliases[key] != nil }

    /// The tensor, or nil for a parameter the configuration leaves out (biases behind a flag).
    public func optional(_ key: String) -> Tensor? { contains(key) ? self[key] : nil }

    /// Every key a transformers state_dict has: primaries in order, then aliases.
    public var allKeys: [String] { keys + aliases.keys.sorted() }

    public var all: [(key: String, tensor: Tensor)] { keys.map { ($0, tensors[$0]!) } }

    public var count: Int { keys.reduce(0) { $0 + tensors[$1]!.count } }

    public func zeroGrad() { for k in keys { tensors[k]!.grad = nil } }
}
