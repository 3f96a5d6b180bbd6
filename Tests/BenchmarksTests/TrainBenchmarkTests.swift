import Benchmarks
import Models
import Tasks
import TensorCore
import XCTest

final class TrainBenchmarkTests: XCTestCase {
    /// The row holds the step beside a direct sgemm at the step's dominant product: the shape
    /// is one the step multiplies (its rows are the batch's tokens or the model's widths) and
    /// the ratio is the step's rate over the sgemm's.
    func testTheStepIsComparedWithADirectSgemmAtItsDominantProduct() throws {
        let spec = TaskSpec(kind: .positionRetrieval, length: 6)
        let row = try TrainBenchmark.run(model: .pythia, task: spec, batch: 4, hidden: 32, warmup: 1, steps: 2)
        XCTAssertGreaterThan(row.sgemm_gflops, 0)
        XCTAssertEqual(row.sgemm_ratio, row.gflops / row.sgemm_gflops, accuracy: 1e-12)
        XCTAssertTrue(row.sgemm_shape.contains("\(4 * 9)x32") || row.sgemm_shape.contains("32x\(4 * 9)"),
                      "the dominant product of a tiny Pythia's step spans the batch's 36 tokens and width 32: \(row.sgemm_shape)")
        XCTAssertTrue(TrainBenchmark.table([row]).contains(row.sgemm_shape))
    }
}
