import Checkpoints
import Foundation
import Studies
import Tasks
import SystemIO
import TestSupport
import XCTest

/// A checkpoint write that runs out of space: a clear error, the previous checkpoint intact,
/// and the run resumes to the same numbers once space is free.
final class DiskFullTests: TemporaryDirectoryTestCase {
    func testARunThatFillsTheDiskKeepsItsLastCheckpointAndResumesWhenSpaceIsBack() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs (CI runs as root)") }
        let mount = dir + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try ChildProcess.run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount])
        guard mounted.succeeded else { throw XCTSkip("cannot mount a tmpfs here: \(mounted.errors)") }
        defer { _ = try? ChildProcess.run("umount", [mount]) }

        var c = RunConfig(model: .mamba, length: 4)
        c.hidden = 16; c.layers = 1; c.stateSize = 4
        c.batch = 8; c.steps = 12; c.evalEvery = 4; c.trainSize = 64; c.evalSize = 16; c.earlyStop = false
        let quiet = ProgressReporter(interactive: false, output: { _ in })
        let whole = try TaskRun(c, dataDirectory: dir, folder: dir + "/whole", reporter: quiet).run()
        let folder = mount + "/run"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 4)
        let kept = folder + "/checkpoints/step-00000004.h5"
        let checkpointSize = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: kept)[.size] as? Int)

        // Fill the file system, leaving less than a checkpoint (enough for the small files).
        var space = statvfs()
        XCTAssertEqual(statvfs(mount, &space), 0)
        let free = Int(space.f_bavail) * Int(space.f_frsize)
        let filler = mount + "/filler"
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - checkpointSize / 2))))

        // The failing write runs in `scanlab train`, as a user's would: a clear error and exit
        // status 1, not a crash (HDF5 used to crash at exit on the file it could not close).
        guard let scanlab = ChildProcess.scanlab else { throw XCTSkip("scanlab is not built next to the tests (run swift build first)") }
        let full = try ChildProcess.run(scanlab, ["train", "--config", folder + "/config.json", "--out", folder, "--data", dir])
        XCTAssertEqual(full.status, 1, full.errors)
        XCTAssertNil(full.signal, full.errors)
        XCTAssertTrue(full.errors.contains(folder + "/checkpoints/step-00000008.h5: not written"), full.errors)
        XCTAssertNoThrow(try Checkpoint.loadModel(kept), "the previous checkpoint is intact")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints").filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary is left behind")

        try FileManager.default.removeItem(atPath: filler)
        let resumed = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run()
        XCTAssertEqual(resumed.metrics, whole.metrics)
    }
}
