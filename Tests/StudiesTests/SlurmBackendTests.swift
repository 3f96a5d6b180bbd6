import Foundation
import SystemIO
import Studies
import Tasks
import TestSupport
import XCTest

/// The Slurm backend against a real single-node Slurm (.ci/run starts one with
/// Scripts/start-slurm and sets SCANLAB_SLURM_TESTS=1). Without that variable these tests are
/// skipped with the reason; with it, a scheduler that does not answer fails them.
final class SlurmBackendTests: TemporaryDirectoryTestCase {
    var scanlab: String { URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("scanlab").path }

    /// Four tiny runs: both models × both placements at L = 4.
    func arguments(_ name: String, data: String, steps: Int = 40, models: String = "pythia,mamba", variants: String = "suffix,prefix") -> [String] {
        ["--preset", "quick", "--name", name, "--lengths", "4", "--seeds", "0", "--models", models, "--variants", variants,
         "--hidden", "16", "--layers", "1", "--heads", "2", "--state-size", "4", "--batch", "8", "--steps", "\(steps)",
         "--eval-every", "10", "--train-size", "64", "--eval-size", "16", "--no-early-stop", "--data", data]
    }

    @discardableResult
    func scanlab(_ args: [String]) throws -> String {
        let r = try ChildProcess.run(scanlab, args)
        guard r.status == 0 else { throw NSError(domain: "scanlab", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.output + r.errors]) }
        return r.output + r.errors
    }

    func shell(_ command: String) -> String {
        guard let r = try? ChildProcess.run("/bin/sh", ["-c", command]) else { return "" }
        return r.output + r.errors
    }

    func requireSlurm() throws {
        guard ProcessInfo.processInfo.environment["SCANLAB_SLURM_TESTS"] == "1" else {
            throw XCTSkip("Slurm tests need a running single-node Slurm: Scripts/start-slurm, then SCANLAB_SLURM_TESTS=1 (.ci/run does this)")
        }
        let info = shell("sinfo -h -o %T 2>&1")
        guard info.contains("idle") || info.contains("mixed") || info.contains("allocated") else {
            return XCTFail("SCANLAB_SLURM_TESTS=1 but Slurm does not answer: \(info)")
        }
        guard FileManager.default.isExecutableFile(atPath: scanlab) else { return XCTFail("scanlab is not built at \(scanlab)") }
    }

    func waitForQueueToEmpty(_ job: String, seconds: Double = 240) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if shell("squeue -h -j \(job) 2>/dev/null").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTFail("job \(job) still queued after \(seconds) s: \(shell("squeue -j \(job)"))")
    }

    func jobID(_ output: String) -> String {
        output.components(separatedBy: "submitted job ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    func testDryRunWritesOneArrayTaskPerUnfinishedRun() throws {
        guard FileManager.default.isExecutableFile(atPath: scanlab) else { throw XCTSkip("scanlab is not built at \(scanlab)") }
        let out = try scanlab(["study"] + arguments("dry", data: dir + "/Data") + ["--backend", "slurm", "--dry-run",
                              "--partition", "cpu", "--time", "1:00:00", "--cpus-per-task", "2"])
        XCTAssertTrue(out.contains("4 array tasks"), out)
        let script = try String(contentsOfFile: dir + "/Data/studies/dry/slurm/array.sbatch", encoding: .utf8)
        for line in ["#SBATCH --array=0-3", "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --cpus-per-task=2", "#SBATCH --requeue",
                     "#SBATCH --signal=B:USR1@120"] {
            XCTAssertTrue(script.contains(line), script)
        }
        XCTAssertEqual(script.components(separatedBy: "/runs/").count - 1, 4, script)
        XCTAssertTrue(script.contains("train --config \"$RUN/config.json\" --out \"$RUN\""), script)
    }

    func testStudyThroughSbatchCollectsTheSameSummaryAsALocalRun() throws {
        try requireSlurm()
        let submitted = try scanlab(["study"] + arguments("cluster", data: dir + "/Slurm") + ["--backend", "slurm"])
        let job = jobID(submitted)
        XCTAssertFalse(job.isEmpty, submitted)
        waitForQueueToEmpty(job)
        let status = try scanlab(["study", "status"] + arguments("cluster", data: dir + "/Slurm"))
        XCTAssertEqual(status.components(separatedBy: ": finished").count - 1, 4, status)
        try scanlab(["study", "collect"] + arguments("cluster", data: dir + "/Slurm"))
        try scanlab(["study"] + arguments("cluster", data: dir + "/Local"))
        let remote = try String(contentsOfFile: dir + "/Slurm/studies/cluster/summary.csv", encoding: .utf8)
        let local = try String(contentsOfFile: dir + "/Local/studies/cluster/summary.csv", encoding: .utf8)
        XCTAssertEqual(remote, local)
        // Submitting again finds nothing to do.
        XCTAssertTrue(try scanlab(["study"] + arguments("cluster", data: dir + "/Slurm") + ["--backend", "slurm"]).contains("every run"))
    }

    func testCancelledTaskResumesFromItsCheckpointWhenResubmitted() throws {
        try requireSlurm()
        let args = arguments("cancel", data: dir + "/Slurm", steps: 400, models: "mamba", variants: "suffix")
        let job = jobID(try scanlab(["study"] + args + ["--backend", "slurm"]))
        // Cancel once the run has written an evaluation (and its checkpoint).
        let runs = dir + "/Slurm/runs"
        let deadline = Date().addingTimeInterval(120)
        var metrics: String?
        while Date() < deadline, metrics == nil {
            metrics = (try? FileManager.default.contentsOfDirectory(atPath: runs))?.first.map { runs + "/" + $0 + "/metrics.h5" }
                .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertNotNil(metrics, "no evaluation was written")
        _ = shell("scancel \(job)")
        waitForQueueToEmpty(job)
        let status = try scanlab(["study", "status"] + args)
        XCTAssertTrue(status.contains("interrupted at step"), status)
        let job2 = jobID(try scanlab(["study"] + args + ["--backend", "slurm"]))
        waitForQueueToEmpty(job2)
        let logs = dir + "/Slurm/studies/cancel/slurm/logs"
        let log = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0.hasPrefix(job2) }
            .map { try String(contentsOfFile: logs + "/" + $0, encoding: .utf8) }.joined()
        XCTAssertTrue(log.contains("resuming at step"), log)
        try scanlab(["study", "collect"] + args)
        try scanlab(["study"] + arguments("cancel", data: dir + "/Local", steps: 400, models: "mamba", variants: "suffix"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/Slurm/studies/cancel/summary.csv", encoding: .utf8),
                       try String(contentsOfFile: dir + "/Local/studies/cancel/summary.csv", encoding: .utf8))
    }
}
