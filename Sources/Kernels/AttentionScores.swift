import TensorCore

// The products inside one attention tile, C (+)= A·Bᵀ over the causal part only: the scores
// q·kᵀ and dO·vᵀ, and the backward's dQ = dS·K, dV = Pᵀ·dO and dK = dSᵀ·q. Their depth is
// the head size or one tile (32–128), too shallow for BLAS: a cblas_sgemm call packs both
// operands for a few dozen multiply-adds per output. Here B comes transposed (its columns
// along a row, zero-padded to whole vectors), so four rows × sixteen columns accumulate in
// registers: one vector load and four broadcasts per depth step, no packing.

/// Which entries of a tile product the causal mask leaves, with `diagonal` = i0 − j0 (the
/// tile's first query position minus its first key's): query t sees key j when j ≤ t + diagonal.
/// Depth is skipped per block of four rows, not per row, so where a mask excludes depth A must
/// hold zeros (as P and dS do past the diagonal).
enum TileMask {
    /// Rows are queries, columns keys (the scores): row t needs columns j ≤ t + diagonal.
    case columnsPerRow
    /// Rows are queries, depth keys (dQ = dS·K): row t sums over depth j ≤ t + diagonal.
    case depthUpToRow
    /// Rows are keys, depth queries (dV = Pᵀ·dO, dK = dSᵀ·q): row j sums over depth t ≥ j − diagonal.
    case depthFromRow
}

/// Operands of one tile product.
struct TileOperands {
    /// A (rows, depth), row stride lda; or, with `transposeA`, Aᵀ (depth, rows) with row stride lda.
    let a: UnsafePointer<Float>, lda: Int
    var transposeA = false
    /// Bᵀ (depth, cols), row stride ldb; readable up to cols rounded up to 16.
    let bT: UnsafePointer<Float>, ldb: Int
    /// C (rows, ·), row stride ldc (≥ cols rounded up to 16).
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let rows: Int, cols: Int, depth: Int
    let mask: TileMask, diagonal: Int
    /// Add into C instead of overwriting it.
    var accumulate = false
}

/// C (+)= A·Bᵀ where the mask needs it, in blocks of 4 rows × 16 columns   // C is (rows, cols rounded up to 16)
/// With `.columnsPerRow`, entries past a row's last visible column within its 16-column block
/// hold products of padding or of masked keys and blocks past the row block's last visible
/// column are not written; callers read only the visible ones.
func attention_tile_forward(_ o: TileOperands) {
    // A[r, d] is a[r·rowStep + d·depthStep]
    let (rowStep, depthStep) = o.transposeA ? (1, o.lda) : (o.lda, 1)
    var r = 0
    while r < o.rows {
        let nr = min(4, o.rows - r)
        let reach = r + nr + o.diagonal   // the row block's last row sees columns / depth below this
        let colEnd = o.mask == .columnsPerRow ? min(o.cols, reach) : o.cols
        let depthEnd = o.mask == .depthUpToRow ? min(o.depth, reach) : o.depth
        let depthStart = o.mask == .depthFromRow ? max(0, r - o.diagonal) : 0
        // Rows past the tile's end read row r again and are not stored.
        let a0 = o.a + r * rowStep
        let a1 = nr > 1 ? a0 + rowStep : a0, a2 = nr > 2 ? a0 + 2 * rowStep : a0, a3 = nr > 3 ? a0 + 3 * rowStep : a0
        let c0p = o.c + r * o.ldc
        var j = 0
        while j < colEnd {
            var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16()
            if o.accumulate {
                c0 = load16(c0p + j)
                if nr > 1 { c1 = load16(c0p + o.ldc + j) }
                if nr > 2 { c2 = load16(c0p + 2 * o.ldc + j) }
                if nr > 3 { c3 = load16(c0p + 3 * o.ldc + j) }
            }
            if depthStart < depthEnd {
                var b = o.bT + depthStart * o.ldb + j
                var ad = depthStart * depthStep
                for _ in depthStart..<depthEnd {
                    let bv = load16(b)
                    c0 = fma16(Vec16(repeating: a0[ad]), bv, c0)
                    c1 = fma16(Vec16(repeating: a1[ad]), bv, c1)
                    c2 = fma16(Vec16(repeating: a2[ad]), bv, c2)
                    c3 = fma16(Vec16(repeating: a3[ad]), bv, c3)
                    b += o.ldb; ad += depthStep
                }
            }
            store16(c0, c0p + j)
            if nr > 1 { store16(c1, c0p + o.ldc + j) }
            if nr > 2 { store16(c2, c0p + 2 * o.ldc + j) }
            if nr > 3 { store16(c3, c0p + 3 * o.ldc + j) }
            j += 16
        }
        r += nr
    }
}

/// Bᵀ (depth, ldb) from B (count, depth) with row stride ldbRows, columns count..<ldb zeroed.
func transposeRows(_ b: UnsafePointer<Float>, ldbRows: Int, count: Int, depth: Int,
                   into bT: UnsafeMutablePointer<Float>, ldb: Int) {
    for j in 0..<count {
        let row = b + j * ldbRows   // read each row once, in order
        if j + 4 < count { prefetch(row + 4 * ldbRows, count: depth) }
        for d in 0..<depth { bT[d * ldb + j] = row[d] }
    }
    for d in 0..<depth { (bT + d * ldb + count).update(repeating: 0, count: ldb - count) }
}
