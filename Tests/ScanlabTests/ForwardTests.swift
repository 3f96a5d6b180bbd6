import Checkpoints
import Foundation
import HDF5
import Models
import SystemIO
import TensorCore
import TestSupport
import XCTest

/// `scanlab forward` refuses what would give a meaningless number or lose a file (#21).
final class ForwardTests: TemporaryDirectoryTestCase {
    func checkpoint() throws -> String {
        var g = RandomGenerator(seed: 1)
        let model = withNoGrad { makeModel(.mamba(MambaConfig(vocabSize: 12, hiddenSize: 8, layers: 1, stateSize: 4)), generator: &g) }
        let path = dir + "/model.h5"
        try Checkpoint.save(model, to: path)
        return path
    }

    func input(_ rows: Int, _ length: Int) throws -> String {
        let path = dir + "/input-\(rows).h5"
        try HDF5File.writeAtomically(path) { f in
            try f.write("input_ids", int64s: (0..<(rows * length)).map { $0 % 12 }, shape: [rows, length])
        }
        return path
    }

    func testAnEmptyBatchIsAnError() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let r = try ChildProcess.run(scanlab, ["forward", "--checkpoint", try checkpoint(), "--input", try input(0, 5), "--output", dir + "/out.h5"])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.errors.contains("batch ≥ 1"), r.errors)
        XCTAssertTrue(r.errors.contains("[0, 5]"), r.errors)
        XCTAssertFalse(r.output.contains("nan"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    func testAnOutputThatIsAnInputIsRefusedAndTheInputKept() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let model = try checkpoint(), ids = try input(2, 5)
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.h5", withDestinationPath: model)
        for output in [model, ids, dir + "/./alias.h5"] {
            let r = try ChildProcess.run(scanlab, ["forward", "--checkpoint", model, "--input", ids, "--output", output])
            XCTAssertNotEqual(r.status, 0, output)
            XCTAssertTrue(r.errors.contains("it would be replaced"), r.errors)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)
        let ok = try ChildProcess.run(scanlab, ["forward", "--checkpoint", model, "--input", ids, "--output", dir + "/out.h5"])
        XCTAssertEqual(ok.status, 0, ok.errors)
    }

    /// A reader that closes the pipe early (`| head -1`) does not kill the command: it finishes
    /// its work (a training run to its end) and exits 0.
    func testAClosedPipeDoesNotKillTraining() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let train = ShellQuoting.command([scanlab, "train", "--model", "pythia", "--length", "4", "--hidden", "16", "--layers", "1",
                                          "--heads", "2", "--batch", "8", "--steps", "40", "--eval-every", "2", "--train-size", "64",
                                          "--eval-size", "16", "--no-early-stop", "--data", dir, "--out", dir + "/run"])
        let r = try ChildProcess.run("/bin/bash", ["-c", train + " | head -1; echo \"status ${PIPESTATUS[0]}\""])
        XCTAssertTrue(r.output.hasSuffix("status 0\n"), r.output + r.errors)
        XCTAssertTrue(try RunMetricsProbe.finished(dir + "/run/metrics.h5"))
    }
}

/// metrics.h5's finished flag, read without the Studies module.
enum RunMetricsProbe {
    static func finished(_ path: String) throws -> Bool { try HDF5File(path, mode: .read).intAttribute("finished") == 1 }
}
