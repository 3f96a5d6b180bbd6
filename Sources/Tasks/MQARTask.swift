import Foundation
import TensorCore

/// Multi-query associative recall, as Zoology defines it (HazyResearch/zoology,
/// zoology/data/multiquery_ar.py, `multiquery_ar`):
///
///   k₁ v₁ k₂ v₂ … k_N v_N (× passes) | 0 … 0 k_a 0 … 0 k_b …      labels: v_a at k_a's position, …
/// Vocabulary V: keys drawn without replacement from [1, V/2), values from [V/2, V). After the
/// context (2·N·passes tokens) each key occurs once as a query, at position 2·gap of the query
/// part, the N gaps drawn without replacement from 0..<space (space = (T − context)/2) with
/// p(gap = i) ∝ a·(i + 1)^(a − 1) (`--power-a`; 1 is uniform, small a favours short gaps).
/// Every other query-part token (0 before) is then replaced by a uniform draw from [0, V) (the
/// reference's `random_non_queries`, which may draw a key or a value). The label at a query key
/// is its value; its slot is the key's index in the context (0..<N). Draws follow the reference's
/// order (keys, values, gaps, filler) but from ScanLab's generator, per example.
public struct MQARTask: SyntheticTask, Equatable {
    public let length: Int
    public let vocab: Int
    public let kvPairs: Int
    public let powerA: Double
    public let passes: Int
    public let baseVocabulary: Int
    /// The task's token ids.
    let vocabulary: TaskVocabulary
    /// p(gap = i) for i in 0..<space, normalised: a·(i + 1)^(a − 1).
    public let gapWeights: [Double]

    public static let defaultVocab = 8192, defaultKVPairs = 4, defaultPowerA = 0.01, defaultPasses = 1

    public init(length: Int, vocab: Int = defaultVocab, kvPairs: Int = defaultKVPairs, powerA: Double = defaultPowerA,
                passes: Int = defaultPasses, baseVocabulary: Int = 0) throws {
        try require(length >= 4 && length % 2 == 0, "length", length, "mqar needs an even sequence length of at least 4 (keys and values come in pairs)")
        try require(kvPairs >= 1, "kv-pairs", kvPairs, "mqar needs at least one key-value pair")
        try require(passes >= 1, "passes", passes, "must be at least 1")
        try require(powerA > 0 && powerA.isFinite, "power-a", powerA, "the power law's exponent must be positive (1 is uniform)")
        try require(vocab > length, "vocab", vocab, "mqar needs a vocabulary larger than the sequence length \(length) (the reference asserts vocab_size > input_seq_len)")
        try require(vocab / 2 - 1 >= kvPairs, "kv-pairs", kvPairs, "needs that many distinct keys in [1, \(vocab / 2)) (--vocab \(vocab))")
        try require(2 * kvPairs * passes + 2 * kvPairs <= length, "kv-pairs", kvPairs,
                    "2·N·passes context tokens plus 2·N query slots must fit in --length \(length) (N = \(kvPairs), passes = \(passes))")
        (self.length, self.vocab, self.kvPairs, self.powerA, self.passes, self.baseVocabulary) = (length, vocab, kvPairs, powerA, passes, baseVocabulary)
        vocabulary = TaskVocabulary(base: baseVocabulary, symbols: vocab, prefix: "mqar")
        let w = (1...((length - 2 * kvPairs * passes) / 2)).map { powerA * pow(Double($0), powerA - 1) }
        let total = w.reduce(0, +)
        gapWeights = w.map { $0 / total }
    }

    public var kind: TaskKind { .mqar }
    public var sequenceLength: Int { length }
    public var vocabularySize: Int { vocabulary.size }
    public var slotCount: Int { kvPairs }
    public var slotName: String { "key index" }
    public var tokens: [(name: String, id: Int)] { vocabulary.tokens }
    public var parameters: [(name: String, value: String)] {
        [("length", "\(length)"), ("vocab", "\(vocab)"), ("kv-pairs", "\(kvPairs)"), ("power-a", "\(powerA)"), ("passes", "\(passes)")]
    }
    var contextSize: Int { 2 * kvPairs * passes }
    /// Query slots after the context: gaps are drawn from 0..<space.
    public var space: Int { (length - contextSize) / 2 }

    public func atLength(_ length: Int) throws -> any SyntheticTask {
        try MQARTask(length: length, vocab: vocab, kvPairs: kvPairs, powerA: powerA, passes: passes, baseVocabulary: baseVocabulary)
    }

    public func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        let keys = distinct(kvPairs, from: 1..<(vocab / 2), &g)
        let values = distinct(kvPairs, from: (vocab / 2)..<vocab, &g)
        let gaps = weightedWithoutReplacement(kvPairs, weights: gapWeights, &g)
        var local = [Int](repeating: 0, count: length)
        var labels = [Int32](repeating: TaskExamples.noLabel, count: length), slots = [Int32](repeating: -1, count: length)
        for pass in 0..<passes {
            for i in 0..<kvPairs { local[pass * 2 * kvPairs + 2 * i] = keys[i]; local[pass * 2 * kvPairs + 2 * i + 1] = values[i] }
        }
        for (i, gap) in gaps.enumerated() {
            let at = contextSize + 2 * gap
            local[at] = keys[i]
            labels[at] = vocabulary.id(values[i]); slots[at] = Int32(i)
        }
        // random_non_queries: every token still 0 becomes a uniform draw from [0, V).
        for t in 0..<length where local[t] == 0 { local[t] = g.nextInt(below: vocab) }
        return (local.map { vocabulary.id($0) }, labels, slots)
    }
}

/// `count` distinct values drawn uniformly from `range`, in draw order (numpy's choice without replacement).
func distinct(_ count: Int, from range: Range<Int>, _ g: inout RandomGenerator) -> [Int] {
    var seen = Set<Int>(), out: [Int] = []
    out.reserveCapacity(count)
    while out.count < count {
        let v = range.lowerBound + g.nextInt(below: range.count)
        if seen.insert(v).inserted { out.append(v) }
    }
    return out
}

/// `count` distinct indices drawn one after another with probability ∝ `weights` among those
/// not yet drawn (numpy's `choice(replace=False, p=…)`), in draw order.
func weightedWithoutReplacement(_ count: Int, weights: [Double], _ g: inout RandomGenerator) -> [Int] {
    var w = weights, out: [Int] = []
    for _ in 0..<count {
        let total = w.reduce(0, +)
        var u = g.nextDouble() * total, pick = w.lastIndex(where: { $0 > 0 })!
        for (i, x) in w.enumerated() where x > 0 {
            if u < x { pick = i; break }
            u -= x
        }
        out.append(pick); w[pick] = 0
    }
    return out
}
