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

final class CrossEntropyTests: XCTestCase {
    func nll(_ x: Tensor, _ r: Int, _ t: Int) -> Double {
        let v = x.shape.last!
        let row = Array(x.values[r * v..<(r + 1) * v])
        return -Foundation.log(softmaxReference(row)[t])
    }

    func testMeanWithIgnoreIndex() {
        let x = randn([5, 7], seed: 1)
        let t = [3, -100, 0, 6, -100]
        let loss = x.crossEntropy(targets: t)
        let ref = (nll(x, 0, 3) + nll(x, 2, 0) + nll(x, 3, 6)) / 3
        XCTAssertEqual(Double(loss.item), ref, accuracy: 1e-5)
        assertGradientsMatch([x], eps: 1e-3) { $0[0].crossEntropy(targets: t) }
        XCTAssertTrue(x.crossEntropy(targets: [Int](repeating: -100, count: 5)).item.isNaN)
    }

    func testPerSequenceNormalisation() {
        // Two sequences of 3: the first counts 1 token, the second 3. Per-sequence mean weighs
        // the lone token as much as the whole second sequence; one all-ignored sequence is skipped.
        let x = randn([3, 3, 5], seed: 2)
        let t = [1, -100, -100, 0, 4, 2, -100, -100, -100]
        let loss = x.crossEntropy(targets: t, reduction: .perSequence(length: 3))
        let seq1 = nll(x, 0, 1)
        let seq2 = (nll(x, 3, 0) + nll(x, 4, 4) + nll(x, 5, 2)) / 3
        XCTAssertEqual(Double(loss.item), (seq1 + seq2) / 2, accuracy: 1e-5)
        let plain = x.crossEntropy(targets: t)
        XCTAssertEqual(Double(plain.item), (seq1 + 3 * seq2) / 4, accuracy: 1e-5)
        assertGradientsMatch([x], eps: 1e-3) { $0[0].crossEntropy(targets: t, reduction: .perSequence(length: 3)) }
    }
}

final class NormalizationTests: XCTestCase {
    func testLayerNormForward() {
        let x = randn([4, 6], seed: 1, std: 2), w = randn([6], seed: 2), b = randn([6], seed: 3)
        let y = x.layerNorm(weight: w, bias: b, eps: 1e-5)
        for r in 0..<4 {
            let row = x.values[r * 6..<(r + 1) * 6].map(Double.init)
            let mean = row.reduce(0, +) / 6
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            for i in 0..<6 {
                let ref = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(w.data[i]) + Double(b.data[i])
                XCTAssertEqual(Double(y.data[r * 6 + i]), ref, accuracy: 1e-5)
            }
        }
    }

    func testRMSNormForward() {
        let x = randn([3, 5], seed: 4), w = randn([5], seed: 5)
        let y = x.rmsNorm(weight: w, eps: 1e-6)
        for r in 0..<3 {
            let row = x.values[r * 5..<(r + 1) * 5].map(Double.init)
            let rms = (row.map { $0 * $0 }.reduce(0, +) / 5 + 1e-6).squareRoot()
            for i in 0..<5 { XCTAssertEqual(Double(y.data[r * 5 + i]), row[i] / rms * Double(w.data[i]), accuracy: 1e-5) }
        }
    }

    func testGradients() {
        let x = randn([2, 3, 7], seed: 6), w = randn([7], seed: 7), b = randn([7], seed: 8)
        assertGradientsMatch([x, w, b], eps: 1e-3) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        assertGradientsMatch([x, w], eps: 1e-3) { $0[0].rmsNorm(weight: $0[1]) }
        // One row (fewer rows than cores) and a width past one vector.
        let x1 = randn([1, 19], seed: 9), w1 = randn([19], seed: 10), b1 = randn([19], seed: 11)
        assertGradientsMatch([x1, w1, b1], eps: 1e-3) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        assertGradientsMatch([x1, w1], eps: 1e-3) { $0[0].rmsNorm(weight: $0[1]) }
    }
}

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
