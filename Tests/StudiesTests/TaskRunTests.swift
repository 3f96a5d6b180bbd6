import Checkpoints
import DataLayout
import Foundation
import Models
import Studies
import Tasks
import TensorCore
import TestSupport
import XCTest

final class TaskRunTests: TemporaryDirectoryTestCase {
    func tiny(_ model: ModelFamily) -> RunConfig {
        var c = RunConfig(model: model, length: 4)
        c.hidden = 16; c.layers = 1; c.heads = 2; c.stateSize = 4
        c.batch = 8; c.steps = 12; c.evalEvery = 4; c.trainSize = 64; c.evalSize = 16
        c.earlyStop = false
        return c
    }

    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func testInterruptedRunResumesBitIdentically() throws {
        for family in [ModelFamily.pythia, .mamba] {
            let c = tiny(family)
            let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole-\(family)", reporter: quiet).run()
            let parted = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted-\(family)", reporter: quiet)
            let first = try parted.run(stopAfter: 4)
            XCTAssertFalse(first.metrics.finished)
            XCTAssertEqual(first.metrics.steps, [4])
            let second = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted-\(family)", reporter: quiet).run()
            XCTAssertEqual(second.metrics, whole.metrics, "\(family): metrics after resume")
            let a = try Checkpoint.loadModel(dir + "/whole-\(family)/checkpoints/step-00000012.h5")
            let b = try Checkpoint.loadModel(dir + "/parted-\(family)/checkpoints/step-00000012.h5")
            for key in a.parameters.keys { XCTAssertEqual(a.parameters[key].values, b.parameters[key].values, "\(family) \(key)") }
        }
    }

    func testFinishedRunIsNotRedone() throws {
        let c = tiny(.pythia)
        var lines: [String] = []
        let r1 = try TaskRun(c, dataDirectory: dir, reporter: quiet).run()
        XCTAssertTrue(r1.trained)
        XCTAssertTrue(r1.metrics.finished)
        XCTAssertEqual(r1.metrics.slotAccuracy.count, 3)
        XCTAssertEqual(r1.metrics.slotAccuracy[0].count, 4)
        let r2 = try TaskRun(c, dataDirectory: dir, reporter: ProgressReporter(interactive: false, output: { lines.append($0) })).run()
        XCTAssertFalse(r2.trained)
        XCTAssertEqual(r2.metrics, r1.metrics)
        XCTAssertTrue(lines.joined().contains("already finished"))
    }

    func testEventHookSeesEveryEventInOrder() throws {
        let run = try TaskRun(tiny(.mamba), dataDirectory: dir, reporter: quiet)
        var seen: [String] = []
        run.onEvent = { e in
            switch e.kind {
            case .started: seen.append("started \(e.step)")
            case .evaluated: seen.append("evaluated \(e.step)")
            case .checkpointed: seen.append("checkpointed \(e.step)")
            case .finished: seen.append("finished \(e.step)")
            case .diverged, .interrupted: seen.append("unexpected \(e)")
            }
        }
        try run.run()
        XCTAssertEqual(seen, ["started 0", "checkpointed 4", "evaluated 4", "checkpointed 8", "evaluated 8",
                              "checkpointed 12", "evaluated 12", "finished 12"])
    }

