import TensorCore

/// The selective scan composed of primitive autograd ops, one time step at a time, exactly as
/// the recurrence reads (transformers' MambaMixer.slow_forward). Tests hold the fused kernel
/// against it, and `scanlab bench kernels` times the two side by side.
public func selectiveScanReference(u: Tensor, delta: Tensor, deltaBias: Tensor, aLog: Tensor,
                                   B: Tensor, C: Tensor, D: Tensor, z: Tensor) -> Tensor {
    let (batch, length, channels, state) = (u.shape[0], u.shape[1], u.shape[2], aLog.shape[1])
    let dt = (delta + deltaBias).softplus()                       // (Bt, L, Dm)
    let A = -(aLog.exp())                                         // (Dm, N)
    var h = Tensor.zeros([batch, channels, state])
    var ys: [Tensor] = []
    for t in 0..<length {
        let dtT = dt.narrow(axis: 1, start: t, length: 1).reshape([batch, channels, 1])
        let uT = u.narrow(axis: 1, start: t, length: 1).reshape([batch, channels, 1])
        let bT = B.narrow(axis: 1, start: t, length: 1)                     // (Bt, 1, N)
        let cT = C.narrow(axis: 1, start: t, length: 1)
        h = (dtT * A).exp() * h + dtT * uT * bT
        ys.append((h * cT).sum(axis: 2).reshape([batch, 1, channels]))
    }
    let y = Tensor.concatenate(ys, axis: 1) + u * D
    return y * z.silu()
}
