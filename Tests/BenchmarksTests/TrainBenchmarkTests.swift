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

    /// A figure carries the machine that measured it (CPU family and model, ISA, build, OpenBLAS
    /// core, threads), in the JSON row and under the printed table.
    func testTheRowAndItsTableNameTheMachine() throws {
        let spec = TaskSpec(kind: .positionRetrieval, length: 4)
        let row = try TrainBenchmark.run(model: .mamba, task: spec, batch: 2, hidden: 16, warmup: 1, steps: 1)
        let m = MachineInfo.current
        XCTAssertEqual(row.machine, m.benchmarkLine)
        for part in [m.cpu, m.cpuISA, "built for \(m.builtFor)", m.openBLASCore, "OPENBLAS_CORETYPE \(m.openBLASCoreType)",
                     "\(row.threads) threads"] {
            XCTAssertTrue(row.machine.contains(part), "\(part) missing from \(row.machine)")
        }
        XCTAssertTrue(m.cpu.contains("family"), m.cpu)
        XCTAssertTrue(TrainBenchmark.table([row]).hasSuffix("\nmachine: \(row.machine)"))
    }

    /// Rows from two machines printed together name both, once each, in order.
    func testTheFooterNamesEachMachineOnce() {
        XCTAssertEqual(machineFooter(["a", "b", "a"]), "\nmachine: a\nmachine: b")
        XCTAssertEqual(machineFooter([]), "")
    }
}
