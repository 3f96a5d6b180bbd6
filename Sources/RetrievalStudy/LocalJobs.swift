import Dispatch
import Foundation

/// Runs a study's runs side by side on this machine: up to `jobs` child processes of
/// `scanlab train --config <run>/config.json --out <run>`, each with its share of the threads.
/// Runs compute the same numbers on any thread count (see Parallel.reductionBlocks), so a
/// study with jobs gives the per-run metrics a serial one gives. Each child's output lines
/// reach the reporter, and an unfinished run resumes as in a serial study.
public struct LocalJobs {
    public let jobs: Int
    /// The scanlab executable the children run (this one, by default).
    public let scanlab: String
    /// Threads per child: the CPUs this process may use, shared out.
    public let threadsPerJob: Int
    /// Serialises the children's lines and the progress counts.
    private let lock = NSLock()

    public init(jobs: Int, scanlab: String, cpus: Int) {
        self.jobs = max(1, jobs)
        self.scanlab = scanlab
        threadsPerJob = max(1, cpus / max(1, jobs))
    }

    /// Trains every unfinished run of `study`; throws naming the runs whose process failed.
    public func run(_ study: Study, reporter: ProgressReporter) throws {
        // Datasets first, once per length and seed, so the children only read them.
        let pending = try study.unfinishedRuns()
        var seen = Set<String>()
        for c in pending.map(\.config) {
            let key = RetrievalDataset.fileName(length: c.length, trainSize: c.trainSize, evalSize: c.evalSize, seed: c.dataSeed)
            if seen.insert(key).inserted {
                _ = try RetrievalDataset.load(length: c.length, trainSize: c.trainSize, evalSize: c.evalSize, seed: c.dataSeed,
                                              dataDirectory: study.dataDirectory)
            }
        }
        let total = study.spec.runs.count, start = Date(), alreadyDone = total - pending.count
        let tally = JobTally(done: alreadyDone)
        let slots = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        for run in pending {
            slots.wait()
            group.enter()
            Thread.detachNewThread {
                defer { slots.signal(); group.leave() }
                let status = self.train(run, study: study, reporter: reporter)
                lock.lock()
                tally.done += 1
                if status != 0 { tally.failures.append("\(run.config.folderName) (exit status \(status))") }
                let elapsed = Date().timeIntervalSince(start), finished = tally.done - alreadyDone
                let left = finished > 0 ? elapsed / Double(finished) * Double(total - tally.done) : 0
                reporter.log("[\(tally.done)/\(total) runs done] \(run.config.folderName)" +
                             (tally.done < total ? String(format: "; about %.0f min left", (left / 60).rounded(.up)) : ""))
                lock.unlock()
            }
        }
        group.wait()
        guard tally.failures.isEmpty else {
            throw StudyError("study \(study.spec.name): \(tally.failures.count) runs failed: " + tally.failures.joined(separator: ", "))
        }
    }

    /// One child process; its output lines (stdout and stderr together) go to the reporter.
    func train(_ run: RetrievalRun, study: Study, reporter: ProgressReporter) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: scanlab)
        p.arguments = ["train", "--config", run.folder + "/config.json", "--out", run.folder,
                       "--data", study.dataDirectory, "--threads", "\(threadsPerJob)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch {
            lock.lock(); reporter.log("\(run.config.folderName): cannot start \(scanlab): \(error)"); lock.unlock()
            return -1
        }
        // One reader drains the merged pipe, so the child can never block on a full one.
        var buffer = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if !line.hasPrefix("run folder:") { lock.lock(); reporter.log(line); lock.unlock() }
            }
        }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// How many runs are done and which failed, shared by the job threads under LocalJobs' lock.
private final class JobTally: @unchecked Sendable {
    var done: Int
    var failures: [String] = []
    init(done: Int) { self.done = done }
}
