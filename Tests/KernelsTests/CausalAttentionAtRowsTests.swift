import Foundation
import Kernels
import TensorCore
import TestSupport
import XCTest

final class CausalAttentionAtRowsTests: XCTestCase {
    /// The chosen rows of the reference attention, (B, H·hs).
    func referenceRows(_ qkv: Tensor, heads: Int, rotary: RotaryEmbedding, _ positions: [Int]) -> Tensor {
        let (b, t) = (qkv.shape[0], qkv.shape[1])
        return causalAttentionReference(qkv: qkv, heads: heads, rotary: rotary)
            .reshape([b * t, heads * rotary.headSize])
            .indexSelect(positions.enumerated().map { $0.offset * t + $0.element })
    }

    func testForwardAndGradientMatchTheReferenceRows() throws {
        // (positions, T, heads, head size, rotary factor): first, last and middle rows, T = 1,
        // odd head sizes, odd rotary dims, no rotary.
        let cases: [([Int], Int, Int, Int, Double)] = [
            ([4, 0], 5, 2, 8, 0.25), ([0], 1, 1, 4, 1.0), ([18, 7, 11], 19, 3, 10, 0.5),
            ([36], 37, 2, 7, 0.5), ([32, 32], 33, 1, 16, 0.0), ([52, 51, 0, 26], 53, 4, 32, 0.25),
        ]
        for (k, (positions, t, h, hs, pct)) in cases.enumerated() {
            let b = positions.count
            let rotary = try RotaryEmbedding(headSize: hs, partialRotaryFactor: pct, base: 10000)
            let qkv = randn([b, t, h * 3 * hs], seed: UInt64(k + 11))
            XCTAssertEqual(Tensor.causalAttention(qkv: qkv, heads: h, rotary: rotary, at: positions).shape, [b, h * hs])
            assertMatchesReference([qkv], names: ["qkv"], "positions \(positions) T \(t) H \(h) hs \(hs) rotary \(pct)",
                                   { Tensor.causalAttention(qkv: $0[0], heads: h, rotary: rotary, at: positions) },
                                   { self.referenceRows($0[0], heads: h, rotary: rotary, positions) })
        }
    }

    /// Several rows per sequence (a task with many answers), one sequence without any, and a
    /// sequence whose rows share keys: forward and the accumulated gradient equal the reference.
    func testSeveralRowsPerSequenceMatchTheReference() throws {
        let (b, t, h, hs) = (3, 11, 2, 8)
        let rotary = try RotaryEmbedding(headSize: hs, partialRotaryFactor: 0.5, base: 10000)
        let rows = [0, 3, 4, 10, 2 * t + 5, 2 * t + 10]   // sequence 1 has no answer
        let qkv = randn([b, t, h * 3 * hs], seed: 21)
        XCTAssertEqual(Tensor.causalAttention(qkv: qkv, heads: h, rotary: rotary, atRows: rows).shape, [rows.count, h * hs])
        assertMatchesReference([qkv], names: ["qkv"], "rows \(rows)",
                               { Tensor.causalAttention(qkv: $0[0], heads: h, rotary: rotary, atRows: rows) },
                               { causalAttentionReference(qkv: $0[0], heads: h, rotary: rotary).reshape([b * t, h * hs]).indexSelect(rows) })
        assertGradientsMatch([randn([2, 6, 1 * 3 * 4], seed: 3)], eps: 1e-2, tolerance: 1e-2, maxProbes: 72) {
            Tensor.causalAttention(qkv: $0[0], heads: 1, rotary: rotary2, atRows: [1, 2, 5, 9])
        }
    }
    let rotary2 = try! RotaryEmbedding(headSize: 4, partialRotaryFactor: 1.0, base: 10000)

    func testGradientAgainstFiniteDifferences() throws {
        let rotary = try RotaryEmbedding(headSize: 6, partialRotaryFactor: 0.5, base: 10000)
        let qkv = randn([2, 9, 2 * 3 * 6], seed: 5)
        assertGradientsMatch([qkv], eps: 1e-2, tolerance: 1e-2, maxProbes: 96) {
            Tensor.causalAttention(qkv: $0[0], heads: 2, rotary: rotary, at: [8, 3])
        }
    }

    func testRowsAfterThePositionGetNoGradient() throws {
        let rotary = try RotaryEmbedding(headSize: 8, partialRotaryFactor: 0.25, base: 10000)
        let qkv = randn([1, 10, 2 * 24], seed: 6)
        qkv.requiresGrad = true
        Tensor.causalAttention(qkv: qkv, heads: 2, rotary: rotary, at: [6]).sum().backward()
        let g = qkv.grad!.values
        XCTAssertTrue(g[(7 * 48)...].allSatisfy { $0 == 0 })
        XCTAssertTrue(g[(6 * 48)..<(7 * 48)].contains { $0 != 0 })
    }
}
