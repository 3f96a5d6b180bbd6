import XCTest
@testable import TensorCore
import TestSupport

final class ShapeOpsTests: XCTestCase {
    func testReshapeSharesStorageAndResolvesMinusOne() {
        let x = randn([2, 3, 4], seed: 1)
        let y = x.reshape([6, -1])
        XCTAssertEqual(y.shape, [6, 4])
        XCTAssertTrue(y.storage === x.storage)
        XCTAssertThrowsError(try Tensor.resolveShape([5, -1], count: 24, from: [2, 3, 4])) { e in
            XCTAssertTrue("\(e)".contains("[2, 3, 4]") && "\(e)".contains("[5, -1]"))
        }
        XCTAssertThrowsError(try Tensor.resolveShape([-1, -1], count: 24, from: [2, 3, 4]))
    }

    func testPermuteMatchesDefinition() {
        let x = randn([2, 3, 4, 5], seed: 2)
        for perm in [[0, 1, 3, 2], [3, 2, 1, 0], [1, 0, 2, 3], [2, 0, 3, 1]] {
            let y = x.permute(perm)
            XCTAssertEqual(y.shape, perm.map { x.shape[$0] })
            for idx in allIndices(y.shape) {
                var src = [Int](repeating: 0, count: 4)
                for (k, p) in perm.enumerated() { src[p] = idx[k] }
                XCTAssertEqual(y.data[flatIndex(idx, y.shape)], x.data[flatIndex(src, x.shape)])
            }
        }
        XCTAssertEqual(x.transpose(1, -1).shape, [2, 5, 4, 3])
    }

    func testGradients() {
        let x = randn([2, 3, 4], seed: 3)
        assertGradientsMatch([x]) { $0[0].reshape([4, 6]) * $0[0].reshape([4, 6]) }
        assertGradientsMatch([x]) { $0[0].permute([2, 0, 1]) }
        assertGradientsMatch([x]) { $0[0].transpose(0, 2) }
        assertGradientsMatch([x]) { $0[0].unsqueeze(1).expand([2, 5, 3, 4]) }
    }
}

final class SlicingTests: XCTestCase {
    func testNarrowConcatSplitRoundTrip() {
        let x = randn([3, 7, 2], seed: 1)
        let parts = x.split([2, 4, 1], axis: 1)
        XCTAssertEqual(parts.map(\.shape), [[3, 2, 2], [3, 4, 2], [3, 1, 2]])
        let back = Tensor.concatenate(parts, axis: 1)
        XCTAssertEqual(back.values, x.values)
        let mid = x.narrow(axis: 1, start: 2, length: 4)
        for b in 0..<3 { for t in 0..<4 { for c in 0..<2 {
            XCTAssertEqual(mid.data[(b * 4 + t) * 2 + c], x.data[(b * 7 + t + 2) * 2 + c])
        } } }
        XCTAssertEqual(x.slice(axis: -1, 1..<2).shape, [3, 7, 1])
    }

    func testGradients() {
        let x = randn([3, 7, 2], seed: 2), y = randn([3, 2, 2], seed: 3)
        assertGradientsMatch([x]) { $0[0].narrow(axis: 1, start: 3, length: 3) }
        assertGradientsMatch([x, y]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1) }
        // Pieces used differently still meet at x.
        assertGradientsMatch([x]) { t in
            let p = t[0].split([1, 6], axis: 1)
            return Tensor.concatenate([p[1] * 2, p[0].exp()], axis: 1)
        }
    }
}

final class IndexSelectTests: XCTestCase {
    func testLookupAndScatterAddWithRepeats() {
        let table = randn([5, 3], seed: 1)
        let idx = [4, 0, 4, 2]
        let y = table.embedding(idx, shape: [2, 2])
        XCTAssertEqual(y.shape, [2, 2, 3])
        for (i, r) in idx.enumerated() { for c in 0..<3 { XCTAssertEqual(y.data[i * 3 + c], table.data[r * 3 + c]) } }
        assertGradientsMatch([table]) { $0[0].embedding(idx, shape: [2, 2]) }
        table.grad = nil
        table.indexSelect(idx).sum().backward()
        XCTAssertEqual(table.grad!.values, [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2])
    }

    /// Large enough for the backward to split destination rows over cores, with seven rows hit
    /// many times and the last never (its gradient must be written as zeros): the same sums as
    /// a plain loop over the indices, in the same order.
    func testParallelScatterAddEqualsTheSerialSum() {
        let (rows, width, n) = (8, 48, 1500)
        let table = randn([rows, width], seed: 3)
        table.requiresGrad = true
        let idx = (0..<n).map { ($0 * 3 + $0 / 5) % (rows - 1) }
        let g = randn([n, width], seed: 4)
        table.indexSelect(idx).backward(seed: g)
        var want = [Float](repeating: 0, count: rows * width)
        for (i, r) in idx.enumerated() { for c in 0..<width { want[r * width + c] += g.data[i * width + c] } }
        XCTAssertEqual(table.grad!.values, want)
    }
}
