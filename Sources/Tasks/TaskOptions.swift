/// A task's options beyond its length and placement, as a person sets them (nil: the task's
/// default). One value type for every place that carries them: a run's configuration, a
/// study's task list, the task specification and the command line.
public struct TaskOptions: Codable, Equatable, Sendable {
    /// mqar's V, ngram-retrieval's alphabet, selective-copying's and induction-heads' V.
    public var vocab: Int?
    /// mqar: key-value pairs N.
    public var kvPairs: Int?
    /// mqar: the exponent of the query gaps' power law.
    public var powerA: Double?
    /// mqar: passes over the key-value pairs.
    public var passes: Int?
    /// ngram-retrieval: the n-gram's length n.
    public var ngram: Int?
    /// ngram-retrieval: the query's length m.
    public var queryNgram: Int?
    /// selective-copying: tokens to copy N.
    public var copyTokens: Int?

    public init(vocab: Int? = nil, kvPairs: Int? = nil, powerA: Double? = nil, passes: Int? = nil, ngram: Int? = nil,
                queryNgram: Int? = nil, copyTokens: Int? = nil) {
        self.vocab = vocab; self.kvPairs = kvPairs; self.powerA = powerA; self.passes = passes
        self.ngram = ngram; self.queryNgram = queryNgram; self.copyTokens = copyTokens
    }

    /// The options set, by command-line name (without the dashes).
    public var given: [String] {
        [("vocab", vocab != nil), ("kv-pairs", kvPairs != nil), ("power-a", powerA != nil), ("passes", passes != nil),
         ("ngram", ngram != nil), ("query-ngram", queryNgram != nil), ("copy-tokens", copyTokens != nil)].filter(\.1).map(\.0)
    }

    public var isEmpty: Bool { given.isEmpty }

    /// These options with every one `other` sets replaced by its value.
    public func overriding(with other: TaskOptions) -> TaskOptions {
        TaskOptions(vocab: other.vocab ?? vocab, kvPairs: other.kvPairs ?? kvPairs, powerA: other.powerA ?? powerA,
                    passes: other.passes ?? passes, ngram: other.ngram ?? ngram, queryNgram: other.queryNgram ?? queryNgram,
                    copyTokens: other.copyTokens ?? copyTokens)
    }
}
