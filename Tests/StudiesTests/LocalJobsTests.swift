import Foundation
import Studies
import SystemIO
import Tasks
import TensorCore
import TestSupport
import XCTest

/// `scanlab study --jobs N` trains runs side by side in child processes; thread-count
/// independence makes their numbers those of a serial study.
final class LocalJobsTests: TemporaryDirectoryTestCase {
    func arguments(_ data: String, steps: Int = 12, evalEvery: Int = 4) -> [String] {
        ["study", "--preset", "quick", "--name", "jobs", "--models", "pythia,mamba", "--lengths", "4", "--seeds", "0",
         "--variants", "suffix,prefix", "--hidden", "16", "--layers", "1", "--heads", "2", "--state-size", "4",
         "--batch", "8", "--steps", "\(steps)", "--eval-every", "\(evalEvery)", "--train-size", "64", "--eval-size", "16",
         "--no-early-stop", "--data", data, "--figures", data + "/figures"]
    }

    func study(_ data: String, extra: [String]) throws -> (output: String, summary: String) {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let r = try ChildProcess.run(scanlab, arguments(data) + extra)
        XCTAssertEqual(r.status, 0, r.output + r.errors)
        return (r.output, try String(contentsOfFile: data + "/studies/jobs/summary.csv", encoding: .utf8))
    }

    func testJobsGiveTheSerialStudysNumbers() throws {
        let serial = try study(dir + "/serial", extra: ["--jobs", "1"])
        let parallel = try study(dir + "/parallel", extra: ["--jobs", "2"])
        XCTAssertEqual(parallel.summary, serial.summary, "per-run metrics of --jobs 2 and a serial study")
        XCTAssertEqual(parallel.summary.split(separator: "\n").count, 1 + 4)
        XCTAssertTrue(parallel.output.contains("[4/4 runs done]"), parallel.output)
        XCTAssertFalse(serial.output.contains("runs done]"), "--jobs 1 trains in this process")
        // Tiny models default to one job per CPU.
        let byDefault = try study(dir + "/default", extra: [])
        XCTAssertEqual(byDefault.summary, serial.summary)
        XCTAssertEqual(byDefault.output.contains("runs done]"), ProcessInfo.processInfo.activeProcessorCount > 1 && Parallel.allowedCPUs() > 1)
        XCTAssertTrue(parallel.output.contains("held-out accuracy"), "the children's lines reach the study's output")
        // Finished runs are reused: a second parallel study trains nothing.
        let again = try study(dir + "/parallel", extra: ["--jobs", "2"])
        XCTAssertFalse(again.output.contains("training pythia"), again.output)
    }

