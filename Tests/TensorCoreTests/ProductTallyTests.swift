import TensorCore
import TestSupport
import XCTest

final class ProductTallyTests: XCTestCase {
    /// A linear layer's forward and backward are three products: y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x.
    func testLinearForwardAndBackwardRecordTheirThreeProducts() {
        let (rows, inputs, outputs) = (40, 24, 56)
        let x = randn([rows, inputs], seed: 1), w = randn([outputs, inputs], seed: 2)
        x.requiresGrad = true; w.requiresGrad = true
        ProductTally.start()
        x.linear(w).sum().backward()
        ProductTally.stop()
        let expected = [ProductShape(m: rows, n: outputs, k: inputs, transposeB: true),
                        ProductShape(m: rows, n: inputs, k: outputs),
                        ProductShape(m: outputs, n: inputs, k: rows, transposeA: true)]
        let seen = ProductTally.shapes
        XCTAssertEqual(Set(seen.map(\.shape)), Set(expected), "\(seen)")
        for (shape, flops) in seen { XCTAssertEqual(flops, 2 * Double(rows * inputs * outputs), "\(shape)") }
        XCTAssertEqual(ProductShape(m: rows, n: inputs, k: outputs, transposeA: true).description, "56x40ᵀ by 56x24")

        // Stopped: nothing more is recorded; started again: counting restarts from zero.
        _ = withNoGrad { x.linear(w) }
        XCTAssertEqual(ProductTally.shapes.map(\.flops).reduce(0, +), 3 * 2 * Double(rows * inputs * outputs))
        ProductTally.start()
        _ = withNoGrad { x.linear(w) }
        _ = withNoGrad { x.linear(w) }
        ProductTally.stop()
        XCTAssertEqual(ProductTally.shapes.count, 1)
        XCTAssertEqual(ProductTally.shapes.first?.flops, 2 * 2 * Double(rows * inputs * outputs))
    }

    /// Products split into bands across cores are still one product of the whole shape.
    func testABandedProductCountsOnce() {
        let a = randn([512, 256], seed: 3), b = randn([256, 128], seed: 4)
        ProductTally.start()
        _ = withNoGrad { a.matmul(b) }
        ProductTally.stop()
        XCTAssertEqual(ProductTally.shapes.map(\.shape), [ProductShape(m: 512, n: 128, k: 256)])
    }
}
