import Foundation
import SystemIO
import RetrievalStudy
import TensorCore
import TestSupport
import XCTest

/// `scanlab study --jobs N` trains runs side by side in child processes; thread-count
/// independence makes their numbers those of a serial study.
final class LocalJobsTests: TemporaryDirectoryTestCase {
    func study(_ data: String, extra: [String]) throws -> (output: String, summary: String) {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let args = ["study", "--preset", "quick", "--name", "jobs", "--models", "pythia,mamba", "--lengths", "4", "--seeds", "0",
                    "--variants", "suffix,prefix", "--hidden", "16", "--layers", "1", "--heads", "2", "--state-size", "4",
                    "--batch", "8", "--steps", "12", "--eval-every", "4", "--train-size", "64", "--eval-size", "16",
                    "--no-early-stop", "--data", data, "--figures", data + "/figures"] + extra
        let r = try ChildProcess.run(scanlab, args)
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
}
