import DataLayout
import Foundation
import SystemIO

/// A run as a study, its summary and its figures see it: the configuration it was trained
/// under, what it recorded, and the machine that trained it last. Study.run returns these; the
/// loaders below read them back from folders (for `scanlab plot`, notebooks and the REPL).
public struct RunRecord {
    public let config: RunConfig
    public var metrics: RunMetrics
    /// The machine type that trained the run last (provenance.json), when recorded.
    public var machine: String?

    public init(config: RunConfig, metrics: RunMetrics, machine: String? = nil) {
        self.config = config; self.metrics = metrics; self.machine = machine
    }

    public var label: String {
        let task = config.taskKind == .positionRetrieval ? "" : config.taskKind.rawValue + " "
        return "\(config.modelLabel) \(task)L=\(config.length) \(config.variant.rawValue) lr=\(String(format: "%g", config.lr)) seed=\(config.seed)"
    }

    /// Its row of summary.csv.
    public var summaryRow: SummaryRow {
        SummaryRow(model: config.model, task: config.taskKind, taskParameters: config.taskParameterText, length: config.length,
                   variant: config.variant, hidden: config.hidden, lr: config.lr, seed: config.seed, reachedStep: metrics.reachedStep,
                   finalAccuracy: metrics.accuracies.last, finalExactMatch: metrics.exactMatches.last, machine: machine,
                   divergedStep: metrics.divergence?.step)
    }

    /// Reads a run folder's metrics.h5 and the configuration it was trained under: the record
    /// in metrics.h5 (what the trainer wrote), so a hand-edited config.json never relabels a
    /// figure; config.json only for runs from before ScanLab kept that record.
    public static func load(runFolder: RunFolder) throws -> RunRecord {
        let metricsPath = runFolder.metrics
        let configPath = runFolder.config
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            if !FileManager.default.fileExists(atPath: configPath) { throw StudyError("\(runFolder): no config.json (not a run folder)") }
            throw StudyError("\(runFolder): no metrics.h5 yet (the run has not reached its first evaluation)")
        }
        let metrics = try RunMetrics.read(metricsPath)
        let machine = RunProvenance.read(runFolder.provenance)?.machineTypes.last
        if let recorded = try metrics.recordedConfiguration(source: metricsPath + " (attribute run_config)") {
            return RunRecord(config: recorded, metrics: metrics, machine: machine)
        }
        do {
            guard let config = try JSONRecord.read(RunConfig.self, from: configPath) else {
                throw StudyError("\(runFolder): no config.json, and its metrics.h5 records no configuration")
            }
            return RunRecord(config: config, metrics: metrics, machine: machine)
        } catch let e as SystemIOError {
            throw StudyError("\(e.description) (not a ScanLab run configuration, and metrics.h5 records none)")
        }
    }

    /// The runs of a study folder (<data>/studies/<name>) that have metrics. A run that has
    /// metrics but cannot be read is an error naming it, never a run silently left out.
    public static func load(studyFolder: StudyFolder) throws -> (spec: StudySpec, runs: [RunRecord]) {
        let specPath = studyFolder.spec
        let spec: StudySpec
        do {
            guard let s = try JSONRecord.read(StudySpec.self, from: specPath) else {
                throw StudyError("\(studyFolder): no study.json (not a study folder)")
            }
            spec = s
        } catch let e as SystemIOError { throw StudyError(e.description) }
        var runs: [RunRecord] = []
        for c in spec.runs {
            let folder = studyFolder.data.run(c.folderName)
            guard FileManager.default.fileExists(atPath: folder.metrics) else { continue }
            do { runs.append(try load(runFolder: folder)) } catch {
                throw StudyError("study \(spec.name): run \(c.folderName) cannot be read: \(error)")
            }
        }
        guard !runs.isEmpty else { throw StudyError("\(studyFolder): none of the study's runs has metrics yet") }
        return (spec, runs)
    }
}
