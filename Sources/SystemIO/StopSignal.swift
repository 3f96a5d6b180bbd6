import CLinux

/// SIGTERM (what Slurm sends before a preempted or timed-out task is killed) and SIGINT
/// (Ctrl-C), caught so that training finishes its step and writes a checkpoint before it
/// exits with `StopSignal.resumableStatus`. A second signal of the same kind ends the process.
public enum StopSignal {
    /// sysexits' EX_TEMPFAIL: interrupted, resumable; run the same command again to continue.
    public static let resumableStatus: Int32 = 75

    public static func install() { scanlab_stop_install() }

    /// The signal received since install (or reset), if any.
    public static var received: Int32? {
        let s = scanlab_stop_signal()
        return s == 0 ? nil : s
    }

    public static func reset() { scanlab_stop_reset() }
}
