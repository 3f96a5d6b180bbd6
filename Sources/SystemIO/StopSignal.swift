import CLinux
import Foundation

/// SIGTERM (what Slurm sends before a preempted or timed-out task is killed) and SIGINT
/// (Ctrl-C), caught so that training finishes its step and writes a checkpoint before it
/// exits with `StopSignal.resumableStatus`. A second signal of the same kind ends the process.
public enum StopSignal {
    /// sysexits' EX_TEMPFAIL: interrupted, resumable; run the same command again to continue.
    public static let resumableStatus: Int32 = 75

    public static func install() { scanlab_stop_install() }

    /// SIGTERM only: Ctrl-C keeps its default (a notebook worker, which the REPL interrupts).
    public static func installForTermination() { scanlab_stop_install_signal(SIGTERM) }

    /// Treats the death of the parent process `parent` as a SIGTERM: a run started by a study
    /// (LocalJobs) checkpoints and stops when the study is killed (SIGKILL included) instead
    /// of training on, orphaned, under pid 1 and holding its lock. Polled, rather than
    /// PR_SET_PDEATHSIG, which fires when the spawning *thread* ends, and pool threads come and go.
    public static func stopWhenParentDies(_ parent: Int32) {
        let watcher = Thread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 0.2) }
            if received == nil { kill(getpid(), SIGTERM) }
        }
        watcher.start()
    }

    /// The environment variable through which a parent asks its child to stop with it.
    public static let parentVariable = "SCANLAB_STOP_WITH_PARENT"

    /// The signal received since install (or reset), if any.
    public static var received: Int32? {
        let s = scanlab_stop_signal()
        return s == 0 ? nil : s
    }

    public static func reset() { scanlab_stop_reset() }
}
