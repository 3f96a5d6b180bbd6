import Dispatch

/// What backward needs to know at one node: the incoming gradient, the node's output and
/// which inputs want a gradient (so an op can skip work nobody asked for).
public struct BackwardContext {
    public let grad: Tensor
    public let output: Tensor
    let needs: [Bool]
    public func needsGrad(_ input: Int) -> Bool { needs[input] }
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
        for t in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            guard let node = t.node else {
                // A leaf.
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
            let started = OpProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            let inputGrads = node.vjp(BackwardContext(grad: g, output: t, needs: needs))
            if OpProfiler.isEnabled { OpProfiler.backward(node.op, since: started) }
            precondition(inputGrads.count == node.inputs.count, "\(node.op): vjp returned wrong count")
            for (input, ig) in zip(node.inputs, inputGrads) where input.requiresGrad {
                guard let ig else { continue }
                precondition(ig.shape == input.shape,
                             "\(node.op): gradient shape \(ig.shape) differs from input shape \(input.shape)")
                let key = ObjectIdentifier(input)
                // Out-of-place sum: a vjp may hand the same tensor to several inputs.
                if let earlier = grads[key] {
                    let started = OpProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
                    grads[key] = earlier.addingRaw(ig)
                    if OpProfiler.isEnabled { OpProfiler.backward("gradient accumulation", since: started) }
                } else {
                    grads[key] = ig
                }
            }
            t.node = nil
        }
    }

    /// Leaves this tensor's subgraph to be freed without running backward.
    public func releaseGraph() { node = nil }
}
