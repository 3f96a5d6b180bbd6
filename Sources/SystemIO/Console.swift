import Foundation

/// Standard output and error for progress and messages. A reader that has gone away (`| head
/// -1`, a closed terminal) is not a failure of the work: with SIGPIPE ignored (ScanLab's main)
/// a write to it fails with EPIPE and is dropped, and training goes on to its checkpoints.
/// (FileHandle.write would trap on that error instead.)
public enum Console {
    public static func output(_ text: String) { write(STDOUT_FILENO, text) }
    public static func errors(_ text: String) { write(STDERR_FILENO, text) }

    /// Keeps the process alive when a reader closes its pipe; writes report EPIPE instead.
    public static func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }
}
