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
}
