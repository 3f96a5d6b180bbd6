import TensorCore

/// N-gram retrieval, as the paper's first author's follow-up code defines it (gpantaz/retrievit,
/// train.py, `prepare_n_gram_retrieval_instance`):
///
///   suffix: <bos> s₁ … s_L <bos> <query> q₁ … q_m <query> | a₁ … a_{n−m}
///   prefix: <query> q₁ … q_m <bos> s₁ … s_L <bos> <query> | a₁ … a_{n−m}
/// The context s is L symbols drawn uniformly with replacement from an alphabet of A
/// (`--vocab`); a start j is drawn uniformly from 0…L − n; the query is the m-gram at j
/// (`--query-ngram` m), redrawn (context and start) until that m-gram occurs exactly once in the
/// context; the answer is the n − m symbols that follow it (the rest of the n-gram, `--ngram` n).
/// The model reads the answer with teacher forcing, as the reference appends it to the input:
/// the first answer symbol is predicted at the closing <query>, each next one at the previous
/// answer symbol (T = L + n + 3 tokens, the last answer symbol never read). Exact match is the
/// reference's metric; a slot is the n-gram's start j in the context (0…L − n).
public struct NgramRetrievalTask: SyntheticTask, Equatable {
    public let length: Int
    public let vocab: Int
    public let ngram: Int
    public let queryNgram: Int
    public let placement: QueryPlacement
    public let baseVocabulary: Int
    /// The task's token ids.
    let vocabulary: TaskVocabulary

    public static let defaultVocab = 30, defaultNgram = 8, defaultQueryNgram = 4

    public init(length: Int, vocab: Int = defaultVocab, ngram: Int = defaultNgram, queryNgram: Int = defaultQueryNgram,
                placement: QueryPlacement = .suffix, baseVocabulary: Int = 0) throws {
        try require(queryNgram >= 1, "query-ngram", queryNgram, "the query needs at least one symbol")
        try require(ngram > queryNgram, "ngram", ngram, "must be larger than --query-ngram \(queryNgram) (the answer is the n-gram's remaining n − m symbols)")
        try require(length >= ngram, "length", length, "the context must hold the --ngram \(ngram) symbols it is retrieved from")
        try require(vocab >= 2, "vocab", vocab, "the alphabet needs at least 2 symbols")
        try require(length <= 100_000, "length", length, "at most 100000 context symbols")
        (self.length, self.vocab, self.ngram, self.queryNgram, self.placement, self.baseVocabulary) = (length, vocab, ngram, queryNgram, placement, baseVocabulary)
        vocabulary = TaskVocabulary(base: baseVocabulary, symbols: vocab, specials: ["<bos>", "<query>"])
    }

    public var kind: TaskKind { .ngramRetrieval }
    public var sequenceLength: Int { length + ngram + 3 }
    var bos: Int32 { vocabulary.special(0) }
    var query: Int32 { vocabulary.special(1) }
    public var vocabularySize: Int { vocabulary.size }
    public var slotCount: Int { length - ngram + 1 }
    public var slotName: String { "n-gram start" }
    public var tokens: [(name: String, id: Int)] { vocabulary.tokens }
    public var parameters: [(name: String, value: String)] {
        [("length", "\(length)"), ("vocab", "\(vocab)"), ("ngram", "\(ngram)"), ("query-ngram", "\(queryNgram)"), ("variant", placement.rawValue)]
    }

    public func atLength(_ length: Int) throws -> any SyntheticTask {
        try NgramRetrievalTask(length: length, vocab: vocab, ngram: ngram, queryNgram: queryNgram, placement: placement, baseVocabulary: baseVocabulary)
    }

    public func draw(_ g: inout RandomGenerator) throws -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        var attempts = 0
        while true {
            let s = (0..<length).map { _ in g.nextInt(below: vocab) }
            let start = g.nextInt(below: length - ngram + 1)
            let q = Array(s[start..<(start + queryNgram)])
            var occurrences = 0
            for j in 0...(length - queryNgram) where s[j] == q[0] {
                var k = 1
                while k < queryNgram && s[j + k] == q[k] { k += 1 }
                if k == queryNgram { occurrences += 1; if occurrences > 1 { break } }
            }
            if occurrences == 1 { return example(s, start: start) }
            attempts += 1
            if attempts == 10_000 {
                throw TaskError("ngram-retrieval (\(parameterText)): no context in 10000 draws had its query \(queryNgram)-gram once; " +
                                "use a larger --vocab or --query-ngram, or a shorter --length")
            }
        }
    }

    func example(_ s: [Int], start: Int) -> (inputs: [Int32], labels: [Int32], slots: [Int32]) {
        let context = s.map { vocabulary.id($0) }
        let q = s[start..<(start + queryNgram)].map { vocabulary.id($0) }
        let answer = s[(start + queryNgram)..<(start + ngram)].map { vocabulary.id($0) }
        var inputs = placement == .suffix ? [bos] + context + [bos, query] + q + [query] : [query] + q + [bos] + context + [bos, query]
        let first = inputs.count - 1   // the closing <query> predicts the first answer symbol
        inputs += answer.dropLast()
        var labels = [Int32](repeating: TaskExamples.noLabel, count: inputs.count), slots = [Int32](repeating: -1, count: inputs.count)
        for (k, a) in answer.enumerated() { labels[first + k] = a; slots[first + k] = Int32(start) }
        return (inputs, labels, slots)
    }
}
