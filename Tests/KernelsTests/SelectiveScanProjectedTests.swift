import Foundation
import Kernels
import TensorCore
import TestSupport
import XCTest

/// The scan on x_proj's output must be the composition it replaces: split [Δ_r | B | C],
/// dt_proj as a linear without bias, then the plain scan (itself held against the primitive
/// recurrence in SelectiveScanTests).
final class SelectiveScanProjectedTests: XCTestCase {
    /// [u, projected, dt_proj weight, Δ bias, A_log, D, z] and C when it comes apart.
    func inputs(_ batch: Int, _ length: Int, _ channels: Int, _ state: Int, rank: Int, cApart: Bool, seed: UInt64) -> [Tensor] {
        let u = randn([batch, length, channels], seed: seed)
        let projected = randn([batch, length, rank + state + (cApart ? 0 : state)], seed: seed + 1)
        let weight = randn([channels, rank], seed: seed + 2, std: 0.5)
        let bias = uniform([channels], seed: seed + 3, -4, -1)
        let aLog = Tensor((0..<channels * state).map { Float(Foundation.log(Double($0 % state + 1))) }, shape: [channels, state])
        let d = uniform([channels], seed: seed + 4, 0.5, 1.5)
        let z = randn([batch, length, channels], seed: seed + 5)
        return [u, projected, weight, bias, aLog, d, z] + (cApart ? [randn([batch, length, state], seed: seed + 6)] : [])
    }

    func fused(_ x: [Tensor]) -> Tensor {
        Tensor.selectiveScan(u: x[0], projected: x[1], dtWeight: x[2], deltaBias: x[3], aLog: x[4],
                             C: x.count > 7 ? x[7] : nil, D: x[5], z: x[6])
    }

    func composed(_ x: [Tensor], rank: Int, state: Int) -> Tensor {
        let cApart = x.count > 7
        let parts = x[1].split(cApart ? [rank, state] : [rank, state, state], axis: 2)
        return Tensor.selectiveScan(u: x[0], delta: parts[0].linear(x[2]), deltaBias: x[3], aLog: x[4], B: parts[1],
                                    C: cApart ? x[7] : parts[2], D: x[5], z: x[6])
    }

    static let names = ["u", "x_proj output", "dt_proj weight", "Δ bias", "A_log", "D", "z", "C"]

    func testForwardAndEveryGradientMatchTheComposition() {
        // (batch, L, channels, d_state, dt_rank): padded channels, rank 1, a rank above d_state.
        let shapes = [(2, 37, 20, 4, 3), (3, 9, 16, 16, 8), (1, 5, 33, 5, 1), (5, 40, 7, 3, 6)]
        for (k, (b, l, d, n, r)) in shapes.enumerated() {
            for cApart in [false, true] {
                let x = inputs(b, l, d, n, rank: r, cApart: cApart, seed: UInt64(20 * k + 1))
                assertMatchesReference(x, names: Self.names, "B \(b), L \(l), D \(d), N \(n), R \(r)\(cApart ? ", C apart" : "")",
                                       forward: 1e-5, gradients: 1e-4, fused, { composed($0, rank: r, state: n) })
            }
        }
    }

    func testGradientsAgainstFiniteDifferences() {
        for cApart in [false, true] {
            let x = inputs(2, 19, 5, 3, rank: 2, cApart: cApart, seed: 9)
            assertGradientsMatch(x, eps: 1e-2, tolerance: 2e-2) { fused($0) }
        }
    }

    /// Output at chosen rows only: the same numbers and gradients as those rows of the full
    /// output, with C and z taken at the same rows. Rows: several in one sequence, the first and
    /// last step, out of order, and a sequence with none.
    func testOutputAtRowsEqualsThoseRowsOfTheFullOutput() {
        let (b, l, d, n, r) = (4, 37, 20, 5, 3)
        let rows = [l - 1, 2 * l + 3, 0, 2 * l + 30, 3 * l + 36, 2 * l]
        let x = inputs(b, l, d, n, rank: r, cApart: true, seed: 31)
        func atRows(_ x: [Tensor]) -> Tensor {
            Tensor.selectiveScan(u: x[0], projected: x[1], dtWeight: x[2], deltaBias: x[3], aLog: x[4],
                                 C: x[7].reshape([b * l, n]).indexSelect(rows), D: x[5],
                                 z: x[6].reshape([b * l, d]).indexSelect(rows), at: rows)
        }
        func fullThenRows(_ x: [Tensor]) -> Tensor { fused(x).reshape([b * l, d]).indexSelect(rows) }
        XCTAssertEqual(atRows(x).shape, [rows.count, d])
        assertMatchesReference(x, names: Self.names, "rows \(rows)", forward: 1e-6, gradients: 1e-5, atRows, fullThenRows)
        let small = inputs(2, 11, 5, 3, rank: 2, cApart: true, seed: 32)
        assertGradientsMatch(small, eps: 1e-2, tolerance: 2e-2) { x in
            Tensor.selectiveScan(u: x[0], projected: x[1], dtWeight: x[2], deltaBias: x[3], aLog: x[4],
                                 C: x[7].reshape([22, 3]).indexSelect([10, 4]), D: x[5],
                                 z: x[6].reshape([22, 5]).indexSelect([10, 4]), at: [10, 4])
        }
    }
}
