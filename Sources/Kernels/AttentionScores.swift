import TensorCore

// The score products of one attention tile, S = A·Bᵀ with A's rows queries (or dO rows) and B's
// rows keys (or values), over the causal part only. The depth is the head size (32–128), too
// shallow for BLAS: a cblas_sgemm call packs both operands for a few dozen multiply-adds per
// output. Here B comes transposed (keys along a row, zero-padded to whole vectors), so four
// query rows × sixteen keys accumulate in registers: one vector load and four broadcasts per
// depth step, no packing.

/// Operands of one tile's scores.
struct ScoreOperands {
    /// A (rows, depth), row stride lda: pre-scaled q rows, or dO rows.
    let a: UnsafePointer<Float>, lda: Int
    /// Bᵀ (depth, keys), row stride ldb; readable up to the tile's columns rounded up to 16.
    let bT: UnsafePointer<Float>, ldb: Int
    /// S (rows, ·), row stride lds (≥ the columns rounded up to 16).
    let s: UnsafeMutablePointer<Float>, lds: Int
    let rows: Int, depth: Int
    /// Keys in the tile, and the first row's position minus the first key's (i0 − j0): row r
    /// sees keys j ≤ r + diagonal.
    let cols: Int, diagonal: Int
}

/// S = A·Bᵀ for every key row r can see, in blocks of 16 keys   // S is (rows, cols rounded up to 16)
/// Entries past a row's last visible key within its 16-key block hold products of padding or
/// of masked keys; callers mask them (expRow reads only the visible ones).
func attention_scores_forward(_ o: ScoreOperands) {
    var r = 0
    while r < o.rows {
        let nr = min(4, o.rows - r)
        let need = min(o.cols, r + nr + o.diagonal)   // the block's last row sees the most keys
        if need > 0 {
            // Rows past the tile's end read row r again and are not stored.
            let a0 = o.a + r * o.lda
            let a1 = nr > 1 ? a0 + o.lda : a0, a2 = nr > 2 ? a0 + 2 * o.lda : a0, a3 = nr > 3 ? a0 + 3 * o.lda : a0
            let s0 = o.s + r * o.lds
            var j = 0
            while j < need {
                var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16()
                var b = o.bT + j
                for d in 0..<o.depth {
                    let kv = load16(b)
                    c0 = fma16(Vec16(repeating: a0[d]), kv, c0)
                    c1 = fma16(Vec16(repeating: a1[d]), kv, c1)
                    c2 = fma16(Vec16(repeating: a2[d]), kv, c2)
                    c3 = fma16(Vec16(repeating: a3[d]), kv, c3)
                    b += o.ldb
                }
                store16(c0, s0 + j)
                if nr > 1 { store16(c1, s0 + o.lds + j) }
                if nr > 2 { store16(c2, s0 + 2 * o.lds + j) }
                if nr > 3 { store16(c3, s0 + 3 * o.lds + j) }
                j += 16
            }
        }
        r += nr
    }
}

/// Bᵀ (depth, ldb) from B (count, depth) with row stride ldbRows, columns count..<ldb zeroed.
func transposeRows(_ b: UnsafePointer<Float>, ldbRows: Int, count: Int, depth: Int,
                   into bT: UnsafeMutablePointer<Float>, ldb: Int) {
    for j in 0..<count {
        let row = b + j * ldbRows   // read each row once, in order
        for d in 0..<depth { bT[d * ldb + j] = row[d] }
    }
    for d in 0..<depth { (bT + d * ldb + count).update(repeating: 0, count: ldb - count) }
}
