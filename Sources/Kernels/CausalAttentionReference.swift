import TensorCore

/// GPT-NeoX attention composed of primitive autograd ops, step for step as transformers'
/// eager path: split heads from the interleaved qkv, rotary on the leading width, scaled
/// scores, causal mask with the most negative float, softmax, weighted sum, merged heads.
/// `qkv` is (B, T, H·3·hs); the result is (B, T, H·hs).
public func causalAttentionReference(qkv: Tensor, heads: Int, rotary: RotaryEmbedding) -> Tensor {
    let (batch, length) = (qkv.shape[0], qkv.shape[1])
    let hs = rotary.headSize
    let x = qkv.reshape([batch, length, heads, 3 * hs])
    func head(_ start: Int) -> Tensor { x.narrow(axis: 3, start: start, length: hs).permute([0, 2, 1, 3]) }
    let (cosT, sinT) = rotary.tables(length: length)
    let cos = Tensor(cosT, shape: [length, rotary.half]), sin = Tensor(sinT, shape: [length, rotary.half])
    let cosFull = Tensor.concatenate([cos, cos], axis: 1), sinFull = Tensor.concatenate([sin, sin], axis: 1)
    func rotate(_ t: Tensor) -> Tensor {
        guard rotary.width > 0 else { return t }
        let rot = t.narrow(axis: 3, start: 0, length: rotary.width)
        let halves = rot.split([rotary.half, rotary.half], axis: 3)
        let rotated = rot * cosFull + Tensor.concatenate([-halves[1], halves[0]], axis: 3) * sinFull
        if rotary.width == hs { return rotated }
        return Tensor.concatenate([rotated, t.narrow(axis: 3, start: rotary.width, length: hs - rotary.width)], axis: 3)
    }
    let q = rotate(head(0)), k = rotate(head(hs)), v = head(2 * hs)
    var maskValues = [Float](repeating: 0, count: length * length)
    for i in 0..<length { for j in (i + 1)..<max(i + 1, length) { maskValues[i * length + j] = -Float.greatestFiniteMagnitude } }
    let scores = q.matmul(k, transposeB: true) * (1 / Float(hs).squareRoot()) + Tensor(maskValues, shape: [length, length])
    let out = scores.softmax().matmul(v)
    return out.permute([0, 2, 1, 3]).reshape([batch, length, heads * hs])
}