    func testBadValuesAreRefusedBeforeAnythingRuns() {
        var c = tiny(.pythia)
        c.threshold = 0
        XCTAssertThrowsError(try TaskRun(c, dataDirectory: dir)) { XCTAssertTrue("\($0)".contains("threshold")) }
        c = tiny(.pythia); c.heads = 3
        XCTAssertThrowsError(try TaskRun(c, dataDirectory: dir)) { XCTAssertTrue("\($0)".contains("divisible")) }
        c = tiny(.mamba); c.length = -2
        XCTAssertThrowsError(try TaskRun(c, dataDirectory: dir)) { XCTAssertTrue("\($0)".contains("length")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testInitFromExtendsEmbeddingsAndRefusesAnotherFamily() throws {
        var g = RandomGenerator(seed: 1)
        let source = makeModel(.mamba(MambaConfig(vocabSize: 7, hiddenSize: 16, layers: 1, stateSize: 4)), generator: &g)
        try Checkpoint.save(source, to: dir + "/pre.h5")
        var c = tiny(.mamba)
        c.initFrom = dir + "/pre.h5"
        c.steps = 4
        let r = try TaskRun(c, dataDirectory: dir, reporter: quiet)
        let model = try r.buildModel()
        let e = model.parameters["backbone.embeddings.weight"]
        XCTAssertEqual(e.shape, [7 + 2 + 2 * 4, 16], "the task's 2 + 2L tokens appended to the checkpoint's 7")
        XCTAssertEqual(Array(e.values.prefix(7 * 16)), source.parameters["backbone.embeddings.weight"].values)
        XCTAssertEqual(model.parameters["backbone.layers.0.mixer.A_log"].values, source.parameters["backbone.layers.0.mixer.A_log"].values)
        var p = tiny(.pythia)
        p.initFrom = dir + "/pre.h5"
        XCTAssertThrowsError(try TaskRun(p, dataDirectory: dir, reporter: quiet)) {
            XCTAssertTrue("\($0)".contains("holds a mamba model"), "\($0)")
        }
        p.initFrom = dir + "/absent.h5"
        XCTAssertThrowsError(try TaskRun(p, dataDirectory: dir, reporter: quiet)) {
            XCTAssertTrue("\($0)".contains("absent.h5"), "\($0)")
        }
    }

    func testTinyStudyEndToEnd() throws {
        var spec = StudySpec.quick
        spec.name = "tiny"
        spec.lengths = [4]
        spec.seeds = [0, 1]
        spec.base = tiny(.pythia)
        let rows = try Study(spec, dataDirectory: dir, reporter: quiet).run().map(\.summaryRow)
        XCTAssertEqual(rows.count, 2 * 2 * 2)   // models × variants × seeds
        let csv = try String(contentsOfFile: dir + "/studies/tiny/summary.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "model,length,variant,lr,seed,reached_step,final_accuracy,machine,diverged_step,task,task_parameters,hidden,final_exact_match")
        XCTAssertTrue(lines[1].contains("\"" + MachineInfo.current.machineType + "\",,position-retrieval,,"), "each run names its machine and task: \(lines[1])")
        XCTAssertEqual(lines.count, 9)
        XCTAssertTrue(Study.summaryTable(rows).contains("median steps to threshold"))
        // Running it again reuses every run.
        var lines2: [String] = []
        _ = try Study(spec, dataDirectory: dir, reporter: ProgressReporter(interactive: false, output: { lines2.append($0) })).run()
        XCTAssertEqual(lines2.filter { $0.contains("already finished") }.count, 8)
    }

    func testSummaryMedianTreatsUnreachedAsInfinite() {
        let rows = [0, 1, 2].map { s in
            SummaryRow(model: .mamba, length: 8, variant: .suffix, lr: 1e-3, seed: UInt64(s),
                       reachedStep: s == 2 ? nil : 100 * (s + 1), finalAccuracy: 0.9)
        }
        let table = Study.summaryTable(rows)
        XCTAssertTrue(table.contains("200"), table)
        XCTAssertTrue(table.contains("2/3"), table)
        XCTAssertTrue(Study.summaryTable(Array(rows.suffix(2))).contains("not reached"))
    }

    /// Seeds and spread: the median, the range of steps among the runs that reached the
    /// threshold, and the final accuracies' mean and range, per configuration.
    func testSummaryGivesTheSpreadOverSeeds() {
        let rows = [(300, 0.96), (500, 0.97), (nil, 0.81)].enumerated().map { s, r in
            SummaryRow(model: .pythia, length: 12, variant: .prefix, lr: 1e-3, seed: UInt64(s), reachedStep: r.0, finalAccuracy: r.1,
                       machine: "A")
        }
        let table = Study.summaryTable(rows)
        let line = table.split(separator: "\n")[2]
        XCTAssertTrue(line.contains("500  "), table)            // median of 300, 500, ∞
        XCTAssertTrue(line.contains("300–500"), table)
        XCTAssertTrue(line.contains("2/3"), table)
        XCTAssertTrue(line.contains("0.9133"), table)           // mean final accuracy
        XCTAssertTrue(line.contains("0.8100–0.9700"), table)
        XCTAssertFalse(table.contains("machine types"), "one machine type: no note")
        let mixed = rows + [SummaryRow(model: .mamba, length: 12, variant: .prefix, lr: 1e-3, seed: 0, reachedStep: 100,
                                       finalAccuracy: 1, machine: "B")]
        XCTAssertTrue(Study.summaryTable(mixed).contains("these runs came from 2 machine types"), Study.summaryTable(mixed))
    }

    func testProvenanceRecordsEverySessionThatTrainedARun() throws {
        let c = tiny(.mamba)
        let run = try TaskRun(c, dataDirectory: dir, folder: dir + "/run", reporter: quiet)
        try run.run(stopAfter: 4)
        try TaskRun(c, dataDirectory: dir, folder: dir + "/run", reporter: quiet).run()
        let p = try XCTUnwrap(RunProvenance.read(run.folder.provenance))
        XCTAssertEqual(p.sessions.map(\.fromStep), [0, 4])
        XCTAssertEqual(p.sessions[0].machine, MachineInfo.current)
        XCTAssertEqual(p.machineTypes, [MachineInfo.current.machineType])
        XCTAssertEqual(run.progress, .finished)
        XCTAssertEqual(run.statusLine, "finished on " + MachineInfo.current.machineType)
        // A finished run is not trained again, so it gains no session.
        try TaskRun(c, dataDirectory: dir, folder: dir + "/run", reporter: quiet).run()
        XCTAssertEqual(RunProvenance.read(run.folder.provenance)?.sessions.count, 2)
    }
}
