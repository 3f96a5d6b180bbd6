import XCTest
@testable import TensorCore
import TestSupport

final class ArithmeticTests: XCTestCase {
    /// Shape pairs covering equal shapes, scalars, size-1 axes on either side, rank mismatch,
    /// odd sizes and a long inner row.
    static let shapePairs: [([Int], [Int])] = [
        ([3, 5], [3, 5]), ([3, 5], [5]), ([5], [3, 5]), ([3, 1], [1, 5]), ([2, 3, 4], [3, 1]),
        ([2, 1, 7], [2, 3, 1]), ([1], [4, 3]), ([], [2, 3]), ([2, 3], []), ([1, 33], [2, 1]),
    ]

    func naiveBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> [Float] {
        let shape = try! broadcastShapes(a.shape, b.shape, op: "test")
        return allIndices(shape).map { idx in
            func pick(_ t: Tensor) -> Float {
                let off = idx.count - t.rank
                let sub = t.shape.enumerated().map { $0.element == 1 ? 0 : idx[$0.offset + off] }
                return t.data[flatIndex(sub, t.shape)]
            }
            return f(pick(a), pick(b))
        }
    }

    func testForwardMatchesNaiveBroadcastForAllOps() {
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = randn(sa, seed: UInt64(k)), b = uniform(sb, seed: UInt64(100 + k), 0.5, 2)
            assertClose((a + b).values, naiveBroadcast(a, b, +))
            assertClose((a - b).values, naiveBroadcast(a, b, -))
            assertClose((a * b).values, naiveBroadcast(a, b, *))
            assertClose((a / b).values, naiveBroadcast(a, b, /))
            XCTAssertEqual((a + b).shape, try broadcastShapes(sa, sb, op: "t"))
        }
    }

    func testLargeTensorsTakeTheParallelPathAndStayExact() {
        let a = randn([70_001], seed: 1), b = randn([70_001], seed: 2)
        let s = (a * b).values
        for i in stride(from: 0, to: 70_001, by: 997) { XCTAssertEqual(s[i], a.data[i] * b.data[i]) }
        let m = randn([300, 257], seed: 3), row = randn([257], seed: 4)
        let r = (m + row).values
        for i in stride(from: 0, to: 300 * 257, by: 1231) { XCTAssertEqual(r[i], m.data[i] + row.data[i % 257]) }
    }

    func testGradientsWithBroadcasting() {
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = randn(sa, seed: UInt64(k)), b = uniform(sb, seed: UInt64(50 + k), 0.5, 2)
            assertGradientsMatch([a, b]) { $0[0] + $0[1] }
            assertGradientsMatch([a, b]) { $0[0] - $0[1] }
            assertGradientsMatch([a, b]) { $0[0] * $0[1] }
            assertGradientsMatch([a, b], eps: 1e-3) { $0[0] / $0[1] }
        }
    }

    func testPowGradientsBothOperands() {
        let a = uniform([3, 4], seed: 1, 0.5, 2), b = uniform([4], seed: 2, -1.5, 2)
        assertGradientsMatch([a, b], eps: 1e-3) { Tensor.pow($0[0], $0[1]) }
        assertClose(Tensor.pow(a, b).values, naiveBroadcast(a, b, { Foundation.pow($0, $1) }))
    }

    func testScalarOperators() {
        let a = randn([2, 3], seed: 9)
        assertClose((a * 3).values, a.values.map { $0 * 3 })
        assertClose((2 - a).values, a.values.map { 2 - $0 })
        assertClose((1 / (a.abs() + 1)).values, a.values.map { 1 / (Swift.abs($0) + 1) })
        assertGradientsMatch([a]) { ($0[0] * 3 + 1) / 2 }
    }

    func testBroadcastErrorNamesOpAndShapes() {
        XCTAssertThrowsError(try broadcastShapes([2, 3], [4, 3], op: "add")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("add") && text.contains("[2, 3]") && text.contains("[4, 3]"), text)
        }
    }
}

import Foundation
