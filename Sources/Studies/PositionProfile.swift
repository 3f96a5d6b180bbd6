import Tasks
/// How evenly a run had learned the target positions part-way through: at its first
/// evaluation with held-out accuracy at or above `level`, the mean accuracy over the first,
/// middle and last third of the target positions, and the spread (standard deviation) over
/// all positions. The paper's Figure 7 question in numbers: Mamba learns the last positions
/// first, then the first, then the middle (large spread, last ≫ middle); a Transformer's
/// positions rise together (small spread).
public struct PositionProfile: Equatable, Sendable {
    public let step: Int
    public let accuracy: Double
    public let first: Double, middle: Double, last: Double
    public let spread: Double

    /// Nil when no evaluation reached `level` (or the run has fewer than 3 positions).
    public init?(_ m: RunMetrics, level: Double = 0.5) {
        guard let e = m.accuracies.firstIndex(where: { $0 >= level }) else { return nil }
        let p = m.slotAccuracy[e], n = p.count
        guard n >= 3 else { return nil }
        func mean(_ r: Range<Int>) -> Double { p[r].reduce(0, +) / Double(r.count) }
        let a = n / 3, b = n - n / 3
        step = m.steps[e]; accuracy = m.accuracies[e]
        first = mean(0..<a); middle = mean(a..<b); last = mean(b..<n)
        let all = mean(0..<n)
        spread = (p.map { ($0 - all) * ($0 - all) }.reduce(0, +) / Double(n)).squareRoot()
    }
}
