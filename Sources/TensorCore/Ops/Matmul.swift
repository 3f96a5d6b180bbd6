import CBLAS

/// C = op(A)·op(B) through cblas_sgemm   // A is (M,K) or (K,M) when transposed, B (K,N) or (N,K), C is (M,N)
/// All pointers row-major and contiguous; transposition is a BLAS flag, never a copy.
public func sgemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                  alpha: Float = 1, beta: Float = 0) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k),
                b, Int32(transposeB ? k : n), beta, c, Int32(n))
}

/// Validated shapes of one matmul: batch shape, and the matrix sizes.
struct MatmulShapes {
    let batch: [Int]
    let m: Int, n: Int, k: Int

    init(_ a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool) throws {
        let flags = "transposeA: \(transposeA), transposeB: \(transposeB)"
        guard a.count >= 2, b.count >= 2 else {
            throw ShapeError("matmul: operands need rank ≥ 2, got \(a) and \(b) (\(flags))")
        }
        let (ar, ac) = (a[a.count - 2], a[a.count - 1])
        let (br, bc) = (b[b.count - 2], b[b.count - 1])
        m = transposeA ? ac : ar
        k = transposeA ? ar : ac
        let kb = transposeB ? bc : br
        n = transposeB ? br : bc
        guard k == kb else {
            throw ShapeError("matmul: inner dimensions differ for \(a) and \(b) (\(flags)): \(k) vs \(kb)")
        }
        batch = try broadcastShapes(Array(a.dropLast(2)), Array(b.dropLast(2)), op: "matmul batch")
    }
}

extension Tensor {
    /// op(self)·op(other) without recording. Batch dimensions broadcast; a 2-D right operand
    /// folds the left operand's batch into M so the whole product is one sgemm.
    func matmulRaw(_ other: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let s = checked { try MatmulShapes(shape, other.shape, transposeA: transposeA, transposeB: transposeB) }
        let out = Tensor(uninitializedShape: s.batch + [s.m, s.n])
        if other.rank == 2 && !transposeA {
            sgemm(data, other.data, out.data, m: s.m * s.batch.reduce(1, *), n: s.n, k: s.k,
                  transposeA: false, transposeB: transposeB)
            return out
        }
        let batchCount = s.batch.reduce(1, *)
        let aStride = shape[rank - 2] * shape[rank - 1], bStride = other.shape[other.rank - 2] * other.shape[other.rank - 1]
        let plan = StridedPlan(outShape: s.batch, aShape: Array(shape.dropLast(2)), bShape: Array(other.shape.dropLast(2)))
        for i in 0..<batchCount {
            let (oa, ob) = s.batch.isEmpty ? (0, 0) : planOffsets(plan, index: i)
            sgemm(data + oa * aStride, other.data + ob * bStride, out.data + i * s.m * s.n,
                  m: s.m, n: s.n, k: s.k, transposeA: transposeA, transposeB: transposeB)
        }
        return out
    }

    /// Offsets (in matrices) of batch element `index` in A and B.
    private func planOffsets(_ plan: StridedPlan, index: Int) -> (Int, Int) {
        let row = index / plan.rowLength, col = index % plan.rowLength
        let (oa, ob) = plan.offsets(row: row)
        return (oa + col * plan.innerStrideA, ob + col * plan.innerStrideB)
    }

    // matmul: C = op(A)·op(B); dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, each turned back
    // through the transpose flag and summed over broadcast batch dimensions.
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self, b = other
        return matmulRaw(b, transposeA: transposeA, transposeB: transposeB).recorded("matmul", [a, b]) { c in
            let g = c.grad
            var ga: Tensor? = nil, gb: Tensor? = nil
            if c.needsGrad(0) {
                ga = transposeA
                    ? b.matmulRaw(g, transposeA: transposeB, transposeB: true)
                    : g.matmulRaw(b, transposeA: false, transposeB: !transposeB)
                ga = ga!.sumToShape(a.shape)
            }
            if c.needsGrad(1) {
                if b.rank == 2 && !transposeA && a.rank > 2 {
                    // Fold the batch: one sgemm sums over it.
                    let a2 = a.reshapedRaw([a.count / a.shape[a.rank - 1], a.shape[a.rank - 1]])
                    let g2 = g.reshapedRaw([g.count / g.shape[g.rank - 1], g.shape[g.rank - 1]])
                    gb = transposeB ? g2.matmulRaw(a2, transposeA: true, transposeB: false)
                                    : a2.matmulRaw(g2, transposeA: true, transposeB: false)
                } else {
                    gb = transposeB
                        ? g.matmulRaw(a, transposeA: true, transposeB: transposeA)
                        : a.matmulRaw(g, transposeA: !transposeA, transposeB: false)
                    gb = gb!.sumToShape(b.shape)
                }
            }
            return [ga, gb]
        }
    }
}
