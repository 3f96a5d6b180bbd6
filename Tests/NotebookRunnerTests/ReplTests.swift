import Foundation
import SystemIO
import TestSupport
import XCTest

/// The REPL as a user meets it: the real `scanlab` binary, fed through a pipe and through a
/// pseudo-terminal (util-linux `script`), so GNU readline does the editing, completion and history.
final class ReplTests: TemporaryDirectoryTestCase {
    var products: URL { URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent() }

    func scanlab() throws -> String {
        let path = products.appendingPathComponent("scanlab").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("scanlab is not built next to the tests (run swift build first)")
        }
        return path
    }

    /// Runs `executable` with `arguments`, feeding `input` chunks (with pauses) on standard input.
    /// With `waitFor`, the last chunk waits until the output so far contains that text (a cell
    /// that trains takes longer than the pauses).
    func run(_ executable: String, _ arguments: [String], input: [String], environment: [String: String] = [:],
             waitFor: String? = nil) throws -> (String, Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stdout
        signal(SIGPIPE, SIG_IGN)   // a child that already quit must not take the test down
        try p.run()
        // The output is read as it comes, so the input can wait for it.
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var data = Data()
            func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
            var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
        }
        let collected = Collected(), output = stdout.fileHandleForReading
        let reader = Thread {
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                collected.append(chunk)
            }
        }
        reader.start()
        func seen() -> String { collected.text }
        for (i, chunk) in input.enumerated() {
            if i == input.count - 1, let waitFor {
                let deadline = Date().addingTimeInterval(600)
                while !seen().contains(waitFor) && Date() < deadline && p.isRunning { Thread.sleep(forTimeInterval: 0.2) }
            }
            try? stdin.fileHandleForWriting.write(contentsOf: Data(chunk.utf8))
            Thread.sleep(forTimeInterval: 0.6)
        }
        try? stdin.fileHandleForWriting.close()
        p.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.05) }
        return (seen(), p.terminationStatus)
    }

    func testPipedCommandsSurviveACrashingCellAndBadCommands() throws {
        let (out, status) = try run(try scanlab(), ["--data", dir + "/Data"], input: [
            "opne isolation-demo\nopen isolation-demo\nset crash=maybe\nrunall\ncells\nshow answer\nrun nosuchcell\nquit\n",
        ])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("unknown command 'opne' (did you mean open?)"), out)
        XCTAssertTrue(out.contains("crash: 'maybe' is not one of yes, no, hang"), out)
        XCTAssertTrue(out.contains("cell crash crashed"), out)
        XCTAssertTrue(out.contains("Fatal error: isolation-demo: this cell crashes on purpose"), out)
        XCTAssertTrue(out.contains("crash            failed"), out)
        XCTAssertTrue(out.contains("answer: 42"), out)
        XCTAssertTrue(out.contains("no cell 'nosuchcell'"), out)
        // A new REPL later finds the finished cell done, with its value.
        let (again, _) = try run(try scanlab(), ["--data", dir + "/Data"], input: ["open isolation-demo\nshow answer\nquit\n"])
        XCTAssertTrue(again.contains("prepare          done"), again)
        XCTAssertTrue(again.contains("answer: 42"), again)
    }

    func testSettingAParameterMarksOnlyTheCellsThatReadItStale() throws {
        let (out, _) = try run(try scanlab(), ["--data", dir + "/Data"], input: [
            "open isolation-demo\nset crash=no\nrunall\nset crash=yes\nquit\n",
        ])
        // After the change: prepare (which does not read `crash`) stays done.
        let tail = out.components(separatedBy: "scanlab> set crash=yes").last ?? ""
        XCTAssertTrue(tail.contains("prepare          done"), out)
        XCTAssertTrue(tail.contains("crash            stale"), out)
        XCTAssertTrue(tail.contains("after            stale"), out)
    }

    /// `script` runs its command through $SHELL -c; `exec` makes the REPL the terminal's only
    /// foreground process, as an interactive shell would. Without it a shell that does not exec
    /// its last command (dash, when SHELL is /bin/sh or unset) also receives the Ctrl-C and dies.
    func testCtrlCStopsTheRunningCellNotTheREPL() throws {
        let exe = try scanlab()
        let (out, status) = try run("/usr/bin/script", ["-qfec", "exec '\(exe)' --data '\(dir)/Data'", "/dev/null"],
                                    input: ["open isolation-demo\n", "set crash=hang\n", "run prepare\n", "run crash\n", "", "", "\u{03}", "cells\n", "quit\n"],
                                    environment: ["HOME": dir])
        XCTAssertEqual(status, 0, "exit status \(status) of: " + out)
        XCTAssertTrue(out.contains("cell crash interrupted (Ctrl-C)"), out)
        XCTAssertTrue(out.contains("crash            failed"), out)
        XCTAssertTrue(out.contains("prepare          done"), out)
    }

    func testReadlineEditingCompletionAndHistoryThroughAPseudoTerminal() throws {
        let exe = try scanlab()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            return XCTFail("util-linux `script` is needed to give the REPL a terminal")
        }
        let home = dir + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // "open isol<Tab>" completes the notebook name; "cellz<Backspace>s" is edited to "cells".
        let (out, status) = try run("/usr/bin/script", ["-qfec", "exec '\(exe)' --data '\(dir)/Data'", "/dev/null"],
                                    input: ["open isol\t\n", "cellz\u{7f}s\n", "set cr\t", "no\n", "quit\n"],
                                    environment: ["HOME": home])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("opened isolation-demo"), out)
        XCTAssertTrue(out.contains("crash            not run"), out)
        XCTAssertFalse(out.contains("unknown command 'cellz"), out)
        XCTAssertFalse(out.contains("error:"), out)
        let history = try String(contentsOfFile: home + "/.scanlab_history", encoding: .utf8)
        XCTAssertTrue(history.contains("open isolation-demo"), history)
        XCTAssertTrue(history.contains("set crash=no"), history)
        XCTAssertTrue(history.contains("cells"), history)
    }

    /// Live plots in a real terminal: a short training cell run in the REPL draws gnuplot's dumb
    /// frame (axes and curves) after its evaluations, more than once; `plot RUN` draws a finished
    /// run the same way, and `plot --off` stops the live frames.
    func testATrainingCellRedrawsLiveCurvesInTheTerminal() throws {
        let exe = try scanlab()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            return XCTFail("util-linux `script` is needed to give the REPL a terminal")
        }
        guard ChildProcess.findExecutable("gnuplot") != nil else { throw XCTSkip("gnuplot is not installed (Scripts/setup installs it)") }
        let home = dir + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let (out, status) = try run("/usr/bin/script", ["-qfec", "exec '\(exe)' --data '\(dir)/Data'", "/dev/null"],
                                    input: ["open hybrid\n", "set models=pythia\n", "set length=8\n", "set steps=100\n",
                                            "set seeds=0,1\n", "run train\n", "plot --off\nplot --on\nquit\n"],
                                    environment: ["HOME": home, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"],
                                    waitFor: "✓ train done")
        XCTAssertEqual(status, 0, out)
        // One frame per evaluation: two runs (Pythia, seeds 0 and 1; a debug build trains Pythia
        // fastest), each evaluated at its last step; the second frame holds both curves.
        let frames = out.components(separatedBy: "live: ").count - 1
        XCTAssertGreaterThanOrEqual(frames, 2, out)
        XCTAssertTrue(out.contains("held-out accuracy") && out.contains("training loss"), out)
        XCTAssertTrue(out.contains("live: 2 runs") && out.contains("pythia L8 suffix s1"), out)
        // The dumb terminal's axes: a border of + and - around each panel, tick labels 0 … 1.
        XCTAssertTrue(out.range(of: #"\+-{20,}\+"#, options: .regularExpression) != nil, "no axis border in:\n\(out)")
        XCTAssertTrue(out.contains("live plots off") && out.contains("live plots on"), out)
    }
}
