import TensorCore

/// Selective copying, as MAD defines it (athms/mad-lab, mad/data/instances.py,
/// `generate_selective_copying_instance` → `generate_copying_instance(selective=True)`):
///
///   x₁ · · x₂ · x₃ … x_N | <copy> · · … ·      labels at the last N positions: x₁ … x_N
/// Vocabulary V: symbols 0…V − 3, the blank · = V − 2, <copy> = V − 1. The N tokens to copy
/// (`--copy-tokens`) are drawn uniformly with replacement from the symbols; the T − 2N − 1 blanks
/// each go before a uniformly drawn one of the N tokens (numpy's `insert` at random indices in
/// 0..<N, so the last token to copy always sits right before <copy>); then <copy> and N blanks,
/// at which the tokens are predicted in order (slot = output index 0..<N). Every draw comes from
/// the example's seeded generator (MAD draws the blanks' places from numpy's global state), and
/// N is honoured (MAD issue 7: its configuration always copied 16).
public struct SelectiveCopyingTask: SyntheticTask, Equatable {
    public let length: Int
    public let vocab: Int
    public let copyTokens: Int
    public let baseVocabulary: Int
    /// The task's token ids.
    let vocabulary: TaskVocabulary

    public static let defaultVocab = 16, defaultCopyTokens = 16

    public init(length: Int, vocab: Int = defaultVocab, copyTokens: Int = defaultCopyTokens, baseVocabulary: Int = 0) throws {
        try require(copyTokens >= 1, "copy-tokens", copyTokens, "at least one token to copy")
        try require(length > 2 * copyTokens + 1, "length", length, "must exceed 2·N + 1 = \(2 * copyTokens + 1) for --copy-tokens \(copyTokens) (the reference asserts seq_len > 2·num_tokens_to_copy + 1)")
        try require(vocab >= 3, "vocab", vocab, "needs at least one symbol besides the blank and <copy>")
        (self.length, self.vocab, self.copyTokens, self.baseVocabulary) = (length, vocab, copyTokens, baseVocabulary)
        vocabulary = TaskVocabulary(base: baseVocabulary, symbols: vocab - 2, specials: ["<blank>", "<copy>"])
    }

    public var kind: TaskKind { .selectiveCopying }
    public var sequenceLength: Int { length }
    public var vocabularySize: Int { vocabulary.size }
    public var slotCount: Int { copyTokens }
    public var slotName: String { "output index" }
    public var tokens: [(name: String, id: Int)] { vocabulary.tokens }
    public var parameters: [(name: String, value: String)] {
        [("length", "\(length)"), ("vocab", "\(vocab)"), ("copy-tokens", "\(copyTokens)")]
    }

    public func atLength(_ length: Int) throws -> any SyntheticTask {
        try SelectiveCopyingTask(length: length, vocab: vocab, copyTokens: copyTokens, baseVocabulary: baseVocabulary)
    }

    public func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        let (n, blank, copy) = (copyTokens, vocabulary.special(0), vocabulary.special(1))
        let toCopy = (0..<n).map { _ in vocabulary.id(g.nextInt(below: vocab - 2)) }
        var blanksBefore = [Int](repeating: 0, count: n)
        for _ in 0..<(length - 2 * n - 1) { blanksBefore[g.nextInt(below: n)] += 1 }
        var inputs: [Int32] = []
        inputs.reserveCapacity(length)
        for i in 0..<n { inputs += [Int32](repeating: blank, count: blanksBefore[i]); inputs.append(toCopy[i]) }
        inputs.append(copy)
        var labels = [Int32](repeating: TaskExamples.noLabel, count: inputs.count), slots = [Int32](repeating: -1, count: inputs.count)
        for i in 0..<n { inputs.append(blank); labels.append(toCopy[i]); slots.append(Int32(i)) }
        return (inputs, labels, slots)
    }
}
