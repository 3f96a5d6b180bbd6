import CLinux
import CWorkerPool
import Foundation

/// Splits loops over the machine's cores through ScanLab's worker pool (CWorkerPool). Small
/// loops stay on the calling thread, where handing out work would cost more than it saves.
public enum Parallel {
    /// The threads loops split over: $SCANLAB_THREADS, else the CPUs this process may run on
    /// (its affinity mask, which taskset, cgroups and Slurm's binding set; the machine's core
    /// count ignores them). `setThreads` overrides it before work starts (`--threads`).
    public private(set) nonisolated(unsafe) static var cores = configuredThreads()

    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "Parallel.setThreads: \(n) threads")
        cores = n
    }

    /// $SCANLAB_THREADS when it is a positive integer, else the affinity mask's CPU count.
    public static func configuredThreads() -> Int {
        if let text = ProcessInfo.processInfo.environment["SCANLAB_THREADS"], let n = Int(text), n >= 1 { return n }
        return allowedCPUs()
    }

    /// The CPUs in this process's affinity mask (sched_getaffinity), or the active processor
    /// count where the mask cannot be read.
    public static func allowedCPUs() -> Int {
        let count = Int(scanlab_allowed_cpu_count())
        return count > 0 ? count : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Reductions that are split for the cores are split into this many fixed blocks (fewer
    /// when there are fewer items), whatever the thread count, and the blocks' partial sums
    /// are combined in block order: so a run's numbers are bit-identical on 1, 2 or N threads.
    public static let reductionBlocks = 8

    /// Below this many elements of work an elementwise loop runs on one thread.
    public static let elementThreshold = 1 << 15

    /// Loops are cut into this many pieces per core, which the cores take one at a time: a core
    /// that joins late or runs slower (the other tenant of a shared host) takes fewer.
    static let piecesPerCore = 4

    /// Calls `body(range)` on disjoint chunks covering 0..<count, in parallel when `work` is large.
    /// Chunk boundaries are multiples of `alignment` so SIMD loops see whole vectors. Bodies
    /// must not depend on where the chunks fall (elementwise work): the chunks follow the
    /// thread count.
    @inline(__always)
    public static func forChunks(_ count: Int, work: Int? = nil, alignment: Int = 16,
                                 _ body: (Range<Int>) -> Void) {
        let effort = work ?? count
        if cores == 1 || effort < elementThreshold || count < 2 * alignment {
            body(0..<count)
            return
        }
        var per = (count + cores * piecesPerCore - 1) / (cores * piecesPerCore)
        per = (per + alignment - 1) / alignment * alignment
        let chunks = (count + per - 1) / per
        run(chunks) { c in body((c * per)..<min(count, (c + 1) * per)) }
    }

    /// Calls `body(i)` for each i in 0..<count, spread over cores when `count` > 1 and the total
    /// work is large. Use for independent rows, heads or sequences: which core runs an item,
    /// and beside which others, must not change its result.
    @inline(__always)
    public static func forEach(_ count: Int, workPerItem: Int, _ body: (Int) -> Void) {
        if cores == 1 || count < 2 || count * workPerItem < elementThreshold {
            for i in 0..<count { body(i) }
            return
        }
        let pieces = min(count, cores * piecesPerCore)
        run(pieces) { p in
            for i in (p * count / pieces)..<((p + 1) * count / pieces) { body(i) }
        }
    }

    /// body(0..<iterations) on this thread and the pool's `cores − 1` helpers.
    static func run(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var closure = body
            withUnsafeMutablePointer(to: &closure) { pointer in
                scanlab_pool_run(iterations, Int32(cores - 1), { context, i in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(i)
                }, pointer)
            }
        }
    }
}
