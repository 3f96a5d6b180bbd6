import Checkpoints
import DataLayout
import Foundation
import Models
import Studies
import SystemIO
import Tasks
import TensorCore
import TestSupport
import XCTest

/// Damaged checkpoints, diverging runs, two trainers on one run, and stop signals: each ends
/// in a clear message and loses nothing that was saved.
final class RunSafetyTests: TemporaryDirectoryTestCase {
    func tiny(_ model: ModelFamily, steps: Int = 12) -> RunConfig {
        var c = RunConfig(model: model, length: 4)
        c.hidden = 16; c.layers = 1; c.heads = 2; c.stateSize = 4
        c.batch = 8; c.steps = steps; c.evalEvery = 4; c.trainSize = 64; c.evalSize = 16
        c.earlyStop = false
        return c
    }

    final class Lines: @unchecked Sendable {
        var all: [String] = []
        var text: String { all.joined() }
    }

    func reporter(_ lines: Lines) -> ProgressReporter { ProgressReporter(interactive: false, output: { lines.all.append($0) }) }
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func parameters(_ path: String) throws -> [String: [Float]] {
        let m = try Checkpoint.loadModel(path)
        return Dictionary(uniqueKeysWithValues: m.parameters.keys.map { ($0, m.parameters[$0].values) })
    }

    /// Flips one byte inside a parameter's data in a checkpoint file.
    func damage(_ path: String) throws {
        let model = try Checkpoint.loadModel(path)
        let t = model.parameters[model.parameters.keys[0]]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let at = try XCTUnwrap(bytes.range(of: Data(bytes: t.data, count: min(32, 4 * t.count)))).lowerBound
        bytes[at + 5] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func testADamagedCheckpointFallsBackToThePreviousOneAndSaysSo() throws {
        let c = tiny(.mamba)
        let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole", reporter: quiet).run()
        _ = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted", reporter: quiet).run(stopAfter: 8)
        try damage(dir + "/parted/checkpoints/step-00000008.h5")
        let lines = Lines()
        let resumed = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted", reporter: reporter(lines)).run()
        XCTAssertTrue(lines.text.contains("step-00000008.h5 cannot be used"), lines.text)
        XCTAssertTrue(lines.text.contains("the file is damaged"), lines.text)
        XCTAssertTrue(lines.text.contains("falling back to step-00000004.h5"), lines.text)
        XCTAssertTrue(lines.text.contains("resuming at step 4"), lines.text)
        XCTAssertEqual(resumed.metrics, whole.metrics)
        XCTAssertEqual(try parameters(dir + "/parted/checkpoints/step-00000012.h5"), try parameters(dir + "/whole/checkpoints/step-00000012.h5"))
    }

    /// Every checkpoint truncated: the run says so and trains from step 0 on a fresh model (a
    /// failed load must not leave part of a damaged file in it).
    func testWhenNoCheckpointLoadsTheRunStartsOverCleanly() throws {
        let c = tiny(.pythia)
        let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole", reporter: quiet).run()
        _ = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted", reporter: quiet).run(stopAfter: 8)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/parted/checkpoints") {
            let path = dir + "/parted/checkpoints/" + name
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        }
        let lines = Lines()
        let again = try TaskRun(c, dataDirectory: dir, folder: dir + "/parted", reporter: reporter(lines)).run()
        XCTAssertTrue(lines.text.contains("no earlier checkpoint is left"), lines.text)
        XCTAssertTrue(lines.text.contains("no checkpoint could be loaded; training from step 0"), lines.text)
        XCTAssertEqual(again.metrics, whole.metrics)
    }

