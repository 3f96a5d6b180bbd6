import XCTest
@testable import TensorCore
import TestSupport

final class AutogradTests: XCTestCase {
    func testGradientsAccumulateUntilZeroed() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        (x * x).sum().backward()
        XCTAssertEqual(x.grad!.values, [2, 4, 6])
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad!.values, [5, 7, 9])
        x.zeroGrad()
        x.sum().backward()
        XCTAssertEqual(x.grad!.values, [1, 1, 1])
    }

    func testReusedTensorSumsItsPaths() {
        let x = Tensor([0.5, -1], shape: [2], requiresGrad: true)
        let y = x.exp()
        (y * y + y).sum().backward()
        let e = x.values.map { Foundation.exp($0) }
        assertClose(x.grad!.values, e.map { 2 * $0 * $0 + $0 })
    }

    func testNoGradRecordsNothing() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = withNoGrad { (x * x).exp() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.node)
        let z = x * x
        XCTAssertNotNil(z.node)
    }

    func testGraphIsReleasedAfterBackward() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let h = x.exp()
        weak var weakH: Tensor?
        var loss: Tensor? = nil
        do {
            let inner = h * 2
            weakH = inner
            loss = inner.sum()
        }
        XCTAssertNotNil(weakH, "the graph keeps intermediates alive before backward")
        loss!.backward()
        XCTAssertNil(loss!.node)
        XCTAssertNil(h.node)
        XCTAssertNil(weakH, "intermediates are freed after backward")
    }

    func testInputsWithoutGradGetNone() {
        let data = randn([3, 4], seed: 1)
        let w = randn([4, 2], seed: 2)
        w.requiresGrad = true
        data.matmul(w).sum().backward()
        XCTAssertNil(data.grad)
        XCTAssertEqual(w.grad!.shape, [4, 2])
    }

    func testDeepChainDoesNotOverflowTheStack() {
        let x = Tensor([1], shape: [1], requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        XCTAssertEqual(Double(x.grad!.item), Foundation.pow(1.0001, 20_000), accuracy: 1e-2)
    }
}

final class TensorTests: XCTestCase {
    func testCreation() {
        XCTAssertEqual(Tensor.zeros([2, 2]).values, [0, 0, 0, 0])
        XCTAssertEqual(Tensor.ones([3]).values, [1, 1, 1])
        XCTAssertEqual(Tensor.full([2], 7).values, [7, 7])
        XCTAssertEqual(Tensor.arange(0, 5).values, [0, 1, 2, 3, 4])
        XCTAssertEqual(Tensor.arange(1, 2, step: 0.25).values, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(Tensor(scalar: 3).shape, [])
        XCTAssertEqual(Tensor.zeros([0, 3]).count, 0)
    }

    func testRandomStateRestoresBitExactly() {
        var g = RandomGenerator(seed: 42)
        _ = Tensor.randomNormal([17], generator: &g)
        let saved = g.state
        let a = Tensor.randomNormal([33], generator: &g).values
        var h = RandomGenerator(state: saved)
        let b = Tensor.randomNormal([33], generator: &h).values
        XCTAssertEqual(a, b)
        XCTAssertEqual(g, h)
        XCTAssertNotEqual(RandomGenerator(seed: 1).state, RandomGenerator(seed: 2).state)
    }

    func testRandomDistributionsHaveTheRightMoments() {
        var g = RandomGenerator(seed: 3)
        let n = Tensor.randomNormal([200_000], mean: 1, std: 2, generator: &g).values.map(Double.init)
        let mean = n.reduce(0, +) / Double(n.count)
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n.count)
        XCTAssertEqual(mean, 1, accuracy: 0.02)
        XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.02)
        let u = Tensor.randomUniform([100_000], low: -1, high: 3, generator: &g).values
        XCTAssertGreaterThanOrEqual(u.min()!, -1)
        XCTAssertLessThan(u.max()!, 3)
        XCTAssertEqual(Double(u.reduce(0, +)) / 100_000, 1, accuracy: 0.03)
        let p = g.permutation(50)
        XCTAssertEqual(p.sorted(), Array(0..<50))
    }
}

