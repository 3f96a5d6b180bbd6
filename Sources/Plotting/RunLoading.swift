import DataLayout
import Foundation
import Studies
import SystemIO
import Tasks

public struct PlotError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RunRecord {
    /// Reads a run folder's metrics.h5 and the configuration it was trained under: the record
    /// in metrics.h5 (what the trainer wrote), so a hand-edited config.json never relabels a
    /// figure; config.json only for runs from before ScanLab kept that record.
    public static func load(runFolder: RunFolder) throws -> RunRecord {
        let metricsPath = runFolder.metrics
        let configPath = runFolder.config
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            if !FileManager.default.fileExists(atPath: configPath) { throw PlotError("\(runFolder): no config.json (not a run folder)") }
            throw PlotError("\(runFolder): no metrics.h5 yet (the run has not reached its first evaluation)")
        }
        let metrics = try RunMetrics.read(metricsPath)
        if let recorded = try metrics.recordedConfiguration(source: metricsPath + " (attribute run_config)") {
            return RunRecord(config: recorded, metrics: metrics)
        }
        do {
            guard let config = try JSONRecord.read(RunConfig.self, from: configPath) else {
                throw PlotError("\(runFolder): no config.json, and its metrics.h5 records no configuration")
            }
            return RunRecord(config: config, metrics: metrics)
        } catch let e as SystemIOError {
            throw PlotError("\(e.description) (not a ScanLab run configuration, and metrics.h5 records none)")
        }
    }

    /// The runs of a study folder (<data>/studies/<name>) that have metrics. A run that has
    /// metrics but cannot be read is an error naming it, never a run silently left out.
    public static func load(studyFolder: StudyFolder) throws -> (spec: StudySpec, runs: [RunRecord]) {
        let specPath = studyFolder.spec
        let spec: StudySpec
        do {
            guard let s = try JSONRecord.read(StudySpec.self, from: specPath) else {
                throw PlotError("\(studyFolder): no study.json (not a study folder)")
            }
            spec = s
        } catch let e as SystemIOError { throw PlotError(e.description) }
        var runs: [RunRecord] = []
        for c in spec.runs {
            let folder = studyFolder.data.run(c.folderName)
            guard FileManager.default.fileExists(atPath: folder.metrics) else { continue }
            do { runs.append(try load(runFolder: folder)) } catch {
                throw PlotError("study \(spec.name): run \(c.folderName) cannot be drawn: \(error)")
            }
        }
        guard !runs.isEmpty else { throw PlotError("\(studyFolder): none of the study's runs has metrics yet") }
        return (spec, runs)
    }
}
