import Dispatch

/// What backward needs to know at one node: the incoming gradient, the node's output, which
/// inputs want a gradient (so an op can skip work nobody asked for) and, for inputs used
/// elsewhere too, the gradient gathered so far when the op may add into it.
public struct BackwardContext {
    public let grad: Tensor
    public let output: Tensor
    let needs: [Bool]
    let sums: [Tensor?]
    public func needsGrad(_ input: Int) -> Bool { needs[input] }

    /// The gradient already gathered for input `i` from its other uses, when this op may add
    /// its share into it and return it (a product with β = 1 instead of a new tensor and a
    /// separate sum). Nil unless that gradient is held by nothing else: not another pending
    /// gradient, a leaf's `.grad`, the caller's seed or this node's incoming gradient.
    public func accumulator(_ i: Int) -> Tensor? { sums[i] }
}

/// One recorded op: its inputs and its vector-Jacobian product.
/// The closure receives the output instead of capturing it, so no reference cycle forms.
final class GraphNode {
    let op: String
    let inputs: [Tensor]
    let vjp: (BackwardContext) -> [Tensor?]

    init(op: String, inputs: [Tensor], vjp: @escaping (BackwardContext) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.vjp = vjp
    }
}

/// Whether ops record the graph. Evaluation wraps its work in `withNoGrad`.
public enum GradMode {
    @TaskLocal static var disabled = false
    public static var isEnabled: Bool { !disabled }
}

/// Runs `body` without recording any graph.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$disabled.withValue(true) { try body() }
}

extension Tensor {
    /// Attaches `vjp` to `self` when grad mode is on and some input takes part in autograd.
    /// Ops call this right after computing their output.
    @discardableResult
    public func recorded(_ op: String, _ inputs: [Tensor],
                         vjp: @escaping (BackwardContext) -> [Tensor?]) -> Tensor {
        if OpProfiler.isEnabled { OpProfiler.forwardEnded(op) }
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        node = GraphNode(op: op, inputs: inputs, vjp: vjp)
        return self
    }

    /// Reverse-mode autograd from this tensor. `seed` defaults to ones (a scalar loss).
    /// Leaves with `requiresGrad` accumulate into `.grad`; the graph is released afterwards.
    public func backward(seed: Tensor? = nil) {
        let seedGrad = seed ?? Tensor.ones(shape)
        precondition(seedGrad.shape == shape,
                     "backward: seed shape \(seedGrad.shape) does not match tensor shape \(shape)")
        guard requiresGrad else { fatalError("backward: tensor of shape \(shape) does not require grad") }

        // Topological order by iterative depth-first search (graphs can be thousands of nodes deep).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            if let node = t.node {
                for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }

        OpProfiler.inBackward = true
        defer { OpProfiler.inBackward = false; OpProfiler.mark() }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seedGrad]
        // A leaf adopts its gradient's storage instead of copying it, unless another leaf (or
        // the caller, through the seed) already holds that storage: `.grad` is then exclusively
        // owned and may be updated in place (accumulation, clipping).
        var adopted: Set<ObjectIdentifier> = [ObjectIdentifier(seedGrad.storage)]
        // How many pending gradients (entries of `grads`) use each storage: a vjp may hand one
        // tensor to several inputs, so only a storage held once may be summed into in place.
        var holders: [ObjectIdentifier: Int] = [ObjectIdentifier(seedGrad.storage): 1]
        func hold(_ g: Tensor) { holders[ObjectIdentifier(g.storage), default: 0] += 1 }
        func release(_ g: Tensor) {
            let k = ObjectIdentifier(g.storage)
            if let n = holders[k], n > 1 { holders[k] = n - 1 } else { holders[k] = nil }
        }
        for t in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            guard let node = t.node else {
                // A leaf.
                release(g)
                if let existing = t.grad {
                    existing.addInPlace(g)
                } else if adopted.insert(ObjectIdentifier(g.storage)).inserted {
                    t.grad = Tensor(storage: g.storage, shape: t.shape)
                } else {
                    t.grad = g.copy()
                }
                continue
            }
            let needs = node.inputs.map { $0.requiresGrad }
            // `g` still counts as held here, so an input gradient sharing its storage is not offered.
            let sums: [Tensor?] = node.inputs.map { input in
                guard input.requiresGrad, let pending = grads[ObjectIdentifier(input)],
                      holders[ObjectIdentifier(pending.storage)] == 1, !adopted.contains(ObjectIdentifier(pending.storage)),
                      node.inputs.lazy.filter({ $0 === input }).count == 1 else { return nil }
                return pending
            }
            let started = OpProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            let inputGrads = node.vjp(BackwardContext(grad: g, output: t, needs: needs, sums: sums))
            if OpProfiler.isEnabled { OpProfiler.backward(node.op, since: started) }
            release(g)
            precondition(inputGrads.count == node.inputs.count, "\(node.op): vjp returned wrong count")
            for (i, (input, ig)) in zip(node.inputs, inputGrads).enumerated() where input.requiresGrad {
                guard let ig else { continue }
                precondition(ig.shape == input.shape,
                             "\(node.op): gradient shape \(ig.shape) differs from input shape \(input.shape)")
                // Summed in place by the vjp: already pending.
                if let sum = sums[i], ig === sum { continue }
                let key = ObjectIdentifier(input)
                // Out-of-place sum: a vjp may hand the same tensor to several inputs.
                if let earlier = grads[key] {
                    let started = OpProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
                    let total = earlier.addingRaw(ig)
                    release(earlier)
                    hold(total)
                    grads[key] = total
                    if OpProfiler.isEnabled { OpProfiler.backward("gradient accumulation", since: started) }
                } else {
                    hold(ig)
                    grads[key] = ig
                }
            }
            t.node = nil
        }
    }

    /// Leaves this tensor's subgraph to be freed without running backward.
    public func releaseGraph() { node = nil }
}
