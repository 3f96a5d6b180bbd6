import Checkpoints
import Foundation
import HDF5
import SystemIO
import Tasks

/// What a run records at every evaluation, saved as <run>/metrics.h5:
/// datasets step (int64), loss (mean training loss since the previous evaluation), accuracy
/// (held-out, per answer token), exact_match (held-out examples with every answer right),
/// slot_accuracy (evaluations × the task's slots: target positions, key indices, …; files
/// written before the task contract call it position_accuracy), and with evaluation lengths
/// length_accuracy (evaluations × lengths, attribute eval_lengths "64,128"); attributes
/// slot_name, finished (0/1), reached_step
/// (first evaluated step at or above the threshold, −1 if none), threshold, and for a run that
/// diverged diverged_step and diverged_value (what was not finite); run_config, the
/// configuration the run was trained under (its canonical JSON), which readers trust over the
/// hand-editable config.json.
public struct RunMetrics: Equatable {
    public var steps: [Int] = []
    public var losses: [Double] = []
    public var accuracies: [Double] = []
    /// Per evaluation, the fraction of held-out examples with every answer right (empty in
    /// files written before ScanLab recorded it).
    public var exactMatches: [Double] = []
    /// One row per evaluation: accuracy per slot.
    public var slotAccuracy: [[Double]] = []
    /// What a slot is ("target position"); nil in files written before the task contract.
    public var slotName: String?
    /// The held-out lengths evaluated besides the training length, and per evaluation the
    /// accuracy at each.
    public var evalLengths: [Int] = []
    public var lengthAccuracy: [[Double]] = []
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

    public mutating func record(step: Int, loss: Double, accuracy: Double, exactMatch: Double? = nil, positions: [Double],
                                lengths: [Double] = []) {
        steps.append(step); losses.append(loss); accuracies.append(accuracy); slotAccuracy.append(positions)
        exactMatches.append(exactMatch ?? accuracy)
        if !lengths.isEmpty { lengthAccuracy.append(lengths) }
        if reachedStep == nil, accuracy >= threshold { reachedStep = step }
    }

    /// The per-evaluation arrays under the names metrics.h5 and a checkpoint's metrics group
    /// both use: one list, so the two never disagree on what a run recorded.
    func arrays(slots: Int) -> [(name: String, values: [Double], shape: [Int])] {
        var out: [(name: String, values: [Double], shape: [Int])] = [
            ("step", steps.map(Double.init), [steps.count]), ("loss", losses, [losses.count]),
            ("accuracy", accuracies, [accuracies.count]), ("exact_match", exactMatches, [exactMatches.count]),
            ("slot_accuracy", slotAccuracy.flatMap { $0 }, [slotAccuracy.count, slots]),
        ]
        if !evalLengths.isEmpty { out.append(("length_accuracy", lengthAccuracy.flatMap { $0 }, [lengthAccuracy.count, evalLengths.count])) }
        return out
    }

    public func write(_ path: String, slots: Int) throws {
        try HDF5File.writeAtomically(path) { f in
            for a in arrays(slots: slots) {
                // Steps stay integers in metrics.h5 (readers index with them).
                if a.name == "step" { try f.write(a.name, int64s: steps, shape: a.shape) } else { try f.write(a.name, doubles: a.values, shape: a.shape) }
            }
            if let slotName { try f.setAttribute("slot_name", slotName) }
            if !evalLengths.isEmpty { try f.setAttribute("eval_lengths", evalLengths.map(String.init).joined(separator: ",")) }
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
        m.slotAccuracy = rows(try f.readDoubles(try f.exists("slot_accuracy") ? "slot_accuracy" : "position_accuracy"))
        if try f.exists("exact_match") { m.exactMatches = try f.readDoubles("exact_match").values }
        if try f.hasAttribute("slot_name") { m.slotName = try f.stringAttribute("slot_name") }
        if try f.hasAttribute("eval_lengths") {
            m.evalLengths = try f.stringAttribute("eval_lengths").split(separator: ",").compactMap { Int($0) }
            m.lengthAccuracy = rows(try f.readDoubles("length_accuracy"))
        }
        m.finished = try f.intAttribute("finished") == 1
        let r = try f.intAttribute("reached_step")
        m.reachedStep = r >= 0 ? r : nil
        if try f.hasAttribute("diverged_step") {
            m.divergence = Divergence(step: try f.intAttribute("diverged_step"), what: try f.stringAttribute("diverged_value"))
        }
        if try f.hasAttribute("run_config") { m.runConfiguration = try f.stringAttribute("run_config") }
        return m
    }

    /// A [rows, width] dataset as rows.
    static func rows(_ d: (values: [Double], shape: [Int])) -> [[Double]] {
        let width = d.shape.count == 2 ? d.shape[1] : 0
        return (0..<(d.shape.first ?? 0)).map { Array(d.values[($0 * width)..<(($0 + 1) * width)]) }
    }

    /// The configuration these metrics record, decoded; nil when none is recorded.
    public func recordedConfiguration(source: String) throws -> RunConfig? {
        guard let runConfiguration else { return nil }
        do { return try JSONRecord.decode(RunConfig.self, from: Data(runConfiguration.utf8), source: source) } catch let e as SystemIOError {
            throw StudyError(e.description)
        }
    }

    /// The same arrays as a training checkpoint's metrics group.
    func checkpointMetrics(slots: Int) -> [String: (values: [Double], shape: [Int])] {
        Dictionary(arrays(slots: slots).map { ($0.name, ($0.values, $0.shape)) }, uniquingKeysWith: { a, _ in a })
    }

    init(checkpoint: [String: (values: [Double], shape: [Int])], threshold: Double) {
        self.threshold = threshold
        steps = (checkpoint["step"]?.values ?? []).map { Int($0) }
        losses = checkpoint["loss"]?.values ?? []
        accuracies = checkpoint["accuracy"]?.values ?? []
        // Checkpoints from before exact match was recorded: one answer per example, so it equals accuracy.
        exactMatches = checkpoint["exact_match"]?.values ?? accuracies
        if let pa = checkpoint["slot_accuracy"] ?? checkpoint["position_accuracy"], pa.shape.count == 2, pa.shape[1] > 0 {
            slotAccuracy = Self.rows(pa)
        }
        if let la = checkpoint["length_accuracy"], la.shape.count == 2, la.shape[1] > 0 { lengthAccuracy = Self.rows(la) }
        reachedStep = zip(steps, accuracies).first { $0.1 >= threshold }?.0
    }
}
