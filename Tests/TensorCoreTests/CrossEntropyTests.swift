import Foundation
import XCTest
@testable import TensorCore
import TestSupport

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

    /// Rows wider than the sixteen-lane loops (40 classes: two vectors and a tail), with one large
    /// logit in a row's tail and one in another's vectors: the loss needs the true row maximum
    /// (a missed one overflows exp), and the backward's vector exp matches finite differences.
    func testWideRowsMatchTheReference() {
        var values = randn([4, 40], seed: 3).values
        values[0 * 40 + 37] = 200
        values[1 * 40 + 5] = 150
        values[2 * 40 + 31] = -300
        let x = Tensor(values, shape: [4, 40])
        let t = [37, 12, 31, 39]
        let ref = (0..<4).map { nll(x, $0, t[$0]) }.reduce(0, +) / 4
        XCTAssertEqual(Double(x.crossEntropy(targets: t).item), ref, accuracy: 1e-5 * max(1, abs(ref)))
        let y = randn([4, 40], seed: 4)
        assertGradientsMatch([y], eps: 1e-3) { $0[0].crossEntropy(targets: t) }
    }
}
