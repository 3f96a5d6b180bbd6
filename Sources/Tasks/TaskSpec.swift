/// A task as a run names it: the kind, its length and placement, and the options a person
/// set (nil = the task's default). `make` checks that every option belongs to the task and
/// builds it for a vocabulary (compact, or appended after `baseVocabulary` rows).
public struct TaskSpec: Equatable, Sendable {
    public var kind: TaskKind
    public var length: Int
    public var placement: QueryPlacement = .suffix
    public var options = TaskOptions()

    public init(kind: TaskKind, length: Int) { self.kind = kind; self.length = length }

    /// Which options each task reads (besides --length).
    static func options(of kind: TaskKind) -> Set<String> {
        switch kind {
        case .positionRetrieval: return ["variant"]   // kind.hasPlacement: the tasks with "variant"
        case .ngramRetrieval: return ["variant", "vocab", "ngram", "query-ngram"]
        case .mqar: return ["vocab", "kv-pairs", "power-a", "passes"]
        case .selectiveCopying: return ["vocab", "copy-tokens"]
        case .inductionHeads: return ["vocab"]
        }
    }

    /// The options given, by command-line name.
    var given: [String] { (placement != .suffix ? ["variant"] : []) + options.given }

    public func make(baseVocabulary: Int = 0) throws -> any SyntheticTask {
        let o = options
        let allowed = Self.options(of: kind)
        if let stray = given.first(where: { !allowed.contains($0) }) {
            let owners = TaskKind.allCases.filter { Self.options(of: $0).contains(stray) }.map(\.rawValue)
            throw TaskError("--\(stray) is not an option of --task \(kind.rawValue) (it belongs to \(owners.joined(separator: ", ")))")
        }
        switch kind {
        case .positionRetrieval:
            return try PositionRetrievalTask(length: length, placement: placement,
                                             layout: baseVocabulary > 0 ? .appended(to: baseVocabulary, length: length) : nil)
        case .ngramRetrieval:
            return try NgramRetrievalTask(length: length, vocab: o.vocab ?? NgramRetrievalTask.defaultVocab,
                                          ngram: o.ngram ?? NgramRetrievalTask.defaultNgram,
                                          queryNgram: o.queryNgram ?? NgramRetrievalTask.defaultQueryNgram,
                                          placement: placement, baseVocabulary: baseVocabulary)
        case .mqar:
            return try MQARTask(length: length, vocab: o.vocab ?? MQARTask.defaultVocab, kvPairs: o.kvPairs ?? MQARTask.defaultKVPairs,
                                powerA: o.powerA ?? MQARTask.defaultPowerA, passes: o.passes ?? MQARTask.defaultPasses,
                                baseVocabulary: baseVocabulary)
        case .selectiveCopying:
            return try SelectiveCopyingTask(length: length, vocab: o.vocab ?? SelectiveCopyingTask.defaultVocab,
                                            copyTokens: o.copyTokens ?? SelectiveCopyingTask.defaultCopyTokens, baseVocabulary: baseVocabulary)
        case .inductionHeads:
            return try InductionHeadsTask(length: length, vocab: o.vocab ?? InductionHeadsTask.defaultVocab, baseVocabulary: baseVocabulary)
        }
    }
}
