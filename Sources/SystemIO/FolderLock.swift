import CLinux
import Foundation

/// An exclusive lock on a folder (its file `lock`), held while one process writes there, so a
/// second process on the same run (a user starting a study twice, a requeued Slurm task that
/// overlaps the old one) stops with a message naming the holder instead of writing alongside.
///
/// The lock is an open-file-description lock (fcntl F_OFD_SETLK) rather than flock: fcntl
/// locks are the ones NFS (through its lock manager or NFSv4 state), Lustre and GPFS carry
/// between hosts, and OFD locks, unlike classic fcntl locks, also conflict within one process.
/// The kernel, or the file server, drops the lock when its holder dies, so a dead holder never
/// blocks; the pid, host and time in the file only tell the next process whom it waits for.
public final class FolderLock {
    public let path: String
    private var fd: Int32

    /// Who holds a lock, as its holder wrote it.
    public struct Holder: CustomStringConvertible, Sendable {
        public let pid: Int32, host: String, since: String
        public var description: String { pid == 0 ? FolderLock.starting : "pid \(pid) on \(host) since \(since)" }
    }

    /// Takes the lock on `folder` (created if missing). When another process holds it: throws
    /// an error naming the holder, or with `wait` calls `waiting` once and blocks until it is free.
    public init(_ folder: String, wait: Bool = false, waiting: ((Holder?) -> Void)? = nil) throws {
        path = folder + "/lock"
        try Folders.create(folder)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = errno == EROFS || errno == EACCES ? " (a read-only folder? choose a writable --data)" : ""
            throw SystemIOError.errno(path, "opening the lock file" + reason)
        }
        var code = scanlab_lock_whole_file(fd, 0)
        if code == EAGAIN || code == EACCES {
            let holder = Self.holder(path)
            guard wait else {
                close(fd)
                throw SystemIOError("\(folder) is in use by another process (\(holder?.description ?? Self.starting)); " +
                                    "wait for it with --wait, or stop that process")
            }
            waiting?(holder)
            code = scanlab_lock_whole_file(fd, 1)
        }
        guard code == 0 else { close(fd); throw SystemIOError.errno(path, "locking", code) }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = "\(getpid()) \(ProcessInfo.processInfo.hostName) \(stamp)\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        fsync(fd)
    }

    /// What a holder is called before it has written its name: it took the lock an instant ago.
    public static let starting = "a process that is starting; its pid is not written yet"

    /// Releases the lock (closing the file releases an OFD lock); the file stays for the next
    /// holder, emptied first so that nobody reads this process as the next holder.
    public func release() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        close(fd)
        fd = -1
    }

    deinit { release() }

    /// Who holds `folder`'s lock now, asked without taking it (so asking never gets in a
    /// trainer's way); nil when nobody does.
    public static func currentHolder(of folder: String) -> Holder? {
        let path = folder + "/lock"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard scanlab_lock_is_held(fd) == 1 else { return nil }
        return holder(path) ?? Holder(pid: 0, host: "?", since: "?")
    }

    /// The holder a lock file names, if it can be read: nil while the file is empty (a new
    /// holder has the lock but has not written its name) or names a process of this host
    /// that no longer exists (one that died; the new holder is about to overwrite it).
    public static func holder(_ path: String) -> Holder? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.count >= 3, let pid = Int32(parts[0]) else { return nil }
        if parts[1] == ProcessInfo.processInfo.hostName, kill(pid, 0) != 0, errno == ESRCH { return nil }
        return Holder(pid: pid, host: parts[1], since: parts[2])
    }
}
