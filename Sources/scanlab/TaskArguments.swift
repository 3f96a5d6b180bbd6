import ArgumentParser
import Foundation
import Studies
import Tasks

extension TaskKind: ExpressibleByArgument {}

/// The task a command trains or times, and the task's own options (each belongs to some
/// tasks; `TaskSpec.make` refuses one the task does not read). Shared by `train`, `study` and
/// `bench train`; `--length` and `--variant` stay with each command.
struct TaskArguments: ParsableArguments {
    @Option(help: "The task: \(TaskKind.names) (default: position-retrieval; README, \"The task suite\").")
    var task: TaskKind?
    @Option(help: "Vocabulary: mqar's V (default 8192), ngram-retrieval's alphabet (30), selective-copying's and induction-heads' V with their special tokens (16).")
    var vocab: Int?
    @Option(help: "mqar: key-value pairs N (default 4).") var kvPairs: Int?
    @Option(help: "mqar: the power law of the query gaps, p(gap) ∝ a·(gap+1)^(a−1) (default 0.01; 1 is uniform).") var powerA: Double?
    @Option(help: "mqar: passes over the key-value pairs before the queries (default 1).") var passes: Int?
    @Option(help: "ngram-retrieval: the n-gram's length n (default 8): --query-ngram symbols asked, the rest answered.") var ngram: Int?
    @Option(help: "ngram-retrieval: the query's length m (default 4).") var queryNgram: Int?
    @Option(help: "selective-copying: tokens to copy N (default 16).") var copyTokens: Int?

    var options: TaskOptions {
        TaskOptions(vocab: vocab, kvPairs: kvPairs, powerA: powerA, passes: passes, ngram: ngram, queryNgram: queryNgram, copyTokens: copyTokens)
    }

    /// Sets the task fields of a run configuration: the task (position retrieval stays nil, its
    /// canonical form) and the options given, over those it has.
    func apply(to c: inout RunConfig) {
        if let task { c.task = task == .positionRetrieval ? nil : task }
        let merged = (c.taskOptions ?? TaskOptions()).overriding(with: options)
        c.taskOptions = merged.isEmpty ? nil : merged
    }

    func spec(length: Int, variant: QueryPlacement) -> TaskSpec {
        var t = TaskSpec(kind: task ?? .positionRetrieval, length: length)
        t.placement = variant
        t.options = options
        return t
    }
}

/// A comma-separated list of integers ("64,128,256").
struct IntList: ExpressibleByArgument, Equatable {
    let values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.map { $0! }
    }
}
