import ArgumentParser
import TensorCore

/// --threads: how many threads ScanLab's loops and products split over. The default follows
/// the CPUs this process may use (its affinity mask: taskset, cgroups, Slurm's binding), or
/// $SCANLAB_THREADS.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads (default: $SCANLAB_THREADS, else the CPUs this process may run on).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets the thread count before any work starts.
    func apply() { if let threads { Parallel.setThreads(threads) } }
}
