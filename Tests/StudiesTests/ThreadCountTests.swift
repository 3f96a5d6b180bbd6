import Foundation
import SystemIO
import Studies
import Tasks
import TestSupport
import XCTest

/// The thread count a run uses, as recorded in its provenance: the CPUs the process may use
/// (taskset, as Slurm's binding does), $SCANLAB_THREADS, or --threads.
final class ThreadCountTests: TemporaryDirectoryTestCase {
    func threads(_ launcher: [String], extra: [String] = [], environment: [String: String] = [:], name: String) throws -> Int {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let run = dir + "/" + name
        let args = ["train", "--model", "pythia", "--length", "4", "--hidden", "8", "--layers", "1", "--heads", "2", "--steps", "1",
                    "--batch", "2", "--train-size", "8", "--eval-size", "4", "--data", dir, "--out", run] + extra
        let r = try ChildProcess.run(launcher.isEmpty ? scanlab : launcher[0], Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [scanlab]) + args,
                                     environment: environment)
        XCTAssertEqual(r.status, 0, r.errors)
        return try XCTUnwrap(RunProvenance.read(run + "/provenance.json")?.sessions.last?.machine.threads)
    }

    func testThreadsFollowTheAffinityMaskAndTheOverrides() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { throw XCTSkip("needs taskset (util-linux)") }
        XCTAssertEqual(try threads(["/usr/bin/taskset", "-c", "0"], name: "pinned"), 1, "taskset -c 0: one CPU, one thread")
        XCTAssertEqual(try threads([], environment: ["SCANLAB_THREADS": "3"], name: "env"), 3)
        XCTAssertEqual(try threads(["/usr/bin/taskset", "-c", "0"], extra: ["--threads", "2"], name: "flag"), 2)
    }
}
