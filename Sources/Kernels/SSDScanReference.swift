import TensorCore

/// Mamba-2's SSD scan composed of primitive autograd ops, one time step at a time, as the
/// recurrence reads (no time_step_limit). Tests hold the fused kernel against it, and
/// `scanlab bench kernels` times the two side by side.
public func ssdScanReference(xBC: Tensor, dt: Tensor, dtBias: Tensor, aLog: Tensor, D: Tensor,
                             heads H: Int, groups G: Int, state N: Int) -> Tensor {
    let (batch, length) = (xBC.shape[0], xBC.shape[1])
    let inner = xBC.shape[2] - 2 * G * N, P = inner / H, perGroup = H / G
    let x = xBC.narrow(axis: 2, start: 0, length: inner).reshape([batch, length, H, P])
    let B = xBC.narrow(axis: 2, start: inner, length: G * N).reshape([batch, length, G, N])
    let C = xBC.narrow(axis: 2, start: inner + G * N, length: G * N).reshape([batch, length, G, N])
    let delta = (dt + dtBias).softplus()                                  // (Bt, L, H)
    let A = -(aLog.exp()).reshape([1, H, 1, 1])
    /// (Bt, G, N) at step t → (Bt, H, 1, N): each head its group's row.
    func perHead(_ m: Tensor, _ t: Int) -> Tensor {
        let step = m.narrow(axis: 1, start: t, length: 1).reshape([batch, G, N])
        return Tensor.concatenate((0..<H).map { step.narrow(axis: 1, start: $0 / perGroup, length: 1) }, axis: 1)
            .reshape([batch, H, 1, N])
    }
    var h = Tensor.zeros([batch, H, P, N])
    var ys: [Tensor] = []
    for t in 0..<length {
        let dtT = delta.narrow(axis: 1, start: t, length: 1).reshape([batch, H, 1, 1])
        let xT = x.narrow(axis: 1, start: t, length: 1).reshape([batch, H, P, 1])
        h = (dtT * A).exp() * h + dtT * xT * perHead(B, t)
        ys.append((h * perHead(C, t)).sum(axis: 3).reshape([batch, 1, H, P]))
    }
    let y = Tensor.concatenate(ys, axis: 1) + x * D.reshape([1, 1, H, 1])
    return y.reshape([batch, length, inner])
}
