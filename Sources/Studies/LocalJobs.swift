import DataLayout
import Dispatch
import Foundation
import SystemIO
import Tasks

/// Runs a study's runs side by side on this machine: up to `jobs` child processes of
/// `scanlab train --config <run>/config.json --out <run> --events -`, each with its share of
/// the threads. A child's standard output is its event stream (RunEvent JSON lines, relayed
/// to `onEvent` and this process's EventRelay); its standard error, the human log, goes to
/// the reporter.
/// Runs compute the same numbers on any thread count (see Parallel.reductionBlocks), so a
/// study with jobs gives the per-run metrics a serial one gives. An unfinished run resumes as
/// in a serial study. Children stop
/// (with a checkpoint) when this process dies, however it dies, and wait for a run that
/// another process still trains, as Slurm tasks do.
public struct LocalJobs {
    public let jobs: Int
    /// The scanlab executable the children run (this one, by default).
    public let scanlab: String
    /// Threads per child: the CPUs this process may use, shared out.
    public let threadsPerJob: Int
    /// Serialises the children's lines and the progress counts.
    private let lock = NSLock()
    /// Hands the children's events to `onEvent` in order, off the threads that read the
    /// children's output (a consumer may start processes of its own, gnuplot for live figures).
    private let delivery = DispatchQueue(label: "scanlab.local-jobs.events")

    public init(jobs: Int, scanlab: String, cpus: Int) {
        self.jobs = max(1, jobs)
        self.scanlab = scanlab
        threadsPerJob = max(1, cpus / max(1, jobs))
    }

    /// Trains every unfinished run of `study`; throws naming the runs whose process failed.
    public func run(_ study: Study, reporter: ProgressReporter, onEvent: ((RunEvent) -> Void)? = nil) throws {
        // Datasets first, once per task and seed, so the children only read them.
        let pending = try study.unfinishedRuns()
        var seen = Set<String>()
        for c in pending.map(\.config) {
            let task = try c.makeTask()
            if seen.insert(TaskDataset.fileName(task, trainSize: c.trainSize, evalSize: c.evalSize, seed: c.dataSeed)).inserted {
                _ = try TaskDataset.load(task, trainSize: c.trainSize, evalSize: c.evalSize, seed: c.dataSeed, data: study.data)
            }
            for t in try c.lengthTasks() where seen.insert(TaskDataset.heldOutFileName(t, evalSize: c.evalSize, seed: c.dataSeed)).inserted {
                _ = try TaskDataset.heldOut(t, evalSize: c.evalSize, seed: c.dataSeed, data: study.data)
            }
        }
        let total = study.spec.runs.count, start = Date(), alreadyDone = total - pending.count
        let tally = JobTally(done: alreadyDone)
        let slots = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        // A stop signal to this process (Ctrl-C reaches the children too, SIGTERM may not):
        // forward it once to every running child, which checkpoints, and start no more.
        let watcher = Thread {
            while StopSignal.received == nil && !tally.allLaunched { Thread.sleep(forTimeInterval: 0.1) }
            guard StopSignal.received != nil else { return }
            self.lock.lock(); let children = tally.running; self.lock.unlock()
            for pid in children { kill(pid, SIGTERM) }
        }
        watcher.start()
        for run in pending {
            slots.wait()
            if StopSignal.received != nil { slots.signal(); break }
            group.enter()
            Thread.detachNewThread {
                defer { slots.signal(); group.leave() }
                let status = self.train(run, study: study, reporter: reporter, onEvent: onEvent, tally: tally)
                lock.lock()
                defer { lock.unlock() }
                if status == StopSignal.resumableStatus { return }
                if status == 0 { tally.done += 1 } else { tally.failures.append("\(run.config.folderName) (exit status \(status))") }
                let ended = tally.done + tally.failures.count
                let elapsed = Date().timeIntervalSince(start), finished = ended - alreadyDone
                let left = finished > 0 ? elapsed / Double(finished) * Double(total - ended) : 0
                let failed = tally.failures.isEmpty ? "" : ", \(tally.failures.count) failed"
                reporter.log("[\(tally.done)/\(total) runs done\(failed)] \(run.config.folderName)" + (status == 0 ? "" : " failed") +
                             (ended < total ? String(format: "; about %.0f min left", (left / 60).rounded(.up)) : ""))
            }
        }
        group.wait()
        delivery.sync {}
        lock.lock(); tally.allLaunched = true; lock.unlock()
        if let signal = StopSignal.received {
            throw Interrupted(signal: signal, description: "study \(study.spec.name): interrupted by signal \(signal) with " +
                              "\(tally.done) of \(total) runs done (the others checkpointed); run the same command again to resume")
        }
        guard tally.failures.isEmpty else {
            throw StudyError("study \(study.spec.name): \(tally.failures.count) runs failed: " + tally.failures.joined(separator: ", "))
        }
    }

    /// One child process: its events to `onEvent` and the relay, its log lines to the reporter.
    func train(_ run: TaskRun, study: Study, reporter: ProgressReporter, onEvent: ((RunEvent) -> Void)?, tally: JobTally) -> Int32 {
        // The child's events come back through this process, so it relays none itself.
        let child = ChildProcess(scanlab, ["train", "--config", run.folder.config, "--out", run.folder.path,
                                           "--data", study.data.path, "--threads", "\(threadsPerJob)", "--wait", "--events", "-"],
                                 environment: [StopSignal.parentVariable: "\(getpid())", EventRelay.environmentVariable: ""])
        do {
            // Both streams' lines go to the reporter as they come.
            var pid: Int32 = 0
            let status = try child.run(onStart: { started in
                pid = started
                self.lock.lock(); tally.running.insert(started); self.lock.unlock()
            }) { stream, text in
                for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
                    self.lock.lock(); defer { self.lock.unlock() }
                    switch stream {
                    case .errors: reporter.log(String(line))
                    case .output:
                        guard let event = RunEvent.decode(line: line) else {
                            reporter.log("\(run.config.folderName): not an event on the child's standard output: \(line.prefix(200))")
                            continue
                        }
                        EventRelay.send(event)
                        if let onEvent { self.delivery.async { onEvent(event) } }
                    }
                }
            }.status
            lock.lock(); tally.running.remove(pid); lock.unlock()
            return status
        } catch {
            lock.lock(); reporter.log("\(run.config.folderName): cannot start \(scanlab): \(error)"); lock.unlock()
            return -1
        }
    }
}

/// How many runs are done, which failed and which children run, shared by the job threads
/// under LocalJobs' lock.
final class JobTally: @unchecked Sendable {
    var done: Int
    var failures: [String] = []
    var running = Set<Int32>()
    var allLaunched = false
    init(done: Int) { self.done = done }
}