    /// A learning rate far too high: the run ends as diverged, names the step and the value,
    /// keeps its last good checkpoint, and the study carries on and counts it.
    func testADivergingRunEndsAsDivergedAndTheStudyCountsIt() throws {
        var spec = StudySpec.quick
        spec.name = "diverging"
        spec.models = [.pythia]; spec.lengths = [4]; spec.variants = [.suffix]; spec.seeds = [0]
        spec.lrs = [1e-3, 1e9]
        spec.base = tiny(.pythia)
        let rows = try Study(spec, dataDirectory: dir, reporter: quiet).run().map(\.summaryRow)
        XCTAssertEqual(rows.count, 2)
        XCTAssertNil(rows[0].divergedStep)
        let diverged = try XCTUnwrap(rows[1].divergedStep, "lr 1e9 diverges")
        let run = try TaskRun(spec.runs[1], dataDirectory: dir, reporter: quiet)
        XCTAssertEqual(run.progress, .diverged(atStep: diverged))
        let metrics = try RunMetrics.read(run.folder.metrics)
        XCTAssertTrue(metrics.divergence!.what.hasPrefix("the loss") || metrics.divergence!.what.hasPrefix("the gradient of"), metrics.divergence!.what)
        // Every checkpoint kept holds finite parameters (the last good state).
        for name in try FileManager.default.contentsOfDirectory(atPath: run.folder.checkpoints) {
            for (key, values) in try parameters(run.folder.checkpointFile(name)) {
                XCTAssertTrue(values.allSatisfy(\.isFinite), "\(name) \(key)")
            }
        }
        let table = Study.summaryTable(rows)
        XCTAssertTrue(table.contains("1 of 2 runs diverged"), table)
        XCTAssertTrue(table.contains("lr 1e+09 seed 0 at step \(diverged)"), table)
        let csv = try String(contentsOfFile: dir + "/studies/diverging/summary.csv", encoding: .utf8)
        XCTAssertTrue(csv.split(separator: "\n")[2].contains("\",\(diverged),position-retrieval,"), csv)   // after the quoted machine
        // A diverged run is done: running the study again trains nothing.
        XCTAssertTrue(try Study(spec, dataDirectory: dir, reporter: quiet).unfinishedRuns().isEmpty)
    }

