import DataLayout
import Foundation
import Studies
import SystemIO

/// Runs' records as their events arrive: what live figures draw. A run that resumes starts
/// from what its folder recorded before it stopped (metrics.h5 up to the step it resumes at).
public final class RunHistory {
    /// The runs in the order their first event came.
    public private(set) var order: [String] = []
    private var records: [String: RunRecord] = [:]
    private let folder: (String) -> RunFolder?
    private let configs: [String: RunConfig]

    /// `folder` finds a run's folder from its name (nil: the run's history starts at its first event);
    /// `configs` are the runs' configurations when known (else read from their folders).
    public init(configs: [RunConfig] = [], folder: @escaping (String) -> RunFolder?) {
        self.configs = Dictionary(configs.map { ($0.folderName, $0) }, uniquingKeysWith: { a, _ in a })
        self.folder = folder
    }

    public var runs: [RunRecord] { order.compactMap { records[$0] } }
    public func record(_ run: String) -> RunRecord? { records[run] }

    /// Takes one event; true when it changed a run's curves.
    @discardableResult
    public func take(_ event: RunEvent) -> Bool {
        switch event.kind {
        case .started(let s):
            guard let r = startRecord(event.run, upTo: s.step) else { return false }
            if records[event.run] == nil { order.append(event.run) }
            records[event.run] = r
            return true
        case .evaluated(let e):
            if records[event.run] == nil {
                guard let r = startRecord(event.run, upTo: e.step - 1) else { return false }
                order.append(event.run); records[event.run] = r
            }
            records[event.run]!.metrics.record(step: e.step, loss: e.loss, accuracy: e.accuracy, exactMatch: e.exactMatch,
                                               positions: e.slotAccuracy, lengths: e.lengthAccuracy)
            return true
        case .finished:
            records[event.run]?.metrics.finished = true
            return false
        case .checkpointed, .diverged, .interrupted:
            return false
        }
    }

    /// The run's configuration and the evaluations its folder holds up to `step`.
    private func startRecord(_ run: String, upTo step: Int) -> RunRecord? {
        let f = folder(run)
        guard let config = configs[run] ?? f.flatMap({ try? JSONRecord.read(RunConfig.self, from: $0.config) }) else { return nil }
        var metrics = RunMetrics(threshold: config.threshold)
        if let f, let stored = try? RunMetrics.read(f.metrics) {
            for i in stored.steps.indices where stored.steps[i] <= step {
                metrics.record(step: stored.steps[i], loss: stored.losses[i], accuracy: stored.accuracies[i],
                               exactMatch: stored.exactMatches.indices.contains(i) ? stored.exactMatches[i] : nil,
                               positions: stored.slotAccuracy.indices.contains(i) ? stored.slotAccuracy[i] : [],
                               lengths: stored.lengthAccuracy.indices.contains(i) ? stored.lengthAccuracy[i] : [])
            }
        }
        return RunRecord(config: config, metrics: metrics)
    }
}
