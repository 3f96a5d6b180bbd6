import Foundation
import Studies
import Tasks
import TestSupport
import XCTest

/// Position retrieval became one task of the contract without changing what its runs compute:
/// five runs trained before the change (Fixtures/runs-before-task-contract: their config.json
/// and metrics.h5; pythia, mamba with the prefix, mamba2 with micro-batches, a hybrid, and
/// pythia-14m with the task's tokens appended) train again to the same metrics, bit for bit.
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
            XCTAssertEqual(after.losses.map(\.bitPattern), before.losses.map(\.bitPattern), "\(name): training losses")
            XCTAssertEqual(after.accuracies, before.accuracies, "\(name): held-out accuracy")
            XCTAssertEqual(after.slotAccuracy, before.slotAccuracy, "\(name): per-position accuracy")
            XCTAssertEqual(after.exactMatches, after.accuracies, "\(name): one answer per example")
            XCTAssertEqual(after.runConfiguration, before.runConfiguration, "\(name): the recorded configuration")
        }
    }
}
