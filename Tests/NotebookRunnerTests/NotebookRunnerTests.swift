import Foundation
import NotebookRunner
import SystemIO
import TensorCore
import TestSupport
import XCTest

/// Drives the real `scanlab-worker` (built beside the test bundle) through the runner.
final class NotebookRunnerTests: TemporaryDirectoryTestCase {
    func runner() throws -> NotebookRunner {
        // The test executable (…/debug/ScanLabPackageTests.xctest) sits beside the products.
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let worker = products.appendingPathComponent("scanlab-worker").path
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            throw XCTSkip("scanlab-worker is not built next to the tests (run swift build first)")
        }
        return NotebookRunner(worker: worker, dataDirectory: dir + "/Data", figuresDirectory: dir + "/Figures")
    }

    func testACrashingCellIsReportedByNameAndTheStateSurvives() throws {
        let r = try runner()
        var log = ""
        let failure = try r.runAll("isolation-demo", assignments: [], echo: { log += $0 })
        XCTAssertNotNil(failure)
        XCTAssertTrue(failure!.contains("cell crash crashed"), failure!)
        XCTAssertTrue(failure!.contains("on purpose"), failure!)
        let d = try r.describe("isolation-demo")
        let values = try r.parameters(d, [])
        let state = try NotebookState.load(r.statePath(d, values))
        guard case .number(let answer)? = state.values["answer"] else { return XCTFail("the first cell's value is gone") }
        XCTAssertEqual(answer, 42)
        XCTAssertEqual(r.statuses(d, state, values).map(\.1), [.done, .failed, .notRun])
        XCTAssertTrue(state.cells["crash"]!.message!.contains("on purpose"))
        // The runner is still usable: the same notebook with the crash switched off completes,
        // and running it again does nothing.
        XCTAssertNil(try r.runAll("isolation-demo", assignments: ["crash=no"], echo: { _ in }))
        let values2 = try r.parameters(d, ["crash=no"])
        let done = try NotebookState.load(r.statePath(d, values2))
        XCTAssertEqual(r.statuses(d, done, values2).map(\.1), [.done, .done, .done])
        guard case .number(let doubled)? = done.values["doubled"] else { return XCTFail("after did not store doubled") }
        XCTAssertEqual(doubled, 84)
        var again = ""
        XCTAssertNil(try r.runAll("isolation-demo", assignments: ["crash=no"], echo: { again += $0 }))
        XCTAssertFalse(again.contains("▶"), again)
    }

    /// The hybrid notebook end to end at a toy size: every family trains, the comparison has a
    /// row per run, and both figures are named.
    func testTheHybridNotebookTrainsAndComparesEveryFamily() throws {
        let r = try runner()
        let assignments = ["length=8", "steps=30", "seeds=0", "models=pythia,mamba2,hybrid", "pattern=MST"]
        XCTAssertNil(try r.runAll("hybrid", assignments: assignments, echo: { _ in }))
        let d = try r.describe("hybrid")
        let state = try NotebookState.load(r.statePath(d, try r.parameters(d, assignments)))
        guard case .table(let rows)? = state.values["comparison"] else { return XCTFail("no comparison table") }
        XCTAssertEqual(rows.count, 4, "\(rows)")
        XCTAssertEqual(Set(rows.dropFirst().map { $0[0] }), ["pythia", "mamba2", "hybrid MST"])
        for name in ["learning-curves", "position-accuracy-L8-suffix"] {
            guard case .figure(let png)? = state.values[name] else { return XCTFail("no figure \(name): \(String(describing: state.values[name]))") }
            XCTAssertTrue(FileManager.default.fileExists(atPath: png), png)
        }
        // The report embeds both figures as PNG.
        let report = try String(contentsOfFile: r.reportPath(d, try r.parameters(d, assignments)), encoding: .utf8)
        XCTAssertEqual(report.components(separatedBy: "\"image/png\" : \"iVBORw0KGgo").count - 1, 2)
    }

    /// The task-suite notebook at a toy size: two tasks train, the summary names both, and
    /// each task's figures are stored apart (same file names in two task folders).
    func testTheTaskSuiteNotebookTrainsEveryChosenTask() throws {
        let r = try runner()
        let assignments = ["tasks=mqar,induction-heads", "models=pythia", "steps=20", "seeds=0"]
        XCTAssertNil(try r.runAll("task-suite", assignments: assignments, echo: { _ in }))
        let d = try r.describe("task-suite")
        let state = try NotebookState.load(r.statePath(d, try r.parameters(d, assignments)))
        guard case .text(let summary)? = state.values["summary"] else { return XCTFail("no summary") }
        XCTAssertTrue(summary.contains("mqar") && summary.contains("induction-heads"), summary)
        let figures = state.values.keys.filter { $0.hasSuffix(" learning-curves") }.sorted()
        XCTAssertEqual(figures, ["induction-heads-vocab16 learning-curves", "mqar-vocab128-kv-pairs4-power-a0.01-passes1 learning-curves"])
    }

    func testChangingAParameterACellReadMarksItAndLaterCellsStale() throws {
        let r = try runner()
        let d = try r.describe("isolation-demo")
        var state = NotebookState()
        for c in d.cells {
            state.cells[c.name] = CellRecord(status: "done", sourceHash: c.sourceHash,
                                             parametersRead: c.name == "crash" ? ["crash": "no"] : [:], message: nil)
        }
        XCTAssertEqual(r.statuses(d, state, ["crash": "no"]).map(\.1), [.done, .done, .done])
        XCTAssertEqual(r.statuses(d, state, ["crash": "yes"]).map(\.1), [.done, .stale, .stale])
        // An edited cell (its source hash differs) is stale, and so is everything after it.
        state.cells["prepare"]!.sourceHash = "edited"
        XCTAssertEqual(r.statuses(d, state, ["crash": "no"]).map(\.1), [.stale, .stale, .stale])
    }

    func testBadNamesAndValuesGetClearMessages() throws {
        let r = try runner()
        XCTAssertThrowsError(try r.describe("isolaton-demo")) { XCTAssertTrue("\($0)".contains("did you mean isolation-demo"), "\($0)") }
        let d = try r.describe("retrieval-study")
        XCTAssertThrowsError(try r.parameters(d, ["lenghts=8"])) { XCTAssertTrue("\($0)".contains("did you mean lengths"), "\($0)") }
        XCTAssertThrowsError(try r.parameters(d, ["lengths=8,x"])) { XCTAssertTrue("\($0)".contains("'x' is not an integer"), "\($0)") }
        XCTAssertThrowsError(try r.parameters(d, ["preset=huge"])) { XCTAssertTrue("\($0)".contains("not one of quick, standard, paper"), "\($0)") }
        XCTAssertEqual(try r.list().map(\.name), ["hybrid", "isolation-demo", "position-accuracy", "prefix-vs-suffix", "retrieval-study", "squares", "task-suite"])
    }

    func testStateRoundTripsEveryKindOfValue() throws {
        var s = NotebookState()
        s.values["n"] = .number(2.5)
        s.values["t"] = .text("hello")
        s.values["rows"] = .table([["a", "b"], ["1", "2"]])
        s.values["x"] = .tensor(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]))
        s.values["r"] = .run("/tmp/some-run")
        s.cells["c"] = CellRecord(status: "done", sourceHash: "h", parametersRead: ["p": "1"], message: nil)
        try s.save(dir + "/state.h5")
        let back = try NotebookState.load(dir + "/state.h5")
        XCTAssertEqual(back.cells, s.cells)
        guard case .number(2.5)? = back.values["n"], case .text("hello")? = back.values["t"],
              case .table(let rows)? = back.values["rows"], case .tensor(let x)? = back.values["x"] else { return XCTFail() }
        XCTAssertEqual(rows, [["a", "b"], ["1", "2"]])
        guard case .run("/tmp/some-run")? = back.values["r"] else { return XCTFail("run reference lost") }
        XCTAssertEqual(x.shape, [2, 3])
        XCTAssertEqual(x.values, [1, 2, 3, 4, 5, 6])
        XCTAssertTrue(NotebookValue.tensor(x).summary.contains("tensor [2, 3]: mean 3.5"))
    }

    /// #21: a cell whose state cannot be saved is not run at all (its work would be lost).
    func testACellIsNotRunWhenItsStateCannotBeSaved() throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let r = NotebookRunner(worker: products.appendingPathComponent("scanlab-worker").path, dataDirectory: dir + "/file/Data",
                               figuresDirectory: dir + "/Figures")
        guard FileManager.default.isExecutableFile(atPath: r.worker) else { throw XCTSkip("scanlab-worker is not built next to the tests") }
        var log = ""
        XCTAssertThrowsError(try r.runAll("squares", assignments: [], echo: { log += $0 })) { error in
            XCTAssertTrue("\(error)".contains("cell compute not run: its state cannot be saved"), "\(error)")
            XCTAssertTrue("\(error)".contains(self.dir + "/file/Data"), "\(error)")
        }
        XCTAssertFalse(log.contains("computed 5 squares"), "the cell did not run: \(log)")
    }

    /// #21: SIGTERM to `scanlab run NOTEBOOK` reaches the worker, whose training checkpoints;
    /// the command exits 75 with a message and leaves no worker behind.
    func testSIGTERMStopsANotebookRunGracefully() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        final class Pid: @unchecked Sendable { var value: Int32 = 0, signalled = false }
        let pid = Pid()
        let data = dir + "/Data"
        let stopped = try ChildProcess(scanlab, ["run", "position-accuracy", "--set", "length=8", "--set", "steps=200000",
                                                 "--data", data, "--figures", dir + "/Figures"])
            .run(onStart: { pid.value = $0 }) { _, text in
                guard !pid.signalled, text.contains("training pythia") else { return }
                pid.signalled = true
                DispatchQueue.global().asyncAfter(deadline: .now() + 1) { kill(pid.value, SIGTERM) }
            }
        XCTAssertEqual(stopped.status, StopSignal.resumableStatus, stopped.output + stopped.errors)
        XCTAssertTrue(stopped.errors.contains("stopped by a signal"), stopped.errors)
        XCTAssertTrue(stopped.output.contains("stopped by signal 15 at step"), stopped.output)
        let workers = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { p in
            let raw = FileManager.default.contents(atPath: "/proc/\(p)/cmdline") ?? Data()
            return String(decoding: raw, as: UTF8.self).contains(data)
        }
        XCTAssertEqual(workers, [], "no worker is left running")
        let runs = try FileManager.default.contentsOfDirectory(atPath: data + "/runs")
        XCTAssertFalse(runs.isEmpty)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: data + "/runs/" + runs[0] + "/checkpoints")
        XCTAssertFalse(checkpoints.filter { $0.hasSuffix(".h5") }.isEmpty, "the stopped training checkpointed")
    }
}
