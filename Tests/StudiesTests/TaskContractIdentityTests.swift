import Foundation
import Studies
import Tasks
import TestSupport
import XCTest

/// Position retrieval became one task of the contract without changing what its runs compute:
/// five runs trained before the change (Fixtures/runs-before-task-contract: their config.json
/// and metrics.h5; pythia, mamba with the prefix, mamba2 with micro-batches, a hybrid, and
/// pythia-14m with the task's tokens appended) train again to the same metrics: the same
/// steps, accuracies and configuration, and losses equal to a relative 1e-6. The losses were
/// bit for bit equal until the attention kernel's tile products left BLAS (issue 24), which
/// sums in another order; bit-identity across thread counts is ThreadIndependenceTests' to check.
final class TaskContractIdentityTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/runs-before-task-contract").path

    func testPositionRetrievalRunsMatchTheirMetricsFromBeforeTheContract() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).sorted()
        XCTAssertEqual(names.count, 5)
        for name in names {
            let before = try RunMetrics.read(Self.fixtures + "/\(name)/metrics.h5")
            let config = try RunConfig.read(Self.fixtures + "/\(name)/config.json")
            XCTAssertNil(config.task, "\(name): recorded before tasks had names")
            let after = try TaskRun(config, dataDirectory: dir, folder: dir + "/\(name)", reporter: quiet).run().metrics
            XCTAssertEqual(after.steps, before.steps, name)
            XCTAssertEqual(after.losses.count, before.losses.count, "\(name): training losses")
            for (a, b) in zip(after.losses, before.losses) {
                XCTAssertEqual(a, b, accuracy: 1e-6 * Swift.max(1, abs(b)), "\(name): training losses")
            }
            XCTAssertEqual(after.accuracies, before.accuracies, "\(name): held-out accuracy")
            XCTAssertEqual(after.slotAccuracy, before.slotAccuracy, "\(name): per-position accuracy")
            XCTAssertEqual(after.exactMatches, after.accuracies, "\(name): one answer per example")
            XCTAssertEqual(after.runConfiguration, before.runConfiguration, "\(name): the recorded configuration")
        }
    }
}
