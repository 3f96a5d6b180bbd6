import Foundation
import Studies
import Tasks

extension StudyFigures {
    /// Final held-out accuracy against model width, one panel per task setting (for MQAR a
    /// (T, N) pair: Zoology's Figure 2 form), one colour per model: each run a point, the median
    /// over seeds a line.
    public static func accuracyVersusWidth(_ runs: [RunRecord], in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        let kind = runs.first?.config.taskKind ?? .positionRetrieval
        var settings: [String] = []
        for r in runs where !settings.contains(r.config.taskLabel) { settings.append(r.config.taskLabel) }
        let widths = Set(runs.map(\.config.hidden)).sorted()
        var blocks: [String] = [], panels: [String] = []
        for setting in settings {
            var plots: [String] = []
            for m in ModelFamily.allCases {
                let group = runs.filter { $0.config.taskLabel == setting && $0.config.model == m }
                guard !group.isEmpty else { continue }
                let color = modelColors[m]!, points = modelPoints[m]!
                blocks.append("# \(m.rawValue), \(setting): hidden final_accuracy\n" +
                              group.map { "\($0.config.hidden) \($0.metrics.accuracies.last ?? .nan)" }.joined(separator: "\n"))
                plots.append("datafile index \(blocks.count - 1) using 1:2 with points pt \(points.filled) ps 1.1 lc rgb '\(color)' notitle")
                let medians = widths.compactMap { w -> String? in
                    let a = group.filter { $0.config.hidden == w }.compactMap { $0.metrics.accuracies.last }
                    return a.isEmpty ? nil : "\(w) \(SeedGroup.median(a))"
                }
                blocks.append("# \(m.rawValue), \(setting): hidden median_final_accuracy\n" + (medians.isEmpty ? "NaN NaN" : medians.joined(separator: "\n")))
                plots.append("datafile index \(blocks.count - 1) using 1:2 with linespoints lw 2 pt \(points.filled) lc rgb '\(color)' title " +
                             gnuplotQuoted("\(group[0].config.modelLabel) (median of \(Set(group.map(\.config.seed)).count) seeds)"))
            }
            panels.append("set title \(gnuplotQuoted(setting)) font ',12'\nplot \(plots.joined(separator: ", \\\n     "))")
        }
        let body = """
        set multiplot layout 1,\(max(1, panels.count)) title '\(kind.rawValue): final held-out accuracy against model width' font ',14'
        \(accuracyAgainstPowersOfTwo(widths, label: "model width (hidden size)", margin: 1.3))
        set key bottom right font ',9'
        set grid
        \(panels.joined(separator: "\n"))
        """
        return try gnuplot.draw(name: "\(kind.rawValue)-accuracy-vs-width", in: folder,
                                title: "\(kind.rawValue): accuracy against model width (Zoology Figure 2 form)",
                                data: blocks.joined(separator: "\n\n\n") + "\n", body: body, width: max(760, 480 * panels.count + 80), height: 480)
    }

    /// Length generalisation: final held-out accuracy at the training length and at every
    /// evaluation length, one colour per model (each run a point, the median over seeds a line),
    /// the training length marked.
    public static func accuracyVersusLength(_ runs: [RunRecord], in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        var blocks: [String] = [], plots: [String] = []
        var lengths = Set<Int>()
        for g in SeedGroup.grouping(runs) {
            let color = modelColors[g.model]!, points = modelPoints[g.model]!
            var byLength: [Int: [Double]] = [:]
            for r in g.runs {
                if let a = r.metrics.accuracies.last { byLength[r.config.length, default: []].append(a) }
                if let last = r.metrics.lengthAccuracy.last {
                    for (l, a) in zip(r.metrics.evalLengths, last) { byLength[l, default: []].append(a) }
                }
            }
            lengths.formUnion(byLength.keys)
            let name = "\(g.runs[0].config.modelLabel) trained at \(g.length)\(g.hidden != 128 ? ", hidden \(g.hidden)" : "")"
            blocks.append("# \(name): length accuracy (every run)\n" +
                          byLength.keys.sorted().flatMap { l in byLength[l]!.map { "\(l) \($0)" } }.joined(separator: "\n"))
            plots.append("datafile index \(blocks.count - 1) using 1:2 with points pt \(points.filled) ps 1 lc rgb '\(color)' notitle")
            blocks.append("# \(name): length median_accuracy\n" +
                          byLength.keys.sorted().map { "\($0) \(SeedGroup.median(byLength[$0]!))" }.joined(separator: "\n"))
            plots.append("datafile index \(blocks.count - 1) using 1:2 with linespoints lw 2 pt \(points.filled) lc rgb '\(color)' title " +
                         gnuplotQuoted("\(name) (median of \(g.seeds) seeds)"))
        }
        let trained = Set(runs.map(\.config.length)).sorted()
        let sorted = lengths.sorted()
        let arrows = trained.enumerated().map { i, l in
            "set arrow \(i + 1) from first \(l), graph 0 to first \(l), graph 1 nohead dt 3 lc rgb '#888888'\n" +
            "set label \(i + 1) 'training length \(l)' at first \(l), graph 0.04 offset 0.5,0 textcolor rgb '#666666'"
        }.joined(separator: "\n")
        let task = runs.first?.config.taskKind.rawValue ?? ""
        let body = """
        set title '\(task): held-out accuracy against evaluation length (end of training)' font ',14'
        \(accuracyAgainstPowersOfTwo(sorted, label: "evaluation length", margin: 1.2))
        set key bottom left font ',9' opaque box
        set grid
        \(arrows)
        plot \(plots.isEmpty ? "NaN notitle" : plots.joined(separator: ", \\\n     "))
        """
        return try gnuplot.draw(name: "accuracy-vs-length", in: folder, title: "\(task): accuracy against evaluation length",
                                data: blocks.joined(separator: "\n\n\n") + "\n", body: body, width: 1000, height: 500)
    }

    /// The axes of accuracy against a size that doubles: log₂ x with a tic at every value, y in [0, 1].
    static func accuracyAgainstPowersOfTwo(_ values: [Int], label: String, margin: Double) -> String {
        """
        set logscale x 2
        set xtics (\(values.map { "'\($0)' \($0)" }.joined(separator: ", ")))
        set xrange [\(Double(values.first ?? 1) / margin):\(Double(values.last ?? 1) * margin)]
        set xlabel '\(label)'
        set ylabel 'held-out accuracy'
        set yrange [0:1.02]
        """
    }
}
