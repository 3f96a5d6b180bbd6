/// How far a run has come, read from its folder alone (so a scheduler or another process can ask).
public enum RunProgress: Equatable, Sendable, CustomStringConvertible {
    case notPrepared
    case notStarted
    case interrupted(atStep: Int)
    case finished

    public var description: String {
        switch self {
        case .notPrepared: return "not prepared"
        case .notStarted: return "not started"
        case .interrupted(let step): return "interrupted at step \(step)"
        case .finished: return "finished"
        }
    }
}
