import Foundation
import SystemIO
import TestSupport
import XCTest

final class FolderLockTests: TemporaryDirectoryTestCase {
    func testASecondHolderIsRefusedWithTheFirstOnesPidUntilItReleases() throws {
        let first = try FolderLock(dir)
        XCTAssertThrowsError(try FolderLock(dir)) { error in
            XCTAssertTrue("\(error)".contains("pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since"), "\(error)")
            XCTAssertTrue("\(error)".contains("--wait"), "\(error)")
        }
        first.release()
        let second = try FolderLock(dir)
        XCTAssertEqual(FolderLock.holder(second.path)?.pid, getpid())
    }

    /// Asking who trains a run takes nothing: the holder is seen, and once it releases, nobody.
    func testTheCurrentHolderIsSeenWithoutTakingTheLock() throws {
        XCTAssertNil(FolderLock.currentHolder(of: dir), "no lock file yet")
        let held = try FolderLock(dir)
        XCTAssertEqual(FolderLock.currentHolder(of: dir)?.pid, getpid())
        held.release()
        XCTAssertNil(FolderLock.currentHolder(of: dir))
        XCTAssertNoThrow(try FolderLock(dir), "asking left the lock free")
    }

    func testWaitingBlocksUntilTheHolderReleases() throws {
        let first = try FolderLock(dir)
        let released = DispatchSemaphore(value: 0)
        var waitedFor: FolderLock.Holder?
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { first.release(); released.signal() }
        let start = Date()
        let second = try FolderLock(dir, wait: true) { waitedFor = $0 }
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.2)
        XCTAssertEqual(waitedFor?.pid, getpid())
        released.wait()
        second.release()
    }

    /// A holder killed with SIGKILL (no chance to clean up) does not block the next one.
    func testALockHeldByAKilledProcessDoesNotBlock() throws {
        let script = """
        import fcntl, os, struct, sys, time
        fd = os.open(sys.argv[1] + "/lock", os.O_RDWR | os.O_CREAT)
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
        print("locked", flush=True)
        time.sleep(60)
        """
        let python = ChildProcess("python3", ["-c", script, dir])
        var pid: Int32 = 0
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let onText: (ChildProcess.Stream, String) -> Void = { _, text in
                guard text.contains("locked") else { return }
                let blocked = (try? FolderLock(self.dir)) == nil
                XCTAssertTrue(blocked, "the live holder blocks")
                kill(pid, SIGKILL)
            }
            _ = try? python.run(onStart: { pid = $0 }, onText: onText)
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the holder was killed")
        XCTAssertNoThrow(try FolderLock(dir))
    }

    /// #21: a holder that has the lock but has not written its name yet is "starting", not
    /// "unknown", and a released lock leaves no name behind for the next holder's instant.
    func testAHolderNotYetWrittenIsStartingAndAReleasedLockNamesNobody() throws {
        let held = try FolderLock(dir)
        ftruncate(open(held.path, O_WRONLY), 0)   // as in the instant between taking the lock and writing
        XCTAssertThrowsError(try FolderLock(dir)) { error in
            XCTAssertTrue("\(error)".contains(FolderLock.starting), "\(error)")
        }
        XCTAssertEqual(FolderLock.currentHolder(of: dir)?.description, FolderLock.starting)
        held.release()
        let next = try FolderLock(dir)
        XCTAssertEqual(FolderLock.holder(next.path)?.pid, getpid())
        next.release()
        XCTAssertEqual(try String(contentsOfFile: dir + "/lock", encoding: .utf8), "", "a released lock names nobody")
        // A name left by a process that died (no release) is not reported as a holder.
        try "999999999 \(ProcessInfo.processInfo.hostName) 2026-01-01T00:00:00Z\n".write(toFile: dir + "/lock", atomically: false, encoding: .utf8)
        XCTAssertNil(FolderLock.holder(dir + "/lock"))
    }

    /// A folder that cannot be made is named with the system's reason, not a missing lock file.
    func testAFolderThatCannotBeCreatedIsNamedWithTheReason() throws {
        try AtomicFile.write(dir + "/file", text: "x")
        XCTAssertThrowsError(try FolderLock(dir + "/file/run")) { error in
            XCTAssertTrue("\(error)".contains("\(dir)/file/run: cannot create the folder"), "\(error)")
            XCTAssertFalse("\(error)".contains("NSCocoaErrorDomain"), "\(error)")
        }
    }
}
