import CBLAS

/// ScanLab owns the threads: OpenBLAS runs single-threaded and `sgemm` splits large products
/// across cores itself. OpenBLAS's own workers spin after each call (up to ~0.1 s by default)
/// and would steal both cores from the SIMD kernels that run between matrix products; with
/// one pool, kernels may also call sgemm from inside their parallel loops.
public enum BLASThreading {
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Runs `body` with OpenBLAS using `threads` of its own (benchmarks compare against this).
    public static func withOpenBLASThreads<T>(_ threads: Int, _ body: () -> T) -> T {
        _ = singleThreaded
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        return body()
    }
}

/// C = op(A)·op(B) through cblas_sgemm   // A is (M,K) or (K,M) when transposed, B (K,N) or (N,K), C is (M,N)
/// All pointers row-major; rows are contiguous unless a leading dimension (row stride) says
/// otherwise (columns of a wider matrix); transposition is a BLAS flag, never a copy.
/// Products of at least 2²¹ multiply-adds are split into row (or column) bands that the cores
/// share. The bands follow from the shape alone, never from the thread count: OpenBLAS rounds a
/// band's edge tiles differently from a whole product, so the same split on 1, 2 or N threads
/// is what keeps results bit-identical.
public func sgemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                  alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
    _ = BLASThreading.singleThreaded
    if ProductTally.isEnabled { ProductTally.record(ProductShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)) }
    let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
    let (bands, band) = sgemmBands(m: m, n: n, k: k)
    guard bands > 1 else {
        sgemmTile(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, n: n, k: k,
                  transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        return
    }
    let work = m * n * k / bands
    if m >= n {
        // Row bands of C: A's rows (columns of A when transposed), C's rows.
        Parallel.forEach(bands, workPerItem: work) { i in
            let r0 = i * band, rows = min(band, m - r0)
            guard rows > 0 else { return }
            sgemmTile(transposeA ? a + r0 : a + r0 * lda, lda: lda, b, ldb: ldb, c + r0 * ldc, ldc: ldc,
                      m: rows, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        }
    } else {
        // Column bands of C: B's columns (rows of B when transposed), C's columns.
        Parallel.forEach(bands, workPerItem: work) { i in
            let c0 = i * band, cols = min(band, n - c0)
            guard cols > 0 else { return }
            sgemmTile(a, lda: lda, transposeB ? b + c0 * ldb : b + c0, ldb: ldb, c + c0, ldc: ldc,
                      m: m, n: cols, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
        }
    }
}

/// How `sgemm` splits an (m, n, k) product: the number of bands along the longer of m and n
/// and the band width (a multiple of 16). An even number of bands, up to
/// Parallel.reductionBlocks, of at least 32 rows or columns; one band below 2²¹ multiply-adds.
/// When k dwarfs the output (weight gradients dYᵀ·X over every token), every band packs the
/// whole k-long panel of the other operand again, so bands are 128 wide or more there, but
/// never fewer than two: one band, or three, left a core idle for a third to half the product.
/// The split depends on the shape alone, and each band computes whole dot products, so the
/// numbers do not depend on it.
func sgemmBands(m: Int, n: Int, k: Int) -> (count: Int, width: Int) {
    let long = max(m, n)
    guard m * n * k >= 1 << 21, long >= 64 else { return (1, long) }
    let narrowest = k >= 8 * long ? 128 : 32
    let wanted = max(2, min(Parallel.reductionBlocks, long / narrowest) / 2 * 2)
    let width = ((long + wanted - 1) / wanted + 15) / 16 * 16
    return ((long + width - 1) / width, width)
}

/// One cblas_sgemm on the calling thread with explicit leading dimensions: sgemm's bands, and
/// products already inside a parallel loop   // C (m×n, ldc) = α·op(A)·op(B) + β·C
@inline(__always)
public func sgemmTile(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                      transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0) {
    _ = BLASThreading.singleThreaded
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
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
        // Small products (attention heads) spread over cores one matrix each; large ones split inside sgemm.
        let perMatrix = s.m * s.n * s.k
        let pa = data, pb = other.data, po = out.data
        let one = { (i: Int) in
            let (oa, ob) = s.batch.isEmpty ? (0, 0) : self.planOffsets(plan, index: i)
            if perMatrix >= 1 << 21 {
                sgemm(pa + oa * aStride, pb + ob * bStride, po + i * s.m * s.n,
                      m: s.m, n: s.n, k: s.k, transposeA: transposeA, transposeB: transposeB)
            } else {
                sgemmTile(pa + oa * aStride, lda: transposeA ? s.m : s.k, pb + ob * bStride,
                          ldb: transposeB ? s.k : s.n, po + i * s.m * s.n, ldc: s.n,
                          m: s.m, n: s.n, k: s.k, transposeA: transposeA, transposeB: transposeB)
            }
        }
        if perMatrix >= 1 << 21 { for i in 0..<batchCount { one(i) } } else {
            Parallel.forEach(batchCount, workPerItem: perMatrix) { one($0) }
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
