import Foundation

/// Every file ScanLab writes goes through here, so a reader sees the old file or the new one,
/// never half of one, even across a crash or power loss: a temporary file in the same folder
/// is written, synced, renamed over the target, and the folder synced. On any failure the
/// temporary is removed and the old file is left as it was.
public enum AtomicFile {
    /// Writes `path` through `fill`, which must create and close the temporary file it is given
    /// (HDF5 writers open files by name). Missing folders are created.
    public static func write(_ path: String, _ fill: (_ temporaryPath: String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try Folders.create(folder)
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(nextSerial())"
        do {
            try fill(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else { throw SystemIOError.errno(path, "moving the new file into place") }
        } catch {
            unlink(temporary)
            var space = statvfs()
            let full = statvfs(folder, &space) == 0 && space.f_bavail == 0 ? " (the disk is full)" : ""
            throw SystemIOError("\(path): not written\(full): \(error); " +
                                (FileManager.default.fileExists(atPath: path) ? "the previous version is unchanged" : "no file was left"))
        }
        // The rename is durable once the folder's entry is; a folder that cannot be synced
        // (some network file systems) still holds a complete file.
        try? sync(folder)
    }

    public static func write(_ path: String, contents: Data) throws {
        try write(path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw SystemIOError.errno(temporary, "creating the file")
            }
            let fd = open(temporary, O_WRONLY)
            guard fd >= 0 else { throw SystemIOError.errno(temporary, "opening the file") }
            defer { close(fd) }
            try contents.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; throw SystemIOError.errno(path, "writing") }
                    offset += n
                }
            }
        }
    }

    public static func write(_ path: String, text: String) throws { try write(path, contents: Data(text.utf8)) }

    /// Throws unless files can be created in `folder` (made if missing), naming it and the
    /// system's reason: checked before work whose results would otherwise be lost at saving.
    /// A real probe file, since permission bits do not tell for root or read-only mounts.
    public static func checkWritable(_ folder: String) throws {
        try Folders.create(folder)
        let probe = folder + "/.write-probe-\(getpid())-\(nextSerial())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemIOError.errno(folder, "creating a file (is it read-only?)") }
        close(fd)
        unlink(probe)
    }

    /// fsync on a file or a folder.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SystemIOError.errno(path, "opening to sync") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemIOError.errno(path, "fsync") }
    }

    private static let serialLock = NSLock()
    nonisolated(unsafe) private static var serial = 0
    /// Distinguishes temporaries written by threads of one process at once.
    private static func nextSerial() -> Int { serialLock.lock(); defer { serialLock.unlock() }; serial += 1; return serial }
}
