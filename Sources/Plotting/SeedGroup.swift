import Studies
import Tasks

/// The replicates of one setting: runs that differ only in their seed. Figures draw each run
/// thin and the group's median thick, so a reader sees both the finding and its spread.
struct SeedGroup {
    let model: ModelFamily, length: Int, variant: QueryPlacement, lr: Double
    /// The task (label with its options) and width; runs of other tasks or widths are other settings.
    let task: String, hidden: Int
    var runs: [RunRecord]

    var seeds: Int { runs.count }

    /// Groups in the order their first run appears.
    static func grouping(_ runs: [RunRecord]) -> [SeedGroup] {
        var groups: [SeedGroup] = []
        for r in runs {
            let c = r.config
            let task = c.taskGroup
            if let i = groups.firstIndex(where: { $0.model == c.model && $0.length == c.length && $0.variant == c.variant && $0.lr == c.lr
                && $0.task == task && $0.hidden == c.hidden }) {
                groups[i].runs.append(r)
            } else {
                groups.append(SeedGroup(model: c.model, length: c.length, variant: c.variant, lr: c.lr, task: task, hidden: c.hidden, runs: [r]))
            }
        }
        return groups
    }

    /// The median over the group's runs of each series, at every step any run evaluated. A run
    /// that stopped early keeps its last values (it had reached the threshold); steps before a
    /// run's first evaluation are left out.
    func medians(_ series: [KeyPath<RunMetrics, [Double]>]) -> [(step: Int, values: [Double])] {
        let steps = Set(runs.flatMap(\.metrics.steps)).sorted()
        return steps.compactMap { step in
            let at = runs.compactMap { r in r.metrics.steps.lastIndex(where: { $0 <= step }).map { (r.metrics, $0) } }
            guard at.count == runs.count else { return nil }
            return (step, series.map { path in Self.median(at.map { $0.0[keyPath: path][$0.1] }) })
        }
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}
