/// Mamba's depthwise causal convolution, channels-last so SIMD runs over channels.
///
/// out[b,t,d] = bias[d] + Σ_k w[d,k]·x[b, t−(K−1)+k, d]   (x outside 0..<L is 0)
/// Same numbers as PyTorch's Conv1d(D, D, K, groups=D, padding=K−1)(x)[..., :L] on (B, D, L).

/// x, out are (B,L,D); wT is the weight transposed to (K,D); bias is (D)
func causal_conv1d_forward(_ x: UnsafePointer<Float>, _ wT: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                           _ out: UnsafeMutablePointer<Float>, batch: Int, length: Int, channels: Int, kernel: Int) {
    Parallel.forEach(batch, workPerItem: length * channels * kernel) { b in
        let xb = x + b * length * channels, ob = out + b * length * channels
        for t in 0..<length {
            let o = ob + t * channels
            o.update(from: bias, count: channels)
            for k in 0..<kernel {
                let s = t - (kernel - 1) + k
                if s < 0 { continue }
                let xs = xb + s * channels, w = wT + k * channels
                var d = 0
                while d + 16 <= channels { store16(load16(o + d) + load16(w + d) * load16(xs + d), o + d); d += 16 }
                while d < channels { o[d] += w[d] * xs[d]; d += 1 }
            }
        }
    }
}

/// g is (B,L,D); gx is (B,L,D); gwT is (B,K,D) per-batch partials; gb is (B,D) per-batch partials
func causal_conv1d_backward(_ x: UnsafePointer<Float>, _ wT: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                            _ gx: UnsafeMutablePointer<Float>?, _ gwT: UnsafeMutablePointer<Float>,
                            _ gb: UnsafeMutablePointer<Float>, batch: Int, length: Int, channels: Int, kernel: Int) {
    Parallel.forEach(batch, workPerItem: length * channels * kernel * 2) { b in
        let xb = x + b * length * channels, gbat = g + b * length * channels
        let gw = gwT + b * kernel * channels, gbias = gb + b * channels
        gw.update(repeating: 0, count: kernel * channels)
        gbias.update(repeating: 0, count: channels)
        if let gx { (gx + b * length * channels).update(repeating: 0, count: length * channels) }
        for t in 0..<length {
            let gt = gbat + t * channels
            var d = 0
            while d + 16 <= channels { store16(load16(gbias + d) + load16(gt + d), gbias + d); d += 16 }
            while d < channels { gbias[d] += gt[d]; d += 1 }
            for k in 0..<kernel {
                let s = t - (kernel - 1) + k
                if s < 0 { continue }
                let xs = xb + s * channels, w = wT + k * channels, gwk = gw + k * channels
                d = 0
                while d + 16 <= channels { store16(load16(gwk + d) + load16(gt + d) * load16(xs + d), gwk + d); d += 16 }
                while d < channels { gwk[d] += gt[d] * xs[d]; d += 1 }
                if let gx {
                    let gxs = gx + b * length * channels + s * channels
                    d = 0
                    while d + 16 <= channels { store16(load16(gxs + d) + load16(gt + d) * load16(w + d), gxs + d); d += 16 }
                    while d < channels { gxs[d] += gt[d] * w[d]; d += 1 }
                }
            }
        }
    }
}

extension Tensor {
    /// Depthwise causal 1-D convolution. `self` is (B, L, D); `weight` is (D, K) or transformers'
    /// (D, 1, K); `bias` is (D).
    public func causalConv1d(weight: Tensor, bias: Tensor) -> Tensor {
        guard rank == 3 else { shapeFailure(ShapeError("causalConv1d: input must be (B, L, D), got \(shape)")) }
        let (batch, length, channels) = (shape[0], shape[1], shape[2])
        let kernel = weight.shape.last ?? 0
        guard (weight.shape == [channels, kernel] || weight.shape == [channels, 1, kernel]), kernel > 0 else {
            shapeFailure(ShapeError("causalConv1d: weight shape \(weight.shape) does not fit input \(shape) (want [\(channels), K] or [\(channels), 1, K])"))
        }
        guard bias.shape == [channels] else {
            shapeFailure(ShapeError("causalConv1d: bias shape \(bias.shape) does not fit input \(shape) (want [\(channels)])"))
        }
        let wT = weight.reshapedRaw([channels, kernel]).permutedRaw([1, 0])
        let x = self, out = Tensor(uninitializedShape: shape)
        causal_conv1d_forward(x.data, wT.data, bias.data, out.data,
                              batch: batch, length: length, channels: channels, kernel: kernel)
        return out.recorded("causalConv1d", [x, weight, bias]) { c in
            let gx = c.needsGrad(0) ? Tensor(uninitializedShape: x.shape) : nil
            let gwT = Tensor(uninitializedShape: [batch, kernel, channels])
            let gb = Tensor(uninitializedShape: [batch, channels])
            causal_conv1d_backward(x.data, wT.data, c.grad.data, gx?.data, gwT.data, gb.data,
                                   batch: batch, length: length, channels: channels, kernel: kernel)
            let gw = gwT.sumRaw(axes: [0]).reshapedRaw([kernel, channels]).permutedRaw([1, 0]).reshapedRaw(weight.shape)
            return [gx, gw, gb.sumRaw(axes: [0]).reshapedRaw([channels])]
        }
    }
}
