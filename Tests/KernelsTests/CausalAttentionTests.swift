import Foundation
import Kernels
import TensorCore
import TestSupport
import XCTest

final class CausalAttentionTests: XCTestCase {
    /// (batch, T, heads, head size, rotary factor): T = 1, T across key blocks, odd head sizes,
    /// odd rotary dims (width one more than dims), no rotary, full rotary, several 128-row tiles.
    static let cases: [(Int, Int, Int, Int, Double)] = [
        (2, 5, 2, 8, 0.25), (1, 1, 1, 4, 1.0), (2, 19, 3, 10, 0.5), (1, 37, 2, 7, 0.5),
        (2, 33, 1, 16, 0.0), (3, 20, 2, 32, 0.25), (1, 70, 1, 6, 1.0), (1, 300, 2, 8, 0.5), (2, 129, 1, 5, 0.4),
    ]

    func testForwardAndGradientMatchThePrimitiveComposition() throws {
        for (k, (b, t, h, hs, pct)) in Self.cases.enumerated() {
            let rotary = try RotaryEmbedding(headSize: hs, partialRotaryFactor: pct, base: 10000)
            let qkv = randn([b, t, h * 3 * hs], seed: UInt64(k + 1))
            let fused = Tensor.causalAttention(qkv: qkv, heads: h, rotary: rotary)
            XCTAssertEqual(fused.shape, [b, t, h * hs])
            assertMatchesReference([qkv], names: ["qkv"], "B \(b) T \(t) H \(h) hs \(hs) rotary \(pct)",
                                   { Tensor.causalAttention(qkv: $0[0], heads: h, rotary: rotary) },
                                   { causalAttentionReference(qkv: $0[0], heads: h, rotary: rotary) })
        }
    }

    func testGradientAgainstFiniteDifferences() throws {
        let rotary = try RotaryEmbedding(headSize: 6, partialRotaryFactor: 0.5, base: 10000)
        let qkv = randn([2, 9, 2 * 3 * 6], seed: 3)
        assertGradientsMatch([qkv], eps: 1e-2, tolerance: 1e-2, maxProbes: 64) {
            Tensor.causalAttention(qkv: $0[0], heads: 2, rotary: rotary)
        }
    }

    func testCausality() throws {
        // Changing a later token never changes an earlier output.
        let rotary = try RotaryEmbedding(headSize: 8, partialRotaryFactor: 0.25, base: 10000)
        let qkv = randn([1, 12, 2 * 24], seed: 4)
        let before = Tensor.causalAttention(qkv: qkv, heads: 2, rotary: rotary)
        for c in 0..<48 { qkv.data[9 * 48 + c] += 1 }
        let after = Tensor.causalAttention(qkv: qkv, heads: 2, rotary: rotary)
        XCTAssertEqual(Array(before.values[0..<(9 * 16)]), Array(after.values[0..<(9 * 16)]))
        XCTAssertNotEqual(Array(before.values[(9 * 16)...]), Array(after.values[(9 * 16)...]))
    }

    func testRotaryFollowsTransformersForOddDims() throws {
        // head 10, factor 0.5 → dims 5 → inv_freq over arange(0, 5, 2)/5 → 3 pairs, width 6.
        let r = try RotaryEmbedding(headSize: 10, partialRotaryFactor: 0.5, base: 10000)
        XCTAssertEqual(r.dims, 5)
        XCTAssertEqual(r.half, 3)
        XCTAssertEqual(r.width, 6)
        let inv = r.inverseFrequencies
        for (i, e) in [0.0, 2.0 / 5, 4.0 / 5].enumerated() {
            XCTAssertEqual(Double(inv[i]), 1 / Foundation.pow(10000, e), accuracy: 1e-6)
        }
        let (c, s) = r.tables(length: 4)
        XCTAssertEqual(Double(c[3 * 3 + 1]), Foundation.cos(3 * Double(inv[1])), accuracy: 1e-6)
        XCTAssertEqual(Double(s[2 * 3 + 2]), Foundation.sin(2 * Double(inv[2])), accuracy: 1e-6)
        // Rotated width may not exceed the head: head 5, factor 1 → dims 5 → width 6.
        XCTAssertThrowsError(try RotaryEmbedding(headSize: 5, partialRotaryFactor: 1, base: 10000)) { e in
            XCTAssertTrue("\(e)".contains("exceeds the head size"), "\(e)")
        }
    }

    func testShapeErrorNamesTheShape() throws {
        let r = try RotaryEmbedding(headSize: 8, partialRotaryFactor: 0.25, base: 10000)
        XCTAssertThrowsError(try AttentionShape(qkv: [2, 5, 40], heads: 2, rotary: r)) { e in
            XCTAssertTrue("\(e)".contains("[2, 5, 40]") && "\(e)".contains("48"), "\(e)")
        }
    }
}
