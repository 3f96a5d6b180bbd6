import Foundation
import Kernels
import TensorCore
import TestSupport
import XCTest

/// The fused SSD kernel (Mamba-2) against the primitive composition and finite differences.
final class SSDScanTests: XCTestCase {
    struct Case { let batch, length, heads, headDim, groups, state: Int }

    /// Mamba-2-like inputs: A_log = log(1…H) as transformers initialises it, dt_bias around
    /// inverse-softplus of dt ∈ [0.001, 0.1] plus some larger steps, the rest standard normal.
    func inputs(_ c: Case, seed: UInt64) -> [Tensor] {
        let width = c.heads * c.headDim + 2 * c.groups * c.state
        let xBC = randn([c.batch, c.length, width], seed: seed)
        let dt = randn([c.batch, c.length, c.heads], seed: seed + 1, std: 0.5)
        let bias = uniform([c.heads], seed: seed + 2, -4, -0.5)
        let aLog = Tensor((0..<c.heads).map { Float(Foundation.log(Double($0 + 1))) }, shape: [c.heads])
        let d = uniform([c.heads], seed: seed + 3, 0.5, 1.5)
        return [xBC, dt, bias, aLog, d]
    }

    func fused(_ c: Case, limit: (Float, Float) = (0, .infinity)) -> ([Tensor]) -> Tensor {
        { x in Tensor.ssdScan(xBC: x[0], dt: x[1], dtBias: x[2], aLog: x[3], D: x[4], heads: c.heads, groups: c.groups,
                              state: c.state, timeStepLimit: limit) }
    }

    func reference(_ c: Case) -> ([Tensor]) -> Tensor {
        { x in ssdScanReference(xBC: x[0], dt: x[1], dtBias: x[2], aLog: x[3], D: x[4], heads: c.heads, groups: c.groups, state: c.state) }
    }

    static let names = ["xBC", "dt", "dt_bias", "A_log", "D"]

    /// Head dims below, at and above 16 (padded lanes), several channel blocks, d_state odd and
    /// 1, one group and several (heads sharing B and C), L = 1 and across chunk boundaries, batch 1.
    static let cases = [
        Case(batch: 2, length: 5, heads: 2, headDim: 3, groups: 1, state: 4),
        Case(batch: 1, length: 1, heads: 1, headDim: 16, groups: 1, state: 16),
        Case(batch: 2, length: 37, heads: 4, headDim: 5, groups: 2, state: 1),
        Case(batch: 3, length: 70, heads: 3, headDim: 17, groups: 3, state: 7),
        Case(batch: 1, length: 33, heads: 6, headDim: 32, groups: 2, state: 16),
        Case(batch: 4, length: 64, heads: 2, headDim: 40, groups: 1, state: 5),
    ]

    func testForwardAndEveryGradientMatchThePrimitiveComposition() {
        for (k, c) in Self.cases.enumerated() {
            assertMatchesReference(inputs(c, seed: UInt64(10 * k + 1)), names: Self.names, "\(c)", fused(c), reference(c))
        }
    }

    func testGradientsAgainstFiniteDifferences() {
        let c = Case(batch: 2, length: 35, heads: 4, headDim: 3, groups: 2, state: 5)
        assertGradientsMatch(inputs(c, seed: 7), eps: 1e-2, tolerance: 2e-2, fused(c))
    }

    /// time_step_limit clamps δ; where it does, no gradient reaches Δ or dt_bias through it.
    func testTimeStepLimitClampsAndStopsTheGradient() {
        let c = Case(batch: 2, length: 9, heads: 3, headDim: 4, groups: 1, state: 3)
        let x = inputs(c, seed: 21)
        // Δ + bias on a grid from −5 to 1 (steps 0.007 to 1.3, none within the finite difference
        // of a clamp edge): a limit of (0.05, 0.5) clamps on both sides, in whole vectors and the tail.
        for i in 0..<x[2].count { x[2].data[i] = -1 }
        for i in 0..<x[1].count { x[1].data[i] = -4 + 6 * Float(i % 13) / 12 }
        let limit: (Float, Float) = (0.05, 0.5)
        assertGradientsMatch(x, eps: 1e-3, tolerance: 2e-2, fused(c, limit: limit))
        // Clamping all steps to one value equals the unclamped scan at that constant step.
        let constant = Tensor.full(x[1].shape, 0)
        let bias = Tensor.full([c.heads], Float(Foundation.log(Foundation.expm1(0.3))))   // softplus⁻¹(0.3)
        let clamped = withNoGrad { Tensor.ssdScan(xBC: x[0], dt: x[1], dtBias: x[2], aLog: x[3], D: x[4], heads: c.heads,
                                                  groups: c.groups, state: c.state, timeStepLimit: (0.3, 0.3)) }
        let atConstant = withNoGrad { ssdScanReference(xBC: x[0], dt: constant, dtBias: bias, aLog: x[3], D: x[4],
                                                       heads: c.heads, groups: c.groups, state: c.state) }
        XCTAssertLessThanOrEqual(relativeError(clamped, atConstant), 1e-5)
    }

    func testShapeErrorsNameTheInput() {
        XCTAssertThrowsError(try SSDShape(xBC: [2, 5, 14], dt: [2, 5, 3], dtBias: [2], aLog: [2], D: [2], heads: 2, groups: 1, state: 4)) { e in
            XCTAssertTrue("\(e)".contains("dt has shape [2, 5, 3]"), "\(e)")
        }
        XCTAssertThrowsError(try SSDShape(xBC: [2, 5, 15], dt: [2, 5, 2], dtBias: [2], aLog: [2], D: [2], heads: 2, groups: 1, state: 4)) { e in
            XCTAssertTrue("\(e)".contains("not a multiple of 2 heads"), "\(e)")
        }
    }
}