import Foundation

final class GradientOwnershipTests: XCTestCase {
    /// add hands one tensor to both operands and reshape shares storage: every path below must
    /// still count when gradients meet.
    func testSharedGradientsAreSummedAlongEveryPath() {
        let x = Tensor([0.5, -1, 2], shape: [3], requiresGrad: true)
        let u = x * 3
        let v = u + u                        // the same gradient tensor reaches u twice
        let w = u.reshape([3, 1]).reshape([3])
        let loss = (v * 2).sum() + w.sum() + (v + u).sum()
        loss.backward()
        // d/du = 2·2 + 1 + (2 + 1) = 8, so d/dx = 24 for every element.
        XCTAssertEqual(x.grad!.values, [24, 24, 24])
    }

    func testLeavesNeverShareGradientStorage() {
        // add's vjp hands the same tensor to both operands; each leaf must own its gradient.
        let a = Tensor([1, 2], shape: [2], requiresGrad: true)
        let b = Tensor([3, 4], shape: [2], requiresGrad: true)
        (a + b).sum().backward()
        XCTAssertFalse(a.grad!.storage === b.grad!.storage)
        a.grad!.addInPlace(Tensor([10, 10], shape: [2]))
        XCTAssertEqual(b.grad!.values, [1, 1])
        // The caller's seed is never adopted either.
        let c = Tensor([5], shape: [1], requiresGrad: true)
        let seed = Tensor([2], shape: [1])
        c.reshape([1]).backward(seed: seed)
        XCTAssertFalse(c.grad!.storage === seed.storage)
        c.grad!.addInPlace(Tensor([1], shape: [1]))
        XCTAssertEqual(seed.values, [2])
    }

    /// linear adds its input gradient into the one gathered from the input's other uses when
    /// nothing else holds that tensor. Here h's gathered gradient is sometimes its own (two
    /// linears), sometimes shared (add hands one tensor to h and k, reshape shares g's
    /// storage): every combination, in both orders of the sum, must match the exact gradients.
    func testInPlaceSumsNeverWriteIntoSharedGradients() {
        let p = randn([5, 4], seed: 11), w0 = randn([3, 4], seed: 12)
        let w1 = randn([2, 3], seed: 13), w2 = randn([6, 3], seed: 14), q = randn([5, 3], seed: 15)
        let graphs: [([Tensor]) -> Tensor] = [
            { t in let h = t[0].linear(t[1]); return h.linear(t[2]).sum() + h.linear(t[3]).sum() * 2 + (t[4] * 3).sum() },
            { t in let h = t[0].linear(t[1]), k = t[4] * 2
                  return (h + k).linear(t[2]).sum() + h.linear(t[3]).sum() + k.sum() },
            { t in let h = t[0].linear(t[1]), k = t[4] * 2
                  return h.linear(t[3]).sum() + k.sum() + (h + k).linear(t[2]).sum() },
            { t in let h = t[0].linear(t[1])
                  return h.reshape([15]).reshape([5, 3]).linear(t[2]).sum() + (h + h).linear(t[3]).sum() + (h * t[4]).sum() },
        ]
        for graph in graphs {
            // Every graph is at most bilinear in each input: central differences are exact up to rounding.
            assertGradientsMatch([p, w0, w1, w2, q], eps: 1e-2, tolerance: 1e-3) { graph($0) }
        }
        // In the first graph h's two gradients meet inside the second linear's product: no separate sum.
        for t in [p, w0, w1, w2, q] { t.requiresGrad = true; t.grad = nil }
        OpProfiler.start()
        defer { OpProfiler.stop() }
        graphs[0]([p, w0, w1, w2, q]).backward()
        XCTAssertNil(OpProfiler.entries["gradient accumulation"])
    }
}
