import Foundation

/// What happens to a run, as it happens: one JSON object per line, flat and readable with jq,
/// in <run>/events.jsonl and on `scanlab train --events -`'s standard output:
///
///     {"accuracy":0.41,…,"event":"evaluated","loss":1.83,…,"run":"pythia-L8-…","step":200,"time":1764790000.5}
///
/// (keys sorted; every event has event, run, time and step).
///
/// Every consumer that follows a run (the local jobs backend, live plots, TensorBoard) reads
/// these; none parses the human log lines, which stay for people.
public struct RunEvent: Equatable, Sendable {
    /// The run's folder name.
    public let run: String
    /// Wall time, seconds since 1970.
    public let time: Double
    public let kind: Kind

    public enum Kind: Equatable, Sendable {
        /// Training starts (step 0) or resumes (at a checkpoint's step).
        case started(Start)
        /// A held-out evaluation: the values metrics.h5 records for it.
        case evaluated(Evaluation)
        /// A checkpoint was saved at this step.
        case checkpointed(step: Int)
        /// The budget or the threshold (with early stop) was reached.
        case finished(Finish)
        /// A non-finite loss or gradient ended the run; the last good checkpoint stays.
        case diverged(step: Int, what: String)
        /// A stop signal ended training with a checkpoint; the run resumes when run again.
        case interrupted(step: Int, signal: Int32)
    }

    public struct Start: Equatable, Sendable {
        public var step: Int
        public var steps: Int
        public var parameters: Int
        /// The family and the task as the run's log names them ("pythia", "mqar length 64, …").
        public var model: String
        public var task: String
        /// A short label for plot keys (RunConfig.shortLabel).
        public var label: String
        public var resumed: Bool

        public init(step: Int, steps: Int, parameters: Int, model: String, task: String, label: String, resumed: Bool) {
            (self.step, self.steps, self.parameters, self.model, self.task, self.label, self.resumed) = (step, steps, parameters, model, task, label, resumed)
        }
    }

    public struct Evaluation: Equatable, Sendable {
        public var step: Int
        /// Mean training loss since the previous evaluation.
        public var loss: Double
        /// Held-out accuracy per answer token, and per example with every answer right.
        public var accuracy: Double
        public var exactMatch: Double
        /// Accuracy per slot (what a slot is: `slotName`).
        public var slotAccuracy: [Double]
        public var slotName: String
        /// Accuracy at each held-out length besides the training length.
        public var evalLengths: [Int]
        public var lengthAccuracy: [Double]

        public init(step: Int, loss: Double, accuracy: Double, exactMatch: Double, slotAccuracy: [Double], slotName: String,
                    evalLengths: [Int], lengthAccuracy: [Double]) {
            (self.step, self.loss, self.accuracy, self.exactMatch) = (step, loss, accuracy, exactMatch)
            (self.slotAccuracy, self.slotName, self.evalLengths, self.lengthAccuracy) = (slotAccuracy, slotName, evalLengths, lengthAccuracy)
        }
    }

    public struct Finish: Equatable, Sendable {
        public var step: Int
        public var reachedStep: Int?
        public var finalAccuracy: Double?

        public init(step: Int, reachedStep: Int?, finalAccuracy: Double?) {
            (self.step, self.reachedStep, self.finalAccuracy) = (step, reachedStep, finalAccuracy)
        }
    }

    public init(run: String, time: Double = Date().timeIntervalSince1970, kind: Kind) {
        self.run = run
        self.time = time
        self.kind = kind
    }

    /// The step the event is at.
    public var step: Int {
        switch kind {
        case .started(let s): s.step
        case .evaluated(let e): e.step
        case .checkpointed(let step), .diverged(let step, _), .interrupted(let step, _): step
        case .finished(let f): f.step
        }
    }

    /// The evaluation, for the consumers that only draw curves.
    public var evaluation: Evaluation? {
        if case .evaluated(let e) = kind { return e }
        return nil
    }
}

extension RunEvent: Codable {
    enum Name: String, Codable {
        case started, evaluated, checkpointed, finished, diverged, interrupted
    }

