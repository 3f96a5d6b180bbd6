import Tasks
/// How far a run has come, read from its folder alone (so a scheduler or another process can ask).
public enum RunProgress: Equatable, Sendable, CustomStringConvertible {
    case notPrepared
    case notStarted
    case interrupted(atStep: Int)
    case finished
    /// Ended at this step by a non-finite loss or gradient: done, as a result.
    case diverged(atStep: Int)

    /// Nothing left to train (finished or diverged).
    public var isDone: Bool {
        switch self {
        case .finished, .diverged: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .notPrepared: return "not prepared"
        case .notStarted: return "not started"
        case .interrupted(let step): return "interrupted at step \(step)"
        case .finished: return "finished"
        case .diverged(let step): return "diverged at step \(step)"
        }
    }
}
