import Foundation
import SystemIO
import XCTest

final class ChildProcessTests: XCTestCase {
    /// 8 MB to stderr before a line to stdout: far more than a pipe holds (64 kB), so a reader
    /// that drains stdout to its end before stderr deadlocks here.
    func testAChildThatFloodsStderrBeforeStdoutDoesNotBlock() throws {
        let child = ChildProcess("/bin/sh", ["-c", "head -c 8000000 /dev/zero | tr '\\0' e >&2; echo done; exit 3"])
        final class Box: @unchecked Sendable { var seen = "", pid: Int32 = 0, result: ChildProcess.Outcome? }
        let box = Box()
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = try? child.run(onStart: { box.pid = $0 }) { stream, text in if stream == .output { box.seen += text } }
            finished.signal()
        }
        // A reader that blocks fails here instead of hanging the suite.
        guard finished.wait(timeout: .now() + 60) == .success else {
            kill(box.pid, SIGKILL)
            return XCTFail("the child did not finish within 60 s: reading its pipes blocked")
        }
        let r = try XCTUnwrap(box.result)
        let seen = box.seen
        XCTAssertEqual(r.status, 3)
        XCTAssertNil(r.signal)
        XCTAssertEqual(r.output, "done\n")
        XCTAssertEqual(seen, "done\n")
        XCTAssertEqual(r.errors.utf8.count, 8_000_000)
        XCTAssertEqual(Set(r.errors.utf8), [UInt8(ascii: "e")])
    }

    /// Output arrives while the child still runs (a cell's training log), line by line.
    func testOutputIsStreamedBeforeTheChildEnds() throws {
        let marker = NSTemporaryDirectory() + "scanlab-stream-\(UUID().uuidString)"
        defer { unlink(marker) }
        // The child waits until the first line has been seen (the test writes the marker).
        let child = ChildProcess("/bin/sh", ["-c", "echo first; while [ ! -e '\(marker)' ]; do sleep 0.05; done; echo second"])
        var lines: [String] = []
        let r = try child.run { stream, text in
            lines.append(text)
            if text == "first\n" { FileManager.default.createFile(atPath: marker, contents: nil) }
        }
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(lines, ["first\n", "second\n"])
    }

    func testSignalsAndEnvironmentAndDirectoryAndPid() throws {
        var pid: Int32 = 0
        var child = ChildProcess("sh", ["-c", "echo $SCANLAB_TEST_VALUE; pwd; kill -TERM $$"], environment: ["SCANLAB_TEST_VALUE": "42"],
                                 directory: "/tmp")
        child.ownProcessGroup = true
        let r = try child.run(onStart: { pid = $0 })
        XCTAssertEqual(r.output, "42\n/tmp\n")
        XCTAssertEqual(r.signal, SIGTERM)
        XCTAssertEqual(r.status, 128 + SIGTERM)
        XCTAssertFalse(r.succeeded)
        XCTAssertGreaterThan(pid, 0)
    }

    func testAMissingProgramIsAnErrorNamingIt() {
        XCTAssertThrowsError(try ChildProcess.run("/nonexistent/gnuplot", [])) { XCTAssertTrue("\($0)".contains("/nonexistent/gnuplot"), "\($0)") }
        XCTAssertThrowsError(try ChildProcess.run("scanlab-no-such-program", [])) {
            XCTAssertTrue("\($0)".contains("scanlab-no-such-program"), "\($0)")
        }
    }
}
