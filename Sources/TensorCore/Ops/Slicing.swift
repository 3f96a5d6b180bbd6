/// Narrow (a slice along one axis), concatenate and split.

/// Copies `length` slices of `inner` elements from a (outer, srcN, inner) block at `srcStart`
/// into a (outer, dstN, inner) block at `dstStart`.
func copySlab(_ src: UnsafePointer<Float>, srcN: Int, srcStart: Int,
              _ dst: UnsafeMutablePointer<Float>, dstN: Int, dstStart: Int,
              length: Int, outer: Int, inner: Int) {
    let run = length * inner
    Parallel.forEach(outer, workPerItem: run) { o in
        (dst + (o * dstN + dstStart) * inner).update(from: src + (o * srcN + srcStart) * inner, count: run)
    }
}

extension Tensor {
    func narrowRaw(axis a: Int, start: Int, length: Int) -> Tensor {
        let (outer, n, inner) = split3(a)
        var s = shape; s[a] = length
        let out = Tensor(uninitializedShape: s)
        copySlab(data, srcN: n, srcStart: start, out.data, dstN: length, dstStart: 0,
                 length: length, outer: outer, inner: inner)
        return out
    }

    // narrow: x[..., start..<start+length, ...]; d = g placed back into zeros
    public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
        let a = self.axis(axis, op: "narrow")
        guard start >= 0, length >= 0, start + length <= shape[a] else {
            shapeFailure(ShapeError("narrow: range \(start)..<\(start + length) is outside axis \(a) of shape \(shape)"))
        }
        let x = self
        return narrowRaw(axis: a, start: start, length: length).recorded("narrow", [x]) { c in
            let gx = Tensor.zeros(x.shape)
            let (outer, n, inner) = x.split3(a)
            copySlab(c.grad.data, srcN: length, srcStart: 0, gx.data, dstN: n, dstStart: start,
                     length: length, outer: outer, inner: inner)
            return [gx]
        }
    }

    /// Slices along `axis` by a range (sugar for narrow).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        narrow(axis: axis, start: range.lowerBound, length: range.count)
    }

    // concatenate: d = g split into the inputs' extents
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        guard let first = parts.first else { shapeFailure(ShapeError("concatenate: no tensors given")) }
        let a = first.axis(axis, op: "concatenate")
        for p in parts where p.rank != first.rank || p.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
            shapeFailure(ShapeError("concatenate: shapes \(first.shape) and \(p.shape) differ outside axis \(a)"))
        }
        var s = first.shape
        s[a] = parts.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor(uninitializedShape: s)
        let (outer, _, inner) = out.split3(a)
        var start = 0
        var starts: [Int] = []
        for p in parts {
            starts.append(start)
            copySlab(p.data, srcN: p.shape[a], srcStart: 0, out.data, dstN: s[a], dstStart: start,
                     length: p.shape[a], outer: outer, inner: inner)
            start += p.shape[a]
        }
        return out.recorded("concatenate", parts) { c in
            parts.indices.map { i in
                c.needsGrad(i) ? c.grad.narrowRaw(axis: a, start: starts[i], length: parts[i].shape[a]) : nil
            }
        }
    }

    /// Splits along `axis` into pieces of the given sizes; each piece is a narrow, so gradients
    /// of all pieces meet again at `self`.
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        let a = self.axis(axis, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            shapeFailure(ShapeError("split: sizes \(sizes) do not add up to axis \(a) of shape \(shape)"))
        }
        var start = 0
        return sizes.map { n in defer { start += n }; return narrow(axis: a, start: start, length: n) }
    }
}
