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

final class ActivationTests: XCTestCase {
    func testForwardAgainstDoublePrecisionDefinitions() {
        let x = Tensor(Array(stride(from: Float(-30), through: 30, by: 0.37)), shape: [163])
        let xs = x.values.map(Double.init)
        assertClose(x.sigmoid().values, xs.map { Float(1 / (1 + Foundation.exp(-$0))) }, tolerance: 1e-6)
        assertClose(x.silu().values, xs.map { Float($0 / (1 + Foundation.exp(-$0))) }, tolerance: 1e-6)
        assertClose(x.gelu().values, xs.map { Float(0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot()))) }, tolerance: 1e-6)
        // softplus: log1p(exp(x)) up to 20, then exactly x (PyTorch's threshold).
        assertClose(x.softplus().values, xs.map { $0 > 20 ? Float($0) : Float(Foundation.log1p(Foundation.exp($0))) }, tolerance: 1e-6)
        XCTAssertEqual(Tensor([20.5], shape: [1]).softplus().item, 20.5)
    }

    func testGradients() {
        let x = randn([4, 9], seed: 5, std: 2)
        assertGradientsMatch([x], eps: 1e-3) { $0[0].sigmoid() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].silu() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].gelu() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].softplus() }
        let big = Tensor([21, 25, -3, 19.5], shape: [4])
        assertGradientsMatch([big], eps: 1e-2) { $0[0].softplus() }
    }
}

final class VectorMathTests: XCTestCase {
    func testLog16AccuracyFromTinyToHuge() {
        var worst: Double = 0
        var x: Float = 1e-30
        while x < 1e30 {
            var v = Vec16()
            for i in 0..<16 { v[i] = x * (1 + Float(i) * 0.061) }
            let l = log16(v)
            for i in 0..<16 {
                let ref = Foundation.log(Double(v[i]))
                worst = max(worst, Swift.abs(Double(l[i]) - ref) / max(1e-3, Swift.abs(ref)))
            }
            x *= 1.37
        }
        XCTAssertLessThan(worst, 2e-7)
        // Near 1, where ln x → 0, absolute error stays at float resolution.
        var v = Vec16()
        for i in 0..<16 { v[i] = 1 + Float(i - 8) * 1e-3 }
        let l = log16(v)
        for i in 0..<16 { XCTAssertEqual(Double(l[i]), Foundation.log(Double(v[i])), accuracy: 1e-8) }
    }

    func testSoftplus16MatchesLog1pExpIncludingTinyAndThreshold() {
        for x0 in stride(from: Float(-60), through: 30, by: 0.83) {
            var v = Vec16()
            for i in 0..<16 { v[i] = x0 + Float(i) * 0.05 }
            let s = softplus16(v)
            for i in 0..<16 {
                let xd = Double(v[i])
                let ref = v[i] > 20 ? xd : Foundation.log1p(Foundation.exp(xd))
                XCTAssertEqual(Double(s[i]), ref, accuracy: 3e-7 * max(ref, 1e-30) + 1e-44, "x = \(v[i])")
            }
        }
    }
}

final class ErfTests: XCTestCase {
    func testErf16AgainstLibm() {
        var worst: Double = 0
        for x0 in stride(from: Float(-6), through: 6, by: 0.173) {
            var v = Vec16()
            for i in 0..<16 { v[i] = x0 + Float(i) * 0.0107 }
            let e = erf16(v)
            for i in 0..<16 { worst = max(worst, Swift.abs(Double(e[i]) - Foundation.erf(Double(v[i])))) }
        }
        XCTAssertLessThan(worst, 5e-7)
    }
}

/// Worst relative error of a 16-lane function against a Double reference over [from, 0].
func worstRelativeError(from: Float, step: Float, _ f: (Vec16) -> Vec16, _ reference: (Double) -> Double) -> Double {
    var worst: Double = 0
    var x = from
    while x <= 0 {
        var v = Vec16()
        for i in 0..<16 { v[i] = min(0, x + Float(i) * 0.0113) }
        let e = f(v)
        for i in 0..<16 {
            let ref = reference(Double(v[i]))
            worst = max(worst, Swift.abs(Double(e[i]) - ref) / ref)
        }
        x += step
    }
    return worst
}

final class NonPositiveExpTests: XCTestCase {
    func testAgainstLibmOverTheWholeNonPositiveRange() {
        XCTAssertLessThan(worstRelativeError(from: -87, step: 0.173, { expNonPositive16($0) }, Foundation.exp), 1e-6)
        XCTAssertEqual(expNonPositive16(Vec16(repeating: -200))[0], 0)
        XCTAssertEqual(expNonPositive16(Vec16(repeating: 0))[0], 1)
    }
}

final class NonPositiveExp2Tests: XCTestCase {
    func testAgainstLibmOverTheWholeNonPositiveRange() {
        XCTAssertLessThan(worstRelativeError(from: -125.9, step: 0.0917, { exp2NonPositive16($0) }, Foundation.exp2), 3e-7)
        XCTAssertEqual(exp2NonPositive16(Vec16(repeating: -200))[0], 0)
        XCTAssertEqual(exp2NonPositive16(Vec16(repeating: -1e30))[0], 0)
        XCTAssertEqual(exp2NonPositive16(Vec16(repeating: 0))[0], 1)
        XCTAssertEqual(exp2NonPositive16(Vec16(repeating: -3))[0], 0.125)
    }
}
