import TensorCore

/// Induction heads, as the Mamba paper's synthetic (Gu & Dao 2023, §4.1.2) takes it from H3's
/// code (HazyResearch/safari, src/dataloaders/synthetics.py, `generate_induction_head` with
/// induction_len 1 and one trigger):
///
///   s₁ … s_{p−1} => s_{p+1} … s_L =>  → predict s_{p+1}
/// Vocabulary V: symbols 0…V − 3, "=>" (the trigger) = V − 2, and "." = V − 1, which the
/// reference reserves and this task never uses. L symbols (`--length`) drawn uniformly; the
/// trigger replaces the symbol at p, drawn uniformly from 0..<L − 2; the trigger again at the
/// end (T = L + 1 tokens), where the symbol that followed the first trigger is the answer. The
/// reference's test labels are this one answer (its training labels are every next token,
/// mostly unpredictable random symbols); ScanLab takes the loss at the answer. Slot: p.
public struct InductionHeadsTask: SyntheticTask, Equatable {
    public let length: Int
    public let vocab: Int
    public let baseVocabulary: Int
    /// The task's token ids.
    let vocabulary: TaskVocabulary

    public static let defaultVocab = 16

    public init(length: Int, vocab: Int = defaultVocab, baseVocabulary: Int = 0) throws {
        try require(length >= 3, "length", length, "induction-heads needs at least 3 symbols (the trigger, its follower, and one more)")
        try require(vocab >= 3, "vocab", vocab, "needs at least one symbol besides the trigger and the reserved \".\"")
        (self.length, self.vocab, self.baseVocabulary) = (length, vocab, baseVocabulary)
        vocabulary = TaskVocabulary(base: baseVocabulary, symbols: vocab - 2, specials: ["<trigger>", "<noop>"])
    }

    public var kind: TaskKind { .inductionHeads }
    public var sequenceLength: Int { length + 1 }
    public var vocabularySize: Int { vocabulary.size }
    public var slotCount: Int { length - 2 }
    public var slotName: String { "trigger position" }
    public var tokens: [(name: String, id: Int)] { vocabulary.tokens }
    public var parameters: [(name: String, value: String)] { [("length", "\(length)"), ("vocab", "\(vocab)")] }

    public func atLength(_ length: Int) throws -> any SyntheticTask {
        try InductionHeadsTask(length: length, vocab: vocab, baseVocabulary: baseVocabulary)
    }

    public func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        var s = (0..<length).map { _ in vocabulary.id(g.nextInt(below: vocab - 2)) }
        let trigger = vocabulary.special(0)
        let p = g.nextInt(below: length - 2)
        s[p] = trigger
        let answer = s[p + 1]
        s.append(trigger)
        var labels = [Int32](repeating: TaskExamples.noLabel, count: s.count), slots = [Int32](repeating: -1, count: s.count)
        labels[length] = answer; slots[length] = Int32(p)
        return (s, labels, slots)
    }
}
