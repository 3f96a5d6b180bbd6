import Foundation
import XCTest
@testable import TensorCore
import TestSupport

final class CausalConv1dTests: XCTestCase {
    func testForwardMatchesPaddedConvolutionDefinition() {
        let (bsz, l, d, k) = (2, 6, 19, 4)
        let x = randn([bsz, l, d], seed: 1), w = randn([d, 1, k], seed: 2), bias = randn([d], seed: 3)
        let y = x.causalConv1d(weight: w, bias: bias)
        for b in 0..<bsz { for t in 0..<l { for c in 0..<d {
            var acc = Double(bias.data[c])
            for j in 0..<k where t - (k - 1) + j >= 0 {
                acc += Double(w.data[c * k + j]) * Double(x.data[(b * l + t - (k - 1) + j) * d + c])
            }
            XCTAssertEqual(Double(y.data[(b * l + t) * d + c]), acc, accuracy: 1e-5)
        } } }
    }

    func testGradientsIncludingShortSequences() {
        for (l, d, k) in [(5, 3, 4), (1, 17, 4), (3, 2, 1), (9, 33, 3), (7, 20, 6)] {   // 6 taps: partials through memory
            let x = randn([2, l, d], seed: 4), w = randn([d, k], seed: 5), bias = randn([d], seed: 6)
            assertGradientsMatch([x, w, bias]) { $0[0].causalConv1d(weight: $0[1], bias: $0[2]) }
        }
    }

    /// The fused silu is the composition `.causalConv1d(…).silu()`: the same numbers, forward and
    /// every gradient, when rows start at multiples of 16 lanes (as both then vectorise alike);
    /// with a channel tail, within float rounding.
    func testFusedSiLUMatchesTheComposition() {
        for (l, d, k, exact) in [(9, 32, 4, true), (5, 48, 3, true), (7, 20, 4, false), (1, 3, 4, false)] {
            let x = randn([3, l, d], seed: 8), w = randn([d, 1, k], seed: 9), bias = randn([d], seed: 10)
            let (forward, gradients) = compareWithReference([x, w, bias],
                { $0[0].causalConv1d(weight: $0[1], bias: $0[2], activation: .silu) },
                { $0[0].causalConv1d(weight: $0[1], bias: $0[2]).silu() })
            for e in [forward] + gradients {
                if exact { XCTAssertEqual(e, 0, "L \(l), D \(d), K \(k)") } else { XCTAssertLessThanOrEqual(e, 1e-6, "L \(l), D \(d), K \(k)") }
            }
        }
    }

    func testFusedSiLUGradients() {
        for (l, d, k) in [(6, 20, 4), (1, 17, 4), (4, 3, 2)] {
            let x = randn([2, l, d], seed: 11), w = randn([d, k], seed: 12), bias = randn([d], seed: 13)
            assertGradientsMatch([x, w, bias]) { $0[0].causalConv1d(weight: $0[1], bias: $0[2], activation: .silu) }
        }
    }
}
