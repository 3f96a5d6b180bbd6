import Foundation
import XCTest
@testable import TensorCore
import TestSupport

final class UnaryTests: XCTestCase {
    func testForwardAgainstLibm() {
        let x = uniform([5, 37], seed: 1, 0.1, 3)
        assertClose((-x).values, x.values.map { -$0 })
        assertClose(x.exp().values, x.values.map { Foundation.exp($0) }, tolerance: 1e-6)
        assertClose(x.log().values, x.values.map { Foundation.log($0) })
        assertClose(x.sqrt().values, x.values.map { $0.squareRoot() })
        assertClose(x.pow(3).values, x.values.map { Foundation.pow($0, 3) })
        assertClose(x.pow(2).values, x.values.map { $0 * $0 })
        let y = randn([41], seed: 2)
        assertClose(y.abs().values, y.values.map { Swift.abs($0) })
    }

    func testVectorExpAccuracyAcrossRange() {
        // exp16 relative error over the whole finite range, and its limits.
        var worst: Double = 0
        var x: Float = -87
        while x < 88.5 {
            var v = Vec16()
            for i in 0..<16 { v[i] = x + Float(i) * 0.0137 }
            let e = exp16(v)
            for i in 0..<16 {
                let ref = Foundation.exp(Double(v[i]))
                worst = max(worst, Swift.abs(Double(e[i]) - ref) / ref)
            }
            x += 0.219
        }
        XCTAssertLessThan(worst, 1e-6)
        let edge = exp16(Vec16(repeating: -200))
        XCTAssertEqual(edge[0], 0)
        XCTAssertEqual(exp16(Vec16(repeating: -.infinity))[3], 0)
        XCTAssertEqual(exp16(Vec16(repeating: 100))[0], .infinity)
        XCTAssertEqual(exp16(Vec16(repeating: .infinity))[0], .infinity)
        XCTAssertTrue(exp16(Vec16(repeating: .nan))[5].isNaN, "a NaN must come through, not be clamped away")
        XCTAssertEqual(expNonPositive16(Vec16(repeating: -.infinity))[7], 0)
        XCTAssertTrue(expNonPositive16(Vec16(repeating: .nan))[1].isNaN)
    }

    func testGradients() {
        let x = uniform([3, 7], seed: 3, 0.2, 2)
        assertGradientsMatch([x]) { -$0[0] }
        assertGradientsMatch([x]) { $0[0].exp() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].log() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].sqrt() }
        assertGradientsMatch([x]) { $0[0].pow(2) }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].pow(-1.5) }
        // abs away from its kink: values at least 0.1 from 0
        let y = Tensor(uniform([19], seed: 4, 0.1, 2).values.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }, shape: [19])
        assertGradientsMatch([y], eps: 1e-3) { $0[0].abs() }
    }
}
