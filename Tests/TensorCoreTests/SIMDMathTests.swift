import Foundation
import XCTest
@testable import TensorCore
import TestSupport

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
