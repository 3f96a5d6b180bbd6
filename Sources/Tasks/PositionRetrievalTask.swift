import Foundation
import TensorCore

/// The synthetic in-context retrieval task of Pantazopoulos et al. (EMNLP 2024) for length L,
/// as in the paper's code (gpantaz/retrievit, train.py, `prepare_position_retrieval_instance`):
///
///   suffix: <bos> perm(<syn_0> … <syn_{L−1}>) <out> <syn_q>      prefix: <out> <syn_q> <bos> perm(…)
/// The answer is <pos_j> where perm[j] = <syn_q>, predicted at the last position (L + 3 tokens
/// in all); its slot is the target position j. Token ids come from the layout: compact for
/// from-scratch models, appended after the vocabulary of a pretrained one (TokenLayout).
///
/// Unlike the reference, which draws the target position uniformly, every position is the
/// target ⌊count/L⌋ or ⌈count/L⌉ times, so per-position accuracy has the same support everywhere.
public struct PositionRetrievalTask: SyntheticTask, Equatable {
    public let length: Int
    public let placement: QueryPlacement
    public let layout: TokenLayout

    public init(length: Int, placement: QueryPlacement, layout: TokenLayout? = nil) throws {
        try require(length >= 2, "length", length, "position-retrieval needs at least 2 context tokens")
        try require(length <= 16_000, "length", length, "position-retrieval allows at most 16000 context tokens")
        if let layout, layout.length != length {
            throw TaskError("token layout for L = \(layout.length) does not fit a task of length \(length)")
        }
        self.length = length
        self.placement = placement
        self.layout = layout ?? .compact(length: length)
    }

    public var kind: TaskKind { .positionRetrieval }
    public var sequenceLength: Int { length + 3 }
    public var baseVocabulary: Int { layout.baseVocabulary }
    public var vocabularySize: Int { layout.vocabularySize }
    public var slotCount: Int { length }
    public var slotName: String { "target position" }
    public var parameters: [(name: String, value: String)] { [("length", "\(length)"), ("variant", placement.rawValue)] }
    public var tokens: [(name: String, id: Int)] { layout.tokens }
    public var tokensJSON: String { layout.json }
    public func content(_ i: Int) -> Int { layout.content(i) }
    public func positionToken(_ i: Int) -> Int { layout.position(i) }

    public func atLength(_ length: Int) throws -> any SyntheticTask {
        guard length == self.length else {
            throw TaskError("position-retrieval cannot be evaluated at length \(length): its vocabulary grows with the length " +
                            "(a <syn_k> and a <pos_k> per position), so a model trained at L = \(self.length) has no tokens for another length")
        }
        return self
    }

    /// Tokens of one example: `order` is the permutation (order[j] = content index at slot j),
    /// `target` the slot whose content is queried. Returns the tokens and the answer token.
    public func tokens(order: [Int], target: Int) -> (tokens: [Int], answer: Int) {
        let context = order.map(content)
        let q = [layout.query, content(order[target])]
        let tokens = placement == .suffix ? [layout.bos] + context + q : q + [layout.bos] + context
        return (tokens, positionToken(target))
    }

    func example(order: [Int], target: Int) -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        let (t, answer) = tokens(order: order, target: target)
        var labels = [Int32](repeating: TaskExamples.noLabel, count: t.count), slots = [Int32](repeating: -1, count: t.count)
        labels[t.count - 1] = Int32(answer); slots[t.count - 1] = Int32(target)
        return (t.map { Int32($0) }, labels, slots)
    }

    /// One example with a uniformly drawn target (as the reference draws it).
    public func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        let target = g.nextInt(below: length)
        return example(order: g.permutation(length), target: target)
    }

    /// Targets spread evenly (shuffled), then one permutation per example; an example in
    /// `exclude` is redrawn, and an error says so when (for tiny L) nearly every one is excluded.
    public func generate(count: Int, seed: UInt64, excluding exclude: Set<ExampleKey> = []) throws -> TaskExamples {
        var g = RandomGenerator(seed: seed)
        var targets = (0..<count).map { $0 % length }
        for i in stride(from: count - 1, to: 0, by: -1) { targets.swapAt(i, g.nextInt(below: i + 1)) }
        var out = TaskExamples(sequenceLength: sequenceLength, reserving: count)
        let tooFew = "cannot draw held-out examples outside the training set: L = \(length) has only \(length)!·\(length) distinct examples; use a smaller --train-size or a larger length"
        for i in 0..<count {
            let e = try drawOutside(exclude, tooFew: tooFew) { example(order: g.permutation(length), target: targets[i]) }
            out.append(inputs: e.inputs, labels: e.labels, slots: e.slots)
        }
        return out
    }
}
