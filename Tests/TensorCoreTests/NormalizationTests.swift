import Foundation
import XCTest
@testable import TensorCore
import TestSupport

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
