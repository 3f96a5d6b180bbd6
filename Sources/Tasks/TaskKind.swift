/// The synthetic tasks ScanLab trains on, by their command-line names.
public enum TaskKind: String, Codable, CaseIterable, Sendable {
    case positionRetrieval = "position-retrieval"
    case ngramRetrieval = "ngram-retrieval"
    case mqar
    case selectiveCopying = "selective-copying"
    case inductionHeads = "induction-heads"

    /// The names, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether the task has a query to place before or after its context (`--variant`).
    public var hasPlacement: Bool { self == .positionRetrieval || self == .ngramRetrieval }
}

/// Where a retrieval task's query sits: after the context (the paper's default) or before it.
public enum QueryPlacement: String, Codable, CaseIterable, Sendable {
    case suffix, prefix
}
