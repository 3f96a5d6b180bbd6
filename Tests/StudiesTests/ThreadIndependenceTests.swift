import Checkpoints
import DataLayout
import Foundation
import Models
import Studies
import Tasks
import TensorCore
import TestSupport
import XCTest

/// A run's numbers do not depend on how many threads computed them: every reduction split
/// over cores is split into fixed blocks combined in a fixed order. Shapes here are large
/// enough that the products, bias and norm gradients take their parallel paths.
final class ThreadIndependenceTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func config(_ family: ModelFamily) -> RunConfig {
        var c = RunConfig(model: family, length: 8)
        c.hidden = 64; c.layers = family == .hybrid ? nil : 2; c.pattern = family == .hybrid ? "MTS" : nil; c.heads = 4; c.ffn = 256; c.stateSize = 8
        c.batch = 32; c.steps = 6; c.evalEvery = 3; c.trainSize = 256; c.evalSize = 64; c.earlyStop = false
        return c
    }

    func testOneTwoAndThreeThreadsTrainBitIdenticalRuns() throws {
        let saved = Parallel.cores
        defer { Parallel.setThreads(saved) }
        for family in ModelFamily.allCases {
            var metrics: [RunMetrics] = [], parameters: [[String: [Float]]] = []
            for threads in [1, 2, 3] {
                Parallel.setThreads(threads)
                let run = try TaskRun(config(family), dataDirectory: dir, folder: dir + "/\(family)-\(threads)", reporter: quiet)
                metrics.append(try run.run().metrics)
                let model = try Checkpoint.loadModel(run.folder.checkpoint(step: 6))
                parameters.append(Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.key, $0.tensor.values) }))
            }
            XCTAssertEqual(metrics[0], metrics[1], "\(family): metrics with 1 and 2 threads")
            XCTAssertEqual(metrics[0], metrics[2], "\(family): metrics with 1 and 3 threads")
            for key in parameters[0].keys.sorted() {
                XCTAssertEqual(parameters[0][key], parameters[1][key], "\(family) \(key): bit for bit with 1 and 2 threads")
                XCTAssertEqual(parameters[0][key], parameters[2][key], "\(family) \(key): bit for bit with 1 and 3 threads")
            }
        }
    }
}
