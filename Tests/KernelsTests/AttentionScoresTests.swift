@testable import Kernels
import TensorCore
import TestSupport
import XCTest

/// The tile kernel against a plain triple loop, for each causal mask: the entries the mask
/// keeps equal the full product's, with A zero where the mask excludes depth (as P and dS are
/// past the diagonal), with and without accumulation and with A read transposed; rows,
/// columns and depths that are not multiples of the 4 × 16 register block.
final class AttentionScoresTests: XCTestCase {
    struct Case { let rows, cols, depth, diagonal: Int }
    static let cases = [Case(rows: 7, cols: 23, depth: 5, diagonal: 0), Case(rows: 13, cols: 40, depth: 19, diagonal: 3),
                        Case(rows: 4, cols: 16, depth: 32, diagonal: -2), Case(rows: 21, cols: 9, depth: 33, diagonal: 12)]

    func testEveryMaskKeepsExactlyTheCausalPartOfTheProduct() {
        for (index, c) in Self.cases.enumerated() {
            for mask in [TileMask.columnsPerRow, .depthUpToRow, .depthFromRow] {
                for (transposeA, accumulate) in [(false, false), (true, true)] {
                    check(c, mask: mask, transposeA: transposeA, accumulate: accumulate, seed: UInt64(index + 1))
                }
            }
        }
    }

    func check(_ c: Case, mask: TileMask, transposeA: Bool, accumulate: Bool, seed: UInt64) {
        let colsPad = (c.cols + 15) / 16 * 16, lda = transposeA ? c.rows + 3 : c.depth + 2
        let a = randn([transposeA ? c.depth * lda : c.rows * lda], seed: seed)
        for r in 0..<c.rows {
            for d in 0..<c.depth where (mask == .depthUpToRow && d > r + c.diagonal) || (mask == .depthFromRow && d < r - c.diagonal) {
                a.data[transposeA ? d * lda + r : r * lda + d] = 0
            }
        }
        let bT = randn([c.depth * colsPad], seed: seed + 10)
        let initial = randn([c.rows * colsPad], seed: seed + 20)
        let out = Tensor(initial.values, shape: initial.shape)
        attention_tile_forward(TileOperands(a: a.data, lda: lda, transposeA: transposeA, bT: bT.data, ldb: colsPad,
                                            c: out.data, ldc: colsPad, rows: c.rows, cols: c.cols, depth: c.depth,
                                            mask: mask, diagonal: c.diagonal, accumulate: accumulate))
        let label = "\(c) \(mask) transposeA \(transposeA) accumulate \(accumulate)"
        for r in 0..<c.rows {
            for j in 0..<c.cols {
                // The columns a row needs; masked depth is zero in A.
                if mask == .columnsPerRow && j > r + c.diagonal { continue }
                var expected: Double = accumulate ? Double(initial.values[r * colsPad + j]) : 0
                for d in 0..<c.depth {
                    let av = transposeA ? a.values[d * lda + r] : a.values[r * lda + d]
                    expected += Double(av) * Double(bT.values[d * colsPad + j])
                }
                XCTAssertEqual(Double(out.values[r * colsPad + j]), expected, accuracy: 1e-4 * Double(c.depth), "\(label) at (\(r), \(j))")
            }
        }
    }
}
