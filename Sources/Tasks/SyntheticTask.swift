import Foundation
import TensorCore

/// The contract every task keeps: from a seed it generates examples of `sequenceLength`
/// tokens, each with the label to predict at every position (or none) and, per answer, a slot
/// for per-slot accuracy; it owns its token ids (compact for a model trained from scratch,
/// appended after a pretrained vocabulary) and names its parameters.
///
/// Labels follow the causal-LM convention after the shift: `labels[t]` is the token to predict
/// at position t from inputs 0…t. Training takes the loss at the labelled positions only; a
/// run's accuracy is per answer token, and exact match per example (every answer right).
public protocol SyntheticTask: Sendable {
    var kind: TaskKind { get }
    /// Tokens per example (T).
    var sequenceLength: Int { get }
    /// Rows before the task's tokens (0 for the compact layout).
    var baseVocabulary: Int { get }
    /// The whole vocabulary: the base rows plus the task's tokens.
    var vocabularySize: Int { get }
    /// How many slots answers fall into, and what a slot is ("target position", "key index").
    var slotCount: Int { get }
    var slotName: String { get }
    /// The task's parameters by command-line name, in a fixed order (dataset attributes, summaries).
    var parameters: [(name: String, value: String)] { get }
    /// Every task token's name and id, in id order (tokens.json).
    var tokens: [(name: String, id: Int)] { get }
    /// Draws one example from `g`: exactly `sequenceLength` inputs, labels (`TaskExamples.noLabel`
    /// where none) and slots (−1 where no label).
    func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32])
    /// The same task at another length (held-out sets for length generalisation); an error
    /// naming the reason when the task's vocabulary or constraints do not allow it.
    func atLength(_ length: Int) throws -> any SyntheticTask
    /// The length `atLength` reads (the `--length` value this task was made with).
    var length: Int { get }
    /// tokens.json (the default lists `tokens` with the task and its parameters).
    var tokensJSON: String { get }
    /// Generates `count` examples from `seed`; an example whose key is in `exclude` is redrawn.
    func generate(count: Int, seed: UInt64, excluding exclude: Set<ExampleKey>) throws -> TaskExamples
}

extension SyntheticTask {
    /// A file-name-safe identity of the task and its parameters (dataset caches).
    public var identifier: String {
        ([kind.rawValue] + parameters.map { "\($0.name)\($0.value)" } + (baseVocabulary > 0 ? ["base\(baseVocabulary)"] : []))
            .joined(separator: "-")
    }

    public func generate(count: Int, seed: UInt64, excluding exclude: Set<ExampleKey> = []) throws -> TaskExamples {
        var g = RandomGenerator(seed: seed)
        var out = TaskExamples(sequenceLength: sequenceLength, reserving: count)
        let tooFew = "\(kind.rawValue) (\(parameterText)): cannot draw held-out examples outside the training set; " +
            "the task has too few distinct examples for --train-size: use a smaller --train-size or larger parameters"
        for _ in 0..<count {
            let e = try drawOutside(exclude, tooFew: tooFew) { try draw(&g) }
            precondition(e.inputs.count == sequenceLength && e.labels.count == sequenceLength && e.slots.count == sequenceLength,
                         "\(kind.rawValue): an example of \(e.inputs.count) tokens, not \(sequenceLength)")
            out.append(inputs: e.inputs, labels: e.labels, slots: e.slots)
        }
        return out
    }

    /// "length 64, vocab 8192, kv-pairs 4": the parameters for messages.
    public var parameterText: String { parameters.map { "\($0.name) \($0.value)" }.joined(separator: ", ") }

    /// tokens.json: the task's tokens as a transformers user reads them (name → id, plus sizes).
    public var tokensJSON: String {
        var names: [String: Int] = [:]
        for t in tokens { names[t.name] = t.id }
        let object: [String: Any] = [
            "format": "scanlab.token_layout", "version": 1, "task": kind.rawValue,
            "parameters": Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) }),
            "base_vocabulary": baseVocabulary, "vocab_size": vocabularySize,
            "added_tokens": tokens.map(\.name), "tokens": names,
        ]
        return prettyJSON(object)
    }
}

/// The first example `draw` gives whose key is not in `exclude` (held-out sets apart from the
/// training set); `tooFew` is the error when 10,000 draws in a row were all excluded.
func drawOutside(_ exclude: Set<ExampleKey>, tooFew: @autoclosure () -> String,
                 _ draw: () throws -> (inputs: [Int32], labels: [Int32], slots: [Int32])) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
    for _ in 0..<10_000 {
        let e = try draw()
        if exclude.isEmpty || !exclude.contains(ExampleKey(inputs: e.inputs, labels: e.labels)) { return e }
    }
    throw TaskError(tooFew())
}

/// Checks a task parameter, throwing an error that names the parameter, the value and the constraint.
func require(_ ok: Bool, _ parameter: String, _ value: CustomStringConvertible, _ constraint: String) throws {
    if !ok { throw TaskError("--\(parameter) \(value): \(constraint)") }
}

/// Pretty, key-sorted JSON text with a final newline (the token files people read).
func prettyJSON(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self) + "\n"
}
