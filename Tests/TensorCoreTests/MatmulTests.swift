import XCTest
@testable import TensorCore
import TestSupport

final class MatmulTests: XCTestCase {
    /// op(A)·op(B) by the definition, with broadcasting over batch axes.
    func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> (shape: [Int], values: [Float]) {
        let s = try! MatmulShapes(a.shape, b.shape, transposeA: ta, transposeB: tb)
        let outShape = s.batch + [s.m, s.n]
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        for (f, idx) in allIndices(outShape).enumerated() {
            let bi = Array(idx.dropLast(2)), i = idx[idx.count - 2], j = idx[idx.count - 1]
            func batchOff(_ t: Tensor) -> [Int] {
                let tb = Array(t.shape.dropLast(2)), off = bi.count - tb.count
                return tb.enumerated().map { $0.element == 1 ? 0 : bi[$0.offset + off] }
            }
            var acc: Float = 0
            for k in 0..<s.k {
                let ai = batchOff(a) + (ta ? [k, i] : [i, k])
                let bj = batchOff(b) + (tb ? [j, k] : [k, j])
                acc += a.data[flatIndex(ai, a.shape)] * b.data[flatIndex(bj, b.shape)]
            }
            out[f] = acc
        }
        return (outShape, out)
    }

    static let cases: [([Int], [Int])] = [
        ([3, 4], [4, 5]), ([1, 7], [7, 1]), ([2, 3, 4], [4, 5]), ([2, 3, 4], [2, 4, 5]),
        ([3, 4], [2, 4, 5]), ([2, 1, 3, 4], [3, 4, 2]), ([5, 2, 3], [3, 3]),
    ]

    /// Transposed flags read the operand's last two axes swapped.
    func shapes(_ a: [Int], _ b: [Int], _ ta: Bool, _ tb: Bool) -> ([Int], [Int]) {
        func t(_ s: [Int], _ f: Bool) -> [Int] { f ? Array(s.dropLast(2)) + [s[s.count - 1], s[s.count - 2]] : s }
        return (t(a, ta), t(b, tb))
    }

    func testForwardAllFlagCombinationsAndBatchBroadcasting() {
        for (k, (sa, sb)) in Self.cases.enumerated() {
            for ta in [false, true] { for tb in [false, true] {
                let (pa, pb) = shapes(sa, sb, ta, tb)
                let a = randn(pa, seed: UInt64(k)), b = randn(pb, seed: UInt64(k + 20))
                let c = a.matmul(b, transposeA: ta, transposeB: tb)
                let ref = naive(a, b, ta, tb)
                XCTAssertEqual(c.shape, ref.shape, "case \(k) ta \(ta) tb \(tb)")
                assertClose(c.values, ref.values, tolerance: 1e-5)
            } }
        }
    }

    func testGradientsAllFlagCombinations() {
        for (k, (sa, sb)) in Self.cases.enumerated() {
            for ta in [false, true] { for tb in [false, true] {
                let (pa, pb) = shapes(sa, sb, ta, tb)
                let a = randn(pa, seed: UInt64(k)), b = randn(pb, seed: UInt64(k + 20))
                assertGradientsMatch([a, b]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            } }
        }
    }

    func testModelSizedProductMatchesNaiveOnSampledEntries() {
        let x = randn([2, 53, 128], seed: 1), w = randn([512, 128], seed: 2)
        let y = x.matmul(w, transposeB: true)
        XCTAssertEqual(y.shape, [2, 53, 512])
        for (b, t, o) in [(0, 0, 0), (1, 52, 511), (1, 17, 300)] {
            var acc: Double = 0
            for i in 0..<128 { acc += Double(x.data[(b * 53 + t) * 128 + i]) * Double(w.data[o * 128 + i]) }
            XCTAssertEqual(Double(y.data[(b * 53 + t) * 512 + o]), acc, accuracy: 1e-3)
        }
    }

    /// A weight gradient over every token (k far longer than the output: split into wide
    /// bands) matches a naive sum, on both sides of each band edge.
    func testTokenLongWeightGradientMatchesNaiveAcrossBandEdges() {
        let dy = randn([3328, 256], seed: 3), x = randn([3328, 128], seed: 4)
        let dw = dy.matmul(x, transposeA: true)
        XCTAssertEqual(dw.shape, [256, 128])
        for (r, c) in [(0, 0), (127, 5), (128, 5), (255, 127), (64, 100)] {
            var acc: Double = 0
            for t in 0..<3328 { acc += Double(dy.data[t * 256 + r]) * Double(x.data[t * 128 + c]) }
            XCTAssertEqual(Double(dw.data[r * 128 + c]), acc, accuracy: 1e-2, "row \(r), column \(c)")
        }
    }

    /// Products big enough to split go in an even number of bands (two cores finish together),
    /// never one, also when k dwarfs a small output (Pythia's dense weight gradient, 128×128 over
    /// every token); that one matches a naive sum on both sides of its band edge.
    func testSplitProductsUseAnEvenNumberOfBands() {
        for (m, n, k) in [(128, 128, 3392), (384, 128, 3392), (64, 64, 4096), (192, 64, 4096), (3392, 384, 128), (96, 128, 300)] {
            let bands = sgemmBands(m: m, n: n, k: k)
            XCTAssertGreaterThanOrEqual(bands.count, 2, "\(m)×\(n) over k = \(k)")
            XCTAssertEqual(bands.count % 2, 0, "\(m)×\(n) over k = \(k): \(bands.count) bands")
            XCTAssertGreaterThanOrEqual(bands.count * bands.width, max(m, n))
        }
        XCTAssertEqual(sgemmBands(m: 16, n: 16, k: 16).count, 1, "too small to split")
        let dy = randn([3392, 128], seed: 5), x = randn([3392, 128], seed: 6)
        let dw = dy.matmul(x, transposeA: true)
        for (r, c) in [(0, 0), (63, 7), (64, 7), (127, 127)] {
            var acc: Double = 0
            for t in 0..<3392 { acc += Double(dy.data[t * 128 + r]) * Double(x.data[t * 128 + c]) }
            XCTAssertEqual(Double(dw.data[r * 128 + c]), acc, accuracy: 1e-2, "row \(r), column \(c)")
        }
    }

    func testShapeErrorsNameBothShapes() {
        XCTAssertThrowsError(try MatmulShapes([3, 4], [5, 6], transposeA: false, transposeB: false)) { e in
            XCTAssertTrue("\(e)".contains("[3, 4]") && "\(e)".contains("[5, 6]") && "\(e)".contains("matmul"))
        }
        XCTAssertThrowsError(try MatmulShapes([4], [4, 2], transposeA: false, transposeB: false))
        XCTAssertThrowsError(try MatmulShapes([2, 3, 4], [3, 4, 5], transposeA: false, transposeB: false))
    }
}

final class LinearTests: XCTestCase {
    func testLinearMatchesMatmulPlusBiasAndItsGradients() {
        let x = randn([2, 5, 7], seed: 1), w = randn([3, 7], seed: 2), b = randn([3], seed: 3)
        assertClose(x.linear(w, b).values, (x.matmul(w, transposeB: true) + b).values, tolerance: 1e-6)
        assertClose(x.linear(w).values, x.matmul(w, transposeB: true).values, tolerance: 1e-6)
        assertGradientsMatch([x, w, b]) { $0[0].linear($0[1], $0[2]) }
        assertGradientsMatch([x, w]) { $0[0].linear($0[1]) }
    }
}
