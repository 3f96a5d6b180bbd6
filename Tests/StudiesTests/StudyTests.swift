import DataLayout
import Foundation
import Studies
import SystemIO
import Tasks
import TestSupport
import XCTest

/// #21: a study's name binds its grid (study.json), seeds are added only on purpose, and one
/// process at a time changes a study folder.
final class StudyTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func tinySpec(_ name: String = "s1", seeds: [UInt64] = [0]) -> StudySpec {
        var base = RunConfig(model: .pythia, length: 4)
        base.hidden = 16; base.layers = 1; base.heads = 2; base.stateSize = 4
        base.batch = 8; base.steps = 8; base.evalEvery = 4; base.trainSize = 64; base.evalSize = 16
        base.earlyStop = false
        return StudySpec(name: name, models: [.pythia], lengths: [4], variants: [.suffix], lrs: [1e-3], seeds: seeds, base: base)
    }

    func testAStudyNameBindsItsGridAndNamesTheDifferingFields() throws {
        let spec = tinySpec()
        _ = try Study(spec, dataDirectory: dir, reporter: quiet).run()
        let recorded = try Study.recordedSpec(name: "s1", dataDirectory: dir)
        XCTAssertEqual(recorded, spec)
        var other = spec
        other.lengths = [6]; other.base.steps = 12
        XCTAssertThrowsError(try Study(other, dataDirectory: dir, reporter: quiet)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("lengths: [4] → [6]"), text)
            XCTAssertTrue(text.contains("base.steps: 8 → 12"), text)
            XCTAssertTrue(text.contains("--add-seeds"), text)
        }
        XCTAssertEqual(try Study.recordedSpec(name: "s1", dataDirectory: dir), spec, "the refused definition changed nothing")
        // Seeds replace the axis only on purpose.
        var more = spec
        more.seeds = [0, 1]
        XCTAssertThrowsError(try Study(more, dataDirectory: dir, reporter: quiet))
        let rows = try Study(more, dataDirectory: dir, addedSeeds: [1], reporter: quiet).run().map(\.summaryRow)
        XCTAssertEqual(rows.map(\.seed), [0, 1])
        XCTAssertEqual(try Study.recordedSpec(name: "s1", dataDirectory: dir)?.seeds, [0, 1])
        // Adding seeds to a study that has none recorded is refused.
        XCTAssertThrowsError(try Study(tinySpec("new", seeds: [0, 1]), dataDirectory: dir, addedSeeds: [1], reporter: quiet)) { error in
            XCTAssertTrue("\(error)".contains("no recorded definition to add seeds to"), "\(error)")
        }
    }

    func testAProcessChangingAStudyHoldsItsFolder() throws {
        let study = try Study(tinySpec(), dataDirectory: dir, reporter: quiet)
        let held = try FolderLock(study.folder.path)
        XCTAssertThrowsError(try study.run()) { error in
            XCTAssertTrue("\(error)".contains("in use by another process (pid \(getpid())"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: study.folder.spec))
        held.release()
        XCTAssertEqual(try study.run().count, 1)
    }

    /// The command line: a later `study --name s1` with no grid options uses the recorded grid;
    /// other options are refused by field; two concurrent studies of one name cannot both win.
    func testTheCommandLineUsesTheRecordedGridAndRefusesAnother() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let grid = ["--models", "pythia", "--lengths", "4", "--variants", "suffix", "--seeds", "0", "--hidden", "16",
                    "--layers", "1", "--heads", "2", "--batch", "8", "--steps", "8", "--eval-every", "4", "--train-size", "64",
                    "--eval-size", "16", "--no-early-stop"]
        let common = ["study", "--name", "s1", "--data", dir, "--figures", dir + "/figures", "--jobs", "1"]
        let first = try ChildProcess.run(scanlab, common + grid)
        XCTAssertEqual(first.status, 0, first.errors)
        let again = try ChildProcess.run(scanlab, common)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.output.contains("Study s1: 1 runs"), again.output)
        XCTAssertFalse(again.output.contains("training"), "the recorded grid's run is finished: \(again.output)")
        let refused = try ChildProcess.run(scanlab, common + ["--lengths", "6"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.contains("lengths: [4] → [6]"), refused.errors)
        XCTAssertFalse(refused.errors.contains("Usage:"), "a domain error prints its message alone: \(refused.errors)")
        let status = try ChildProcess.run(scanlab, ["study", "status", "--name", "s1", "--data", dir])
        XCTAssertEqual(status.status, 0, status.errors)
        XCTAssertEqual(status.output.components(separatedBy: ": finished").count - 1, 1, status.output)
        // The paper preset's refusal is a message, not a usage error.
        let paper = try ChildProcess.run(scanlab, ["study", "--preset", "paper", "--data", dir])
        XCTAssertEqual(paper.status, 1)
        XCTAssertTrue(paper.errors.contains("fine-tunes pretrained models"), paper.errors)
        XCTAssertFalse(paper.errors.contains("Usage:"), paper.errors)
        let added = try ChildProcess.run(scanlab, common + ["--add-seeds", "1"])
        XCTAssertEqual(added.status, 0, added.errors)
        XCTAssertTrue(added.output.contains("Study s1: 2 runs"), added.output)
    }

    /// A data folder that is a file is named in the message, in `study` and in `status`.
    func testADataFolderThatIsAFileIsNamed() throws {
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let file = dir + "/not-a-folder"
        try AtomicFile.write(file, text: "x")
        for sub in [["study"], ["study", "status"]] {
            let r = try ChildProcess.run(scanlab, sub + ["--name", "s", "--data", file])
            XCTAssertEqual(r.status, 1, "\(sub): \(r.output)")
            XCTAssertTrue(r.errors.contains("data folder \(file) is a file"), r.errors)
            XCTAssertFalse(r.errors.contains("NSCocoaErrorDomain"), r.errors)
        }
    }
}