    enum CodingKeys: String, CodingKey {
        case event, run, time, step, steps, parameters, model, task, label, resumed, loss, accuracy
        case exactMatch = "exact_match", slotAccuracy = "slot_accuracy", slotName = "slot_name"
        case evalLengths = "eval_lengths", lengthAccuracy = "length_accuracy"
        case reachedStep = "reached_step", finalAccuracy = "final_accuracy", what, signal
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(time, forKey: .time)
        try c.encode(step, forKey: .step)
        switch kind {
        case .started(let s):
            try c.encode(Name.started, forKey: .event)
            try c.encode(s.steps, forKey: .steps)
            try c.encode(s.parameters, forKey: .parameters)
            try c.encode(s.model, forKey: .model)
            try c.encode(s.task, forKey: .task)
            try c.encode(s.label, forKey: .label)
            try c.encode(s.resumed, forKey: .resumed)
        case .evaluated(let e):
            try c.encode(Name.evaluated, forKey: .event)
            try c.encode(e.loss, forKey: .loss)
            try c.encode(e.accuracy, forKey: .accuracy)
            try c.encode(e.exactMatch, forKey: .exactMatch)
            try c.encode(e.slotAccuracy, forKey: .slotAccuracy)
            try c.encode(e.slotName, forKey: .slotName)
            try c.encode(e.evalLengths, forKey: .evalLengths)
            try c.encode(e.lengthAccuracy, forKey: .lengthAccuracy)
        case .checkpointed:
            try c.encode(Name.checkpointed, forKey: .event)
        case .finished(let f):
            try c.encode(Name.finished, forKey: .event)
            try c.encodeIfPresent(f.reachedStep, forKey: .reachedStep)
            try c.encodeIfPresent(f.finalAccuracy, forKey: .finalAccuracy)
        case .diverged(_, let what):
            try c.encode(Name.diverged, forKey: .event)
            try c.encode(what, forKey: .what)
        case .interrupted(_, let signal):
            try c.encode(Name.interrupted, forKey: .event)
            try c.encode(signal, forKey: .signal)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        run = try c.decode(String.self, forKey: .run)
        time = try c.decode(Double.self, forKey: .time)
        let step = try c.decode(Int.self, forKey: .step)
        switch try c.decode(Name.self, forKey: .event) {
        case .started:
            kind = .started(Start(step: step, steps: try c.decode(Int.self, forKey: .steps), parameters: try c.decode(Int.self, forKey: .parameters),
                                  model: try c.decode(String.self, forKey: .model), task: try c.decode(String.self, forKey: .task),
                                  label: try c.decode(String.self, forKey: .label),
                                  resumed: try c.decode(Bool.self, forKey: .resumed)))
        case .evaluated:
            kind = .evaluated(Evaluation(step: step, loss: try c.decode(Double.self, forKey: .loss), accuracy: try c.decode(Double.self, forKey: .accuracy),
                                         exactMatch: try c.decode(Double.self, forKey: .exactMatch),
                                         slotAccuracy: try c.decode([Double].self, forKey: .slotAccuracy),
                                         slotName: try c.decode(String.self, forKey: .slotName),
                                         evalLengths: try c.decode([Int].self, forKey: .evalLengths),
                                         lengthAccuracy: try c.decode([Double].self, forKey: .lengthAccuracy)))
        case .checkpointed: kind = .checkpointed(step: step)
        case .finished:
            kind = .finished(Finish(step: step, reachedStep: try c.decodeIfPresent(Int.self, forKey: .reachedStep),
                                    finalAccuracy: try c.decodeIfPresent(Double.self, forKey: .finalAccuracy)))
        case .diverged: kind = .diverged(step: step, what: try c.decode(String.self, forKey: .what))
        case .interrupted: kind = .interrupted(step: step, signal: try c.decode(Int32.self, forKey: .signal))
        }
    }

    /// One line of events.jsonl (no newline).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of numbers and strings cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Decodes one line; nil when it is not a whole event.
    public static func decode(line: some StringProtocol) -> RunEvent? {
        try? JSONDecoder().decode(RunEvent.self, from: Data(line.utf8))
    }
}