    func testASecondTrainerStopsNamingTheFirstOrWaitsForIt() throws {
        let c = tiny(.pythia)
        let folder = dir + "/run"
        let held = try FolderLock(folder)
        XCTAssertThrowsError(try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run()) { error in
            XCTAssertTrue("\(error)".contains("pid \(getpid())"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/metrics.h5"), "the refused trainer wrote nothing")
        // Another process, as a user or a requeued Slurm task would start it.
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let run = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet)
        try run.prepareFolder()
        let args = ["train", "--config", folder + "/config.json", "--out", folder, "--data", dir]
        let refused = try ChildProcess.run(scanlab, args)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains("in use by another process (pid \(getpid()) on"), refused.errors)
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { held.release() }
        let waited = try ChildProcess.run(scanlab, args + ["--wait"])
        XCTAssertEqual(waited.status, 0, waited.errors)
        XCTAssertTrue(waited.output.contains("waiting for pid \(getpid())"), waited.output)
        XCTAssertTrue(try RunMetrics.read(folder + "/metrics.h5").finished)
    }

    /// SIGTERM at a random moment of training: the run checkpoints and exits 75; running it
    /// again ends with the metrics and parameters of a run never stopped, bit for bit.
    func testSIGTERMAtARandomStepCheckpointsAndResumesToTheSameNumbers() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        var c = tiny(.mamba, steps: 1500)
        c.evalEvery = 500
        func folder(_ name: String) throws -> String {
            let f = dir + "/" + name
            try TaskRun(c, dataDirectory: dir, folder: f, reporter: quiet).prepareFolder()
            return f
        }
        func args(_ f: String) -> [String] { ["train", "--config", f + "/config.json", "--out", f, "--data", dir, "--threads", "1"] }
        let whole = try folder("whole")
        let started = Date()
        var trainingStarted = Date()
        let reference = try ChildProcess(scanlab, args(whole)).run { _, text in if text.contains("training mamba") { trainingStarted = Date() } }
        XCTAssertEqual(reference.status, 0, reference.errors)
        let training = Date().timeIntervalSince(trainingStarted)
        XCTAssertGreaterThan(training, 0.3, "training must last long enough to be interrupted (took \(Date().timeIntervalSince(started)) s)")

        var g = SystemRandomNumberGenerator()
        let delay = Double.random(in: 0.05...0.7, using: &g) * training
        let parted = try folder("parted")
        let child = Lines()   // the child's pid, as text, for the timer
        let stopped = try ChildProcess(scanlab, args(parted)).run(onStart: { child.all = ["\($0)"] }) { _, text in
            guard text.contains("training mamba"), let pid = Int32(child.text) else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { kill(pid, SIGTERM) }
        }
        let context = "signal after \(delay) s of \(training) s: \(stopped.errors)"
        XCTAssertEqual(stopped.status, StopSignal.resumableStatus, context)
        XCTAssertTrue(stopped.errors.contains("interrupted by signal 15 at step"), context)
        let resumed = try ChildProcess.run(scanlab, args(parted))
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("resuming at step"), resumed.output)
        XCTAssertEqual(try RunMetrics.read(parted + "/metrics.h5"), try RunMetrics.read(whole + "/metrics.h5"), context)
        XCTAssertEqual(try parameters(parted + "/checkpoints/step-00001500.h5"), try parameters(whole + "/checkpoints/step-00001500.h5"), context)
    }

    /// Names of the checkpoints kept in a run folder (not those set aside).
    func kept(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints").filter { $0.hasSuffix(".h5") }.sorted()
    }

    /// #21: every checkpoint damaged after step 20 of 40; the run falls back to step 0, moves
    /// the damaged ones aside (named, not deleted) and keeps the checkpoints of its new line of
    /// training, so stopping again and resuming continues from them.
    func testAfterFallingBackPastDamagedCheckpointsTheNewLineIsKept() throws {
        var c = tiny(.mamba, steps: 40)
        c.evalEvery = 4
        let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole", reporter: quiet).run()
        let folder = dir + "/parted"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 20)
        XCTAssertEqual(try kept(folder), ["step-00000012.h5", "step-00000016.h5", "step-00000020.h5"])
        for name in try kept(folder) { try damage(folder + "/checkpoints/" + name) }
        let lines = Lines()
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: reporter(lines)).run(stopAfter: 8)
        XCTAssertTrue(lines.text.contains("training from step 0"), lines.text)
        XCTAssertTrue(lines.text.contains("moved to \(folder)/checkpoints/unusable/step-00000020.h5"), lines.text)
        XCTAssertEqual(try kept(folder), ["step-00000004.h5", "step-00000008.h5"], "the new line's checkpoints are kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints/unusable").sorted(),
                       ["step-00000012.h5", "step-00000016.h5", "step-00000020.h5"])
        let again = Lines()
        let resumed = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: reporter(again)).run()
        XCTAssertTrue(again.text.contains("resuming at step 8 from step-00000008.h5"), again.text)
        XCTAssertEqual(resumed.metrics.steps, whole.metrics.steps)
        XCTAssertEqual(resumed.metrics.accuracies, whole.metrics.accuracies)
        XCTAssertEqual(try kept(folder), ["step-00000032.h5", "step-00000036.h5", "step-00000040.h5"])
    }

    /// #21: a NaN in the newest checkpoint is refused by name and the run falls back to the
    /// good one before it (instead of ending as diverged).
    func testANonFiniteNewestCheckpointIsSetAsideAndTheRunFallsBack() throws {
        let c = tiny(.pythia)
        let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole", reporter: quiet).run()
        let folder = dir + "/parted"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 8)
        let newest = folder + "/checkpoints/step-00000008.h5"
        let model = try Checkpoint.loadModel(newest)
        let key = model.parameters.keys[1]
        model.parameters[key].data[2] = .nan
        let optimizer = AdamW(model.parameters)
        var state = try Checkpoint.loadTrainingState(newest, model: try Checkpoint.loadModel(newest), optimizer: optimizer)
        state.optimizer = optimizer
        try Checkpoint.save(model, to: newest, training: state)
        XCTAssertThrowsError(try Checkpoint.loadModel(newest)) { error in
            XCTAssertTrue("\(error)".contains("\(key) holds nan at flat index 2"), "\(error)")
        }
        let lines = Lines()
        let resumed = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: reporter(lines)).run()
        XCTAssertTrue(lines.text.contains("falling back to step-00000004.h5"), lines.text)
        XCTAssertTrue(lines.text.contains("resuming at step 4"), lines.text)
        XCTAssertNil(resumed.metrics.divergence)
        XCTAssertEqual(resumed.metrics.accuracies, whole.metrics.accuracies)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/checkpoints/unusable/step-00000008.h5"))
    }

    /// #21: a hand-edited config.json never changes a run silently. An edited lr or a step
    /// budget below the current step is refused naming the field; the same values reformatted
    /// are accepted; a finished run's figures keep what it was trained with.
    func testAnEditedConfigurationIsRefusedByFieldAndAReformattedOneAccepted() throws {
        let c = tiny(.mamba, steps: 16)
        let folder = dir + "/run"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 8)
        var edited = c
        edited.lr = 5e-3
        XCTAssertThrowsError(try TaskRun(edited, dataDirectory: dir, folder: folder, reporter: quiet).run()) { error in
            XCTAssertTrue("\(error)".contains("holds a run with another configuration"), "\(error)")
            XCTAssertTrue("\(error)".contains("lr: 0.001 → 0.005"), "\(error)")
        }
        // Edited in place, as a person would, then resumed from that file: the checkpoint's record refuses it.
        try AtomicFile.write(folder + "/config.json", text: edited.json)
        XCTAssertThrowsError(try TaskRun(edited, dataDirectory: dir, folder: folder, reporter: quiet).run()) { error in
            XCTAssertTrue("\(error)".contains("differs from the one the run was trained under"), "\(error)")
            XCTAssertTrue("\(error)".contains("lr: 0.001 → 0.005"), "\(error)")
        }
        var shorter = c
        shorter.steps = 6
        try AtomicFile.write(folder + "/config.json", text: shorter.json)
        XCTAssertThrowsError(try TaskRun(shorter, dataDirectory: dir, folder: folder, reporter: quiet).run()) { error in
            XCTAssertTrue("\(error)".contains("steps: 16 → 6"), "\(error)")
        }
        // The original values in other formatting (one line, other key order) are the same run.
        let object = try JSONSerialization.jsonObject(with: Data(c.json.utf8))
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: folder + "/config.json"))
        XCTAssertNotEqual(try String(contentsOfFile: folder + "/config.json", encoding: .utf8), c.json)
        let finished = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run()
        XCTAssertTrue(finished.metrics.finished)
        // A finished run whose config.json is edited afterwards: refused to train, and its record says what it was.
        try AtomicFile.write(folder + "/config.json", text: edited.json)
        XCTAssertThrowsError(try TaskRun(edited, dataDirectory: dir, folder: folder, reporter: quiet).run())
        XCTAssertEqual(try RunMetrics.read(folder + "/metrics.h5").recordedConfiguration(source: "metrics.h5"), c)
    }

    /// #21: a damaged provenance.json is kept aside, named, and a new one started.
    func testADamagedProvenanceIsKeptAsideAndReported() throws {
        let c = tiny(.pythia, steps: 8)
        let folder = dir + "/run"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 4)
        try AtomicFile.write(folder + "/provenance.json", text: "{\"sessions\": [ {\"host\": ")
        let lines = Lines()
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: reporter(lines)).run()
        XCTAssertTrue(lines.text.contains("kept it as \(folder)/provenance.json.unreadable"), lines.text)
        XCTAssertEqual(try String(contentsOfFile: folder + "/provenance.json.unreadable", encoding: .utf8), "{\"sessions\": [ {\"host\": ")
        XCTAssertEqual(RunProvenance.read(folder + "/provenance.json")?.sessions.count, 1)
    }
}
