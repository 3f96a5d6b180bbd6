import Foundation
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
    func run(_ executable: String, _ arguments: [String], input: [String], environment: [String: String] = [:]) throws -> (String, Int32) {
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
        for chunk in input {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(chunk.utf8))
            Thread.sleep(forTimeInterval: 0.6)
        }
        try? stdin.fileHandleForWriting.close()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (out, p.terminationStatus)
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
}
