import Foundation
import XCTest
@testable import TensorCore
import TestSupport

/// The fused gated RMSNorm against its composition y·silu(z) → rmsNorm, and finite differences.
final class GatedRMSNormTests: XCTestCase {
    /// The composition, groups as the Mamba-2 block wrote them before the fused op: each group's
    /// channels normalised with unit weight, then the whole weight.
    func composition(_ y: Tensor, _ z: Tensor, _ w: Tensor, groups: Int) -> Tensor {
        let g = y * z.silu()
        guard groups > 1 else { return g.rmsNorm(weight: w) }
        let n = w.count, width = n / groups
        let grouped = g.reshape(Array(g.shape.dropLast()) + [groups, width])
        return grouped.rmsNorm(weight: .ones([width])).reshape(g.shape) * w
    }

    /// One group with rows at multiples of 16 lanes: the same numbers as the composition, forward
    /// and every gradient (both vectorise alike). Channel tails and groups: within float rounding.
    func testMatchesTheComposition() {
        for (rows, n, groups, exact) in [(7, 32, 1, true), (3, 64, 1, true), (5, 20, 1, false), (4, 24, 2, false), (3, 96, 3, false)] {
            let y = randn([rows, n], seed: 1), z = randn([rows, n], seed: 2), w = uniform([n], seed: 3, 0.5, 1.5)
            let (forward, gradients) = compareWithReference([y, z, w],
                { $0[0].rmsNorm(gate: $0[1], weight: $0[2], groups: groups) },
                { self.composition($0[0], $0[1], $0[2], groups: groups) })
            for e in [forward] + gradients {
                if exact { XCTAssertEqual(e, 0, "rows \(rows), D \(n), groups \(groups)") }
                else { XCTAssertLessThanOrEqual(e, 2e-6, "rows \(rows), D \(n), groups \(groups)") }
            }
        }
    }

    func testGradientsAgainstFiniteDifferences() {
        for (n, groups) in [(20, 1), (12, 3), (33, 1)] {
            let y = randn([2, 3, n], seed: 4), z = randn([2, 3, n], seed: 5), w = uniform([n], seed: 6, 0.5, 1.5)
            assertGradientsMatch([y, z, w], eps: 1e-3) { $0[0].rmsNorm(gate: $0[1], weight: $0[2], groups: groups) }
        }
    }

    /// Each group is scale-free on its own: scaling one group's y leaves the output unchanged.
    func testEachGroupIsNormalisedOnItsOwn() {
        let y = randn([2, 12], seed: 7), z = randn([2, 12], seed: 8), w = uniform([12], seed: 9, 0.5, 1.5)
        let scaled = Tensor(y.values.enumerated().map { i, v in i % 12 < 4 ? 5 * v : v }, shape: y.shape)
        let a = y.rmsNorm(gate: z, weight: w, groups: 3, eps: 0), b = scaled.rmsNorm(gate: z, weight: w, groups: 3, eps: 0)
        XCTAssertLessThanOrEqual(relativeError(a, b), 1e-6)
        let c = scaled.rmsNorm(gate: z, weight: w, groups: 1, eps: 0)
        XCTAssertGreaterThan(relativeError(a, c), 1e-2)
    }
}
