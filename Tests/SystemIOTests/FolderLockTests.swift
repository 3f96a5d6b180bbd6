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
}
