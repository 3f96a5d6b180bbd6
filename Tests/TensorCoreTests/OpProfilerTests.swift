import TensorCore
import TestSupport
import XCTest

final class OpProfilerTests: XCTestCase {
    func testCountsForwardCallsAndBackwardTimePerOp() {
        let a = randn([64, 64], seed: 1), b = randn([64, 64], seed: 2)
        a.requiresGrad = true
        OpProfiler.start()
        for _ in 0..<3 {
            a.grad = nil
            a.matmul(b).exp().sum().backward()
        }
        OpProfiler.stop()
        let e = OpProfiler.entries
        XCTAssertEqual(e["matmul"]?.calls, 3, "\(e)")
        XCTAssertEqual(e["exp"]?.calls, 3, "\(e)")
        XCTAssertEqual(e["sum"]?.calls, 3, "\(e)")
        XCTAssertGreaterThan(e["matmul"]?.backwardSeconds ?? 0, 0)
        XCTAssertGreaterThan(e["matmul"]?.forwardSeconds ?? 0, 0)
        // Ops that a vjp calls internally are charged to that vjp, never as forward calls.
        XCTAssertEqual(e.values.reduce(0) { $0 + $1.calls }, 9, "\(e)")
        // Stopped: nothing more is recorded.
        _ = a.matmul(b)
        XCTAssertEqual(OpProfiler.entries["matmul"]?.calls, 3)
    }
}
