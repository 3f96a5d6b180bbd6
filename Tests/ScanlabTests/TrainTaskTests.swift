import Foundation
import SystemIO
import TestSupport
import XCTest

/// `scanlab train --task …`: a task's options reach the run's configuration, and options a task
/// does not read, placements it has not, and lengths it cannot be evaluated at are refused by name.
final class TrainTaskTests: TemporaryDirectoryTestCase {
    func testATaskWithItsOptionsTrainsAndStrayOptionsAreRefused() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let out = dir + "/run"
        let r = try ChildProcess.run(scanlab, ["train", "--task", "mqar", "--length", "16", "--kv-pairs", "2", "--vocab", "40",
                                               "--model", "pythia", "--hidden", "16", "--layers", "1", "--steps", "4", "--eval-every", "2",
                                               "--train-size", "50", "--eval-size", "10", "--eval-lengths", "32", "--data", dir, "--out", out])
        XCTAssertEqual(r.status, 0, r.errors)
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"task\" : \"mqar\"") && config.contains("\"kvPairs\" : 2") && config.contains("\"vocab\" : 40"), config)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/datasets/mqar-length16-vocab40-kv-pairs2-power-a0.01-passes1-train50-eval10-seed0.h5"))
        for (arguments, words) in [
            (["--length", "8", "--kv-pairs", "2"], "--kv-pairs is not an option of --task position-retrieval (it belongs to mqar)"),
            (["--task", "induction-heads", "--length", "8", "--variant", "prefix"], "--variant is not an option of --task induction-heads"),
            (["--length", "8", "--eval-lengths", "16"], "position-retrieval cannot be evaluated at length 16"),
            (["--task", "mqar", "--length", "63"], "--length 63: mqar needs an even sequence length"),
            (["--task", "mqar", "--length", "64", "--hidden", "32,64"], "--hidden takes one width in train"),
        ] {
            let bad = try ChildProcess.run(scanlab, ["train", "--model", "pythia", "--data", dir] + arguments)
            XCTAssertNotEqual(bad.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(bad.errors.contains(words), "\(arguments): \(bad.errors)")
        }
    }

    /// `study --task` on a task without a query placement runs the preset's grid at the default
    /// placement (not the preset's suffix and prefix), and refuses an explicit prefix.
    func testAStudyOfATaskWithoutPlacementUsesOne() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let r = try ChildProcess.run(scanlab, ["study", "status", "--task", "induction-heads", "--lengths", "8", "--vocab", "6",
                                               "--name", "ih", "--data", dir])
        XCTAssertEqual(r.status, 0, r.errors)
        XCTAssertEqual(r.output.split(separator: "\n").filter { $0.contains("induction-heads-L8") }.count, 6, r.output)   // 2 models × 3 seeds
        let bad = try ChildProcess.run(scanlab, ["study", "status", "--task", "mqar", "--lengths", "16", "--variants", "prefix", "--name", "m", "--data", dir])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.errors.contains("--task mqar has no query placement"), bad.errors)
    }
}
