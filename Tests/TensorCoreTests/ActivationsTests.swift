import Foundation
import XCTest
@testable import TensorCore
import TestSupport

final class ActivationTests: XCTestCase {
    func testForwardAgainstDoublePrecisionDefinitions() {
        let x = Tensor(Array(stride(from: Float(-30), through: 30, by: 0.37)), shape: [163])
        let xs = x.values.map(Double.init)
        assertClose(x.sigmoid().values, xs.map { Float(1 / (1 + Foundation.exp(-$0))) }, tolerance: 1e-6)
        assertClose(x.silu().values, xs.map { Float($0 / (1 + Foundation.exp(-$0))) }, tolerance: 1e-6)
        assertClose(x.gelu().values, xs.map { Float(0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot()))) }, tolerance: 1e-6)
        // softplus: log1p(exp(x)) up to 20, then exactly x (PyTorch's threshold).
        assertClose(x.softplus().values, xs.map { $0 > 20 ? Float($0) : Float(Foundation.log1p(Foundation.exp($0))) }, tolerance: 1e-6)
        XCTAssertEqual(Tensor([20.5], shape: [1]).softplus().item, 20.5)
    }

    func testGradients() {
        let x = randn([4, 9], seed: 5, std: 2)
        assertGradientsMatch([x], eps: 1e-3) { $0[0].sigmoid() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].silu() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].gelu() }
        assertGradientsMatch([x], eps: 1e-3) { $0[0].softplus() }
        let big = Tensor([21, 25, -3, 19.5], shape: [4])
        assertGradientsMatch([big], eps: 1e-2) { $0[0].softplus() }
    }
}