    /// --plot-live with --jobs 2: the runs train in child processes, whose events reach the
    /// study, which redraws every run's learning curves with all its evaluations; the children's
    /// events never show up as text in the study's output.
    func testPlotLiveWithJobsDrawsEveryRun() throws {
        let data = dir + "/live"
        let r = try study(data, extra: ["--jobs", "2", "--plot-live"])
        XCTAssertFalse(r.output.contains("\"event\""), r.output)
        let runs = try FileManager.default.contentsOfDirectory(atPath: data + "/runs")
        XCTAssertEqual(runs.count, 4)
        for run in runs {
            let figure = data + "/figures/runs/" + run
            let files = (try? FileManager.default.contentsOfDirectory(atPath: figure)) ?? []
            let table = try XCTUnwrap(files.first { $0.hasSuffix(".dat") || $0.hasSuffix(".csv") }, "\(run): \(files)")
            let text = try String(contentsOfFile: figure + "/" + table, encoding: .utf8)
            let steps = text.split(separator: "\n").compactMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).first.flatMap { Int($0) } }
            XCTAssertEqual(steps, [4, 8, 12], "\(run): \(text)")
        }
    }

    /// (For SIGTERM) a serial reference study, then a study with --jobs 2 sent `signal` (once: a second
    /// SIGTERM ends a process at once, by design) half a second into its first run's training.
    func signalledStudy(_ signal: Int32, steps: Int = 1000) throws -> (scanlab: String, outcome: ChildProcess.Outcome) {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        if signal == SIGTERM {
            let serial = try ChildProcess.run(scanlab, arguments(dir + "/serial", steps: steps, evalEvery: steps / 4) + ["--jobs", "1"])
            XCTAssertEqual(serial.status, 0, serial.errors)
        }
        final class Pid: @unchecked Sendable { var value: Int32 = 0, signalled = false }
        let pid = Pid()
        let outcome = try ChildProcess(scanlab, arguments(dir + "/jobs", steps: steps, evalEvery: steps / 4) + ["--jobs", "2"])
            .run(onStart: { pid.value = $0 }) { _, text in
                guard !pid.signalled, text.contains("training mamba") || text.contains("training pythia") else { return }
                pid.signalled = true
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { kill(pid.value, signal) }
            }
        return (scanlab, outcome)
    }

    /// Running the study again finishes it with the serial study's numbers.
    func assertRerunGivesTheSerialNumbers(_ scanlab: String) throws {
        let rerun = try ChildProcess.run(scanlab, arguments(dir + "/jobs", steps: 1000, evalEvery: 250) + ["--jobs", "2"])
        XCTAssertEqual(rerun.status, 0, rerun.output + rerun.errors)
        XCTAssertTrue(rerun.output.contains("resuming at step"), rerun.output)
        XCTAssertEqual(try String(contentsOfFile: dir + "/jobs/studies/jobs/summary.csv", encoding: .utf8),
                       try String(contentsOfFile: dir + "/serial/studies/jobs/summary.csv", encoding: .utf8))
    }

    /// SIGTERM to the study alone: it passes the signal on, its runs checkpoint, it exits 75;
    /// running it again finishes with a serial study's numbers.
    func testAStoppedStudyStopsItsRunsAndResumesToTheSameNumbers() throws {
        let (scanlab, stopped) = try signalledStudy(SIGTERM)
        XCTAssertEqual(stopped.status, StopSignal.resumableStatus, stopped.output + stopped.errors)
        XCTAssertTrue(stopped.errors.contains("interrupted by signal 15"), stopped.errors)
        try assertRerunGivesTheSerialNumbers(scanlab)
    }

    /// The `scanlab train` processes (their pids) whose command line names `folder`.
    func trainers(under folder: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return args.contains("train") && args.contains { $0.hasPrefix(folder) }
        }
    }

    /// #21: SIGKILL of a study with --jobs: its children stop with a checkpoint instead of
    /// training on under pid 1, and an immediate rerun finishes with the serial numbers.
    func testChildrenStopWhenTheStudyIsKilledAndARerunFinishes() throws {
        // Runs long enough (several seconds each) that an orphan would still be training.
        let (scanlab, killed) = try signalledStudy(SIGKILL, steps: 3000)
        XCTAssertEqual(killed.signal, SIGKILL)
        let deadline = Date().addingTimeInterval(4)
        while !trainers(under: dir + "/jobs").isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(trainers(under: dir + "/jobs"), [], "no orphaned trainer is left 4 s after the study died")
        let rerun = try ChildProcess.run(scanlab, arguments(dir + "/jobs", steps: 3000, evalEvery: 750) + ["--jobs", "2"])
        XCTAssertEqual(rerun.status, 0, rerun.output + rerun.errors)
        XCTAssertTrue(rerun.output.contains("resuming at step"), "the killed study's runs checkpointed: \(rerun.output)")
    }

    /// #21: a run whose process fails is counted as failed, not done, and named.
    func testAFailedRunIsCountedAsFailed() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let data = dir + "/failing"
        // A study of four runs; then one run's newest checkpoint is replaced by another run's,
        // so its trainer (not the study) finds a configuration record that differs, and fails.
        let first = try ChildProcess.run(scanlab, arguments(data) + ["--jobs", "2"])
        XCTAssertEqual(first.status, 0, first.errors)
        let runs = try FileManager.default.contentsOfDirectory(atPath: data + "/runs").sorted()
        XCTAssertEqual(runs.count, 4)
        try FileManager.default.removeItem(atPath: data + "/runs/" + runs[0] + "/metrics.h5")
        let newest = "/checkpoints/step-00000012.h5"
        try FileManager.default.removeItem(atPath: data + "/runs/" + runs[0] + newest)
        try FileManager.default.copyItem(atPath: data + "/runs/" + runs[1] + newest, toPath: data + "/runs/" + runs[0] + newest)
        let again = try ChildProcess.run(scanlab, arguments(data) + ["--jobs", "2"])
        XCTAssertEqual(again.status, 1, again.output)
        XCTAssertTrue(again.output.contains("[3/4 runs done, 1 failed] \(runs[0]) failed"), again.output)
        XCTAssertTrue(again.errors.contains("1 runs failed: \(runs[0]) (exit status 1)"), again.errors)
    }
}
