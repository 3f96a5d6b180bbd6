import XCTest
@testable import TensorCore
import TestSupport

final class ReductionTests: XCTestCase {
    func naiveReduce(_ x: Tensor, axes: [Int], _ f: ([Float]) -> Float) -> [Float] {
        let outShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var groups = [[Float]](repeating: [], count: outShape.reduce(1, *))
        for idx in allIndices(x.shape) {
            let o = idx.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
            groups[flatIndex(o, outShape)].append(x.data[flatIndex(idx, x.shape)])
        }
        return groups.map(f)
    }

    func testSumMeanMaxAgainstNaive() {
        let x = randn([3, 4, 5, 2], seed: 1)
        for axes in [[0], [1], [3], [0, 2], [1, 2], [0, 1, 2, 3], [3, 1]] {
            assertClose(x.sum(axes: axes).values, naiveReduce(x, axes: axes) { $0.reduce(0, +) })
            assertClose(x.mean(axes: axes).values, naiveReduce(x, axes: axes) { $0.reduce(0, +) / Float($0.count) })
            assertClose(x.max(axes: axes).values, naiveReduce(x, axes: axes) { $0.max()! })
        }
        XCTAssertEqual(x.sum(axes: [1, 3], keepDims: true).shape, [3, 1, 5, 1])
        XCTAssertEqual(x.sum(axes: [1, 3]).shape, [3, 5])
        XCTAssertEqual(x.sum().shape, [])
        XCTAssertEqual(x.max(axis: -1, keepDims: true).shape, [3, 4, 5, 1])
    }

    func testLongReductionsUseBothCoresAndStayAccurate() {
        // (outer 1, n large, inner 128): the bias-gradient shape.
        let x = randn([3328, 128], seed: 2)
        let s = x.sum(axis: 0).values
        for c in [0, 77, 127] {
            var acc: Double = 0
            for r in 0..<3328 { acc += Double(x.data[r * 128 + c]) }
            XCTAssertEqual(Double(s[c]), acc, accuracy: 1e-3)
        }
        let flat = randn([100_000], seed: 3)
        XCTAssertEqual(Double(flat.sum().item), flat.values.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-2)
    }

    func testGradients() {
        let x = randn([3, 4, 5], seed: 4)
        for axes in [[0], [2], [0, 2], [0, 1, 2]] {
            assertGradientsMatch([x]) { $0[0].sum(axes: axes) }
            assertGradientsMatch([x]) { $0[0].mean(axes: axes, keepDims: true) }
        }
        // Distinct, well-separated values so finite differences never cross a tie.
        var g = RandomGenerator(seed: 5)
        let spread = Tensor(g.permutation(60).map { Float($0) * 0.5 }, shape: [3, 4, 5])
        assertGradientsMatch([spread], eps: 1e-2) { $0[0].max(axis: 1) }
        assertGradientsMatch([spread], eps: 1e-2) { $0[0].max(axes: [0, 2], keepDims: true) }
    }
}
