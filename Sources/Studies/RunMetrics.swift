import Checkpoints
import Foundation
import Tasks
import SystemIO

/// What a run records at every evaluation, saved as <run>/metrics.h5:
/// datasets step (int64), loss (mean training loss since the previous evaluation), accuracy
/// (held-out), position_accuracy (evaluations × L); attributes finished (0/1), reached_step
/// (first evaluated step at or above the threshold, −1 if none), threshold, and for a run that
/// diverged diverged_step and diverged_value (what was not finite); run_config, the
/// configuration the run was trained under (its canonical JSON), which readers trust over the
/// hand-editable config.json.
public struct RunMetrics: Equatable {
    public var steps: [Int] = []
    public var losses: [Double] = []
    public var accuracies: [Double] = []
    /// One row of L per evaluation.
    public var positionAccuracy: [[Double]] = []
    public var finished = false
    public var reachedStep: Int?
    public var threshold: Double
    /// Set when a step met a non-finite loss or gradient (the run then ends, finished).
    public var divergence: Divergence?
    /// The configuration these metrics were trained under (RunConfig.json); nil in files
    /// written before ScanLab recorded it.
    public var runConfiguration: String?

    public struct Divergence: Equatable, Sendable {
        public let step: Int
        /// What was not finite: "the loss (nan)", "the gradient of KEY".
        public let what: String
        public init(step: Int, what: String) { self.step = step; self.what = what }
    }

    public init(threshold: Double) { self.threshold = threshold }

    public mutating func record(step: Int, loss: Double, accuracy: Double, positions: [Double]) {
        steps.append(step); losses.append(loss); accuracies.append(accuracy); positionAccuracy.append(positions)
        if reachedStep == nil, accuracy >= threshold { reachedStep = step }
    }

    public func write(_ path: String, length: Int) throws {
        try HDF5File.writeAtomically(path) { f in
            try f.write("step", int64s: steps, shape: [steps.count])
            try f.write("loss", doubles: losses, shape: [losses.count])
            try f.write("accuracy", doubles: accuracies, shape: [accuracies.count])
            try f.write("position_accuracy", doubles: positionAccuracy.flatMap { $0 }, shape: [positionAccuracy.count, length])
            try f.setAttribute("finished", finished ? 1 : 0)
            try f.setAttribute("reached_step", reachedStep ?? -1)
            try f.setAttribute("threshold", threshold)
            if let divergence {
                try f.setAttribute("diverged_step", divergence.step)
                try f.setAttribute("diverged_value", divergence.what)
            }
            if let runConfiguration { try f.setAttribute("run_config", runConfiguration) }
        }
    }

    public static func read(_ path: String) throws -> RunMetrics {
        let f = try HDF5File(path, mode: .read)
        var m = RunMetrics(threshold: try f.doubleAttribute("threshold"))
        m.steps = try f.readInts("step").values
        m.losses = try f.readDoubles("loss").values
        m.accuracies = try f.readDoubles("accuracy").values
        let pa = try f.readDoubles("position_accuracy")
        let width = pa.shape.count == 2 ? pa.shape[1] : 0
        m.positionAccuracy = (0..<(pa.shape.first ?? 0)).map { Array(pa.values[($0 * width)..<(($0 + 1) * width)]) }
        m.finished = try f.intAttribute("finished") == 1
        let r = try f.intAttribute("reached_step")
        m.reachedStep = r >= 0 ? r : nil
        if try f.hasAttribute("diverged_step") {
            m.divergence = Divergence(step: try f.intAttribute("diverged_step"), what: try f.stringAttribute("diverged_value"))
        }
        if try f.hasAttribute("run_config") { m.runConfiguration = try f.stringAttribute("run_config") }
        return m
    }

    /// The configuration these metrics record, decoded; nil when none is recorded.
    public func recordedConfiguration(source: String) throws -> RunConfig? {
        guard let runConfiguration else { return nil }
        do { return try JSONRecord.decode(RunConfig.self, from: Data(runConfiguration.utf8), source: source) } catch let e as SystemIOError {
            throw StudyError(e.description)
        }
    }

    /// As a flat dictionary for training checkpoints.
    var checkpointMetrics: [String: (values: [Double], shape: [Int])] {
        ["step": (steps.map(Double.init), [steps.count]), "loss": (losses, [losses.count]),
         "accuracy": (accuracies, [accuracies.count]),
         "position_accuracy": (positionAccuracy.flatMap { $0 }, [positionAccuracy.count, positionAccuracy.first?.count ?? 0])]
    }

    init(checkpoint: [String: (values: [Double], shape: [Int])], threshold: Double) {
        self.threshold = threshold
        steps = (checkpoint["step"]?.values ?? []).map { Int($0) }
        losses = checkpoint["loss"]?.values ?? []
        accuracies = checkpoint["accuracy"]?.values ?? []
        if let pa = checkpoint["position_accuracy"], pa.shape.count == 2, pa.shape[1] > 0 {
            positionAccuracy = (0..<pa.shape[0]).map { Array(pa.values[($0 * pa.shape[1])..<(($0 + 1) * pa.shape[1])]) }
        }
        reachedStep = zip(steps, accuracies).first { $0.1 >= threshold }?.0
    }
}
