import Foundation
import XCTest
@testable import TensorCore
import TestSupport

/// Softmax of one row in double precision.
func softmaxReference(_ row: [Float]) -> [Double] {
    let m = Double(row.max()!)
    let e = row.map { Foundation.exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

final class SoftmaxTests: XCTestCase {
    func testForwardRowsAndAxes() {
        let x = randn([4, 37], seed: 1, std: 3)
        let y = x.softmax(), ly = x.logSoftmax()
        for r in 0..<4 {
            let ref = softmaxReference(Array(x.values[r * 37..<(r + 1) * 37]))
            assertClose(Array(y.values[r * 37..<(r + 1) * 37]), ref.map(Float.init), tolerance: 1e-6)
            assertClose(Array(ly.values[r * 37..<(r + 1) * 37]), ref.map { Float(Foundation.log($0)) }, tolerance: 1e-5)
        }
        // Along axis 0 equals transposing, softmaxing rows, transposing back.
        assertClose(x.softmax(axis: 0).values, x.transpose(0, 1).softmax().transpose(0, 1).values, tolerance: 1e-7)
        // Large logits do not overflow.
        XCTAssertEqual(Tensor([1000, 1000], shape: [1, 2]).softmax().values, [0.5, 0.5])
    }

    func testGradients() {
        let x = randn([3, 19], seed: 2)
        assertGradientsMatch([x], eps: 1e-3) { $0[0].softmax() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].logSoftmax() }
        let y = randn([4, 3, 2], seed: 3)
        assertGradientsMatch([y], eps: 1e-3) { $0[0].softmax(axis: 1) }
    }
}
