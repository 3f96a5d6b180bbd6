import DataLayout
import Foundation
import SystemIO
import Tasks

/// Runs a study's unfinished runs as one Slurm job array: each array task calls
/// `scanlab train --config <run>/config.json --out <run>` on the shared run folder, so a task
/// that is cancelled, preempted or requeued resumes from the run's last checkpoint.
public struct SlurmBackend {
    public var partition: String?
    public var cpusPerTask = 2
    public var time: String?
    /// The scanlab executable the tasks call (this one, by default).
    public var scanlab: String

    public init(scanlab: String, partition: String? = nil, cpusPerTask: Int = 2, time: String? = nil) {
        self.scanlab = scanlab; self.partition = partition; self.cpusPerTask = cpusPerTask; self.time = time
    }

    /// How long before its time limit a task is told to stop (one step and a checkpoint fit).
    static let warningSeconds = 120

    /// Prepares every run folder, writes <study>/slurm/array.sbatch for the unfinished runs and
    /// returns its path and the run folders it covers (empty: nothing to submit).
    public func writeScript(_ study: Study) throws -> (script: String, runs: [String]) {
        try study.writeSpec()
        let pending = try study.unfinishedRuns().map(\.folder.path)
        try Folders.create(study.folder.slurmLogs)
        let path = study.folder.slurmScript
        guard !pending.isEmpty else { return (path, []) }
        let q = ShellQuoting.alwaysQuoted
        var lines = [
            "#!/bin/bash",
            "# ScanLab study \(study.spec.name): one array task per unfinished run. Resubmitting resumes runs.",
            "#SBATCH --job-name=scanlab-\(study.spec.name)",
            "#SBATCH --array=0-\(pending.count - 1)",
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --output=\(study.folder.slurmLogs)/%A_%a.out",
            // Requeued by Slurm when preempted. Two minutes before the time limit the batch shell
            // gets SIGUSR1 and passes SIGTERM on to scanlab, which checkpoints and exits 75; then
            // the task requeues itself. A SIGTERM of its own (scancel) is passed on the same way
            // but not requeued: a cancelled task stays cancelled.
            "#SBATCH --requeue",
            "#SBATCH --signal=B:USR1@\(Self.warningSeconds)",
        ]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time { lines.append("#SBATCH --time=\(time)") }
        lines += [
            "RUNS=(", pending.map { "  " + q($0) }.joined(separator: "\n"), ")",
            "RUN=\"${RUNS[$SLURM_ARRAY_TASK_ID]}\"",
            "TIME_LIMIT=0",
            "trap 'kill -TERM \"$TRAINER\" 2>/dev/null' TERM",
            "trap 'TIME_LIMIT=1; kill -TERM \"$TRAINER\" 2>/dev/null' USR1",
            "\(q(scanlab)) train --config \"$RUN/config.json\" --out \"$RUN\" --data \(q(study.data.path)) --wait &",
            "TRAINER=$!",
            "wait \"$TRAINER\"; STATUS=$?",
            "# wait returns early when the trap fires: wait again for the checkpoint to be written.",
            "if [ \"$STATUS\" -gt 128 ]; then wait \"$TRAINER\"; STATUS=$?; fi",
            "if [ \"$STATUS\" -eq \(StopSignal.resumableStatus) ] && [ \"$TIME_LIMIT\" -eq 1 ]; then",
            "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" || true",
            "fi",
            "exit \"$STATUS\"",
        ]
        try AtomicFile.write(path, text: lines.joined(separator: "\n") + "\n")
        return (path, pending)
    }

    /// Submits the script with sbatch; returns the job id.
    public func submit(_ script: String, study: Study) throws -> String {
        let (status, out, err) = try Self.command(["sbatch", "--parsable", script])
        guard status == 0 else { throw StudyError("sbatch failed (\(status)): \(err.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let job = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        try AtomicFile.write(study.folder.slurmJobID, text: job)
        return job
    }

    /// Each run's state from its folder, plus squeue's view of the last submitted job.
    public func status(_ study: Study) throws -> (runs: [(String, String)], queue: String) {
        var runs: [(String, String)] = []
        for c in study.spec.runs {
            let run = try TaskRun(studyRun: c, dataDirectory: study.data.path)
            runs.append((c.folderName, run.statusLine))
        }
        var queue = "no job submitted"
        if let job = try? String(contentsOfFile: study.folder.slurmJobID, encoding: .utf8) {
            let (status, out, err) = try Self.command(["squeue", "-h", "-j", job, "-o", "%i %T %M %R"])
            queue = status == 0 ? (out.isEmpty ? "job \(job): no tasks queued or running" : out)
                                : "squeue failed: \(err.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return (runs, queue)
    }

    /// Runs a Slurm client command; a missing client is a clear error.
    static func command(_ args: [String]) throws -> (Int32, String, String) {
        let r: ChildProcess.Outcome
        do { r = try ChildProcess.run(args[0], Array(args.dropFirst())) } catch {
            throw StudyError("cannot run \(args[0]): \(error) (is Slurm installed? its client commands are needed)")
        }
        return (r.status, r.output, r.errors)
    }
}
