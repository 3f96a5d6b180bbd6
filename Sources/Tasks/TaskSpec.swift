/// A task as a run names it: the kind, its length and placement, and the options a person
/// set (nil = the task's default). `make` checks that every option belongs to the task and
/// builds it for a vocabulary (compact, or appended after `baseVocabulary` rows).
public struct TaskSpec: Equatable, Sendable {
    public var kind: TaskKind
    public var length: Int
    public var placement: QueryPlacement = .suffix
    public var vocab: Int?
    public var kvPairs: Int?
    public var powerA: Double?
    public var passes: Int?
    public var ngram: Int?
    public var queryNgram: Int?
    public var copyTokens: Int?

    public init(kind: TaskKind, length: Int) { self.kind = kind; self.length = length }

    /// Which options each task reads (besides --length).
    static func options(of kind: TaskKind) -> Set<String> {
        switch kind {
        case .positionRetrieval: return ["variant"]
        case .ngramRetrieval: return ["variant", "vocab", "ngram", "query-ngram"]
        case .mqar: return ["vocab", "kv-pairs", "power-a", "passes"]
        case .selectiveCopying: return ["vocab", "copy-tokens"]
        case .inductionHeads: return ["vocab"]
        }
    }

    /// The options given, by command-line name.
    var given: [String] {
        var out: [String] = []
        if placement != .suffix { out.append("variant") }
        if vocab != nil { out.append("vocab") }
        if kvPairs != nil { out.append("kv-pairs") }
        if powerA != nil { out.append("power-a") }
        if passes != nil { out.append("passes") }
        if ngram != nil { out.append("ngram") }
        if queryNgram != nil { out.append("query-ngram") }
        if copyTokens != nil { out.append("copy-tokens") }
        return out
    }

    public func make(baseVocabulary: Int = 0) throws -> any SyntheticTask {
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
            return try NgramRetrievalTask(length: length, vocab: vocab ?? NgramRetrievalTask.defaultVocab,
                                          ngram: ngram ?? NgramRetrievalTask.defaultNgram,
                                          queryNgram: queryNgram ?? NgramRetrievalTask.defaultQueryNgram,
                                          placement: placement, baseVocabulary: baseVocabulary)
        case .mqar:
            return try MQARTask(length: length, vocab: vocab ?? MQARTask.defaultVocab, kvPairs: kvPairs ?? MQARTask.defaultKVPairs,
                                powerA: powerA ?? MQARTask.defaultPowerA, passes: passes ?? MQARTask.defaultPasses,
                                baseVocabulary: baseVocabulary)
        case .selectiveCopying:
            return try SelectiveCopyingTask(length: length, vocab: vocab ?? SelectiveCopyingTask.defaultVocab,
                                            copyTokens: copyTokens ?? SelectiveCopyingTask.defaultCopyTokens, baseVocabulary: baseVocabulary)
        case .inductionHeads:
            return try InductionHeadsTask(length: length, vocab: vocab ?? InductionHeadsTask.defaultVocab, baseVocabulary: baseVocabulary)
        }
    }
}
