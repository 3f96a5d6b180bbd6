import Foundation
import RetrievalStudy

public struct PlotError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RunRecord {
    /// Reads a run folder's config.json and metrics.h5.
    public static func load(runFolder: String) throws -> RunRecord {
        let configPath = runFolder + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw PlotError("\(runFolder): no config.json (not a run folder)")
        }
        let config: RunConfig
        do { config = try JSONDecoder().decode(RunConfig.self, from: data) } catch {
            throw PlotError("\(configPath): not a ScanLab run configuration (\(error))")
        }
        let metricsPath = runFolder + "/metrics.h5"
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            throw PlotError("\(runFolder): no metrics.h5 yet (the run has not reached its first evaluation)")
        }
        return RunRecord(config: config, metrics: try RunMetrics.read(metricsPath))
    }

    /// The runs of a study folder (<data>/studies/<name>) that have metrics.
    public static func load(studyFolder: String) throws -> (spec: StudySpec, runs: [RunRecord]) {
        guard let data = FileManager.default.contents(atPath: studyFolder + "/study.json") else {
            throw PlotError("\(studyFolder): no study.json (not a study folder)")
        }
        let spec = try JSONDecoder().decode(StudySpec.self, from: data)
        let dataDirectory = URL(fileURLWithPath: studyFolder).deletingLastPathComponent().deletingLastPathComponent().path
        let runs = spec.runs.compactMap { try? load(runFolder: dataDirectory + "/runs/" + $0.folderName) }
        guard !runs.isEmpty else { throw PlotError("\(studyFolder): none of the study's runs has metrics yet") }
        return (spec, runs)
    }
}
