import Foundation
import Studies
import Tasks


/// The paper's figures, from any set of runs.
public enum StudyFigures {
    static let modelColors: [ModelFamily: String] = [.pythia: "#1f77b4", .mamba: "#d62728", .mamba2: "#2ca02c", .hybrid: "#9467bd"]
    /// gnuplot point types per family: filled (reached), open (not reached).
    static let modelPoints: [ModelFamily: (filled: Int, open: Int)] = [.pythia: (7, 6), .mamba: (5, 4), .mamba2: (9, 8), .hybrid: (13, 12)]
    static let variantDash: [QueryPlacement: Int] = [.suffix: 1, .prefix: 2]

    /// Figure 6: steps to the threshold against sequence length, per model and variant. Each run
    /// is a point, the median over seeds a line; runs that never reached the threshold sit in a
    /// band at the top of the axis and are counted in the legend.
    public static func stepsToThreshold(_ runs: [RunRecord], in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        let budget = runs.map(\.config.steps).max() ?? 1
        let top = Double(budget) * 1.06
        var blocks: [String] = [], plots: [String] = []
        let series = Set(runs.map { "\($0.config.model.rawValue)|\($0.config.variant.rawValue)" }).sorted()
        for key in series {
            let parts = key.split(separator: "|")
            let model = ModelFamily(rawValue: String(parts[0]))!, variant = QueryPlacement(rawValue: String(parts[1]))!
            let group = runs.filter { $0.config.model == model && $0.config.variant == variant }
            let reached = group.compactMap { r in r.metrics.reachedStep.map { (r.config.length, $0) } }.sorted { $0 < $1 }
            let missed = group.filter { $0.metrics.reachedStep == nil }.map(\.config.length).sorted()
            var medians: [(Int, Double)] = []
            for l in Set(group.map(\.config.length)).sorted() {
                let m = medianSteps(group.filter { $0.config.length == l }.map(\.metrics.reachedStep))
                if m.isFinite { medians.append((l, m)) }
            }
            let color = modelColors[model]!, dash = variantDash[variant]!
            let name = "\(group[0].config.modelLabel) \(variant.rawValue)", points = modelPoints[model]!
            blocks.append("# \(name): length reached_step\n" + (reached.isEmpty ? "NaN NaN" : reached.map { "\($0.0) \($0.1)" }.joined(separator: "\n")))
            plots.append("datafile index \(blocks.count - 1) using 1:2 with points pt \(points.filled) ps 1.3 lc rgb '\(color)' notitle")
            blocks.append("# \(name): length median_steps\n" + (medians.isEmpty ? "NaN NaN" : medians.map { "\($0.0) \($0.1)" }.joined(separator: "\n")))
            plots.append("datafile index \(blocks.count - 1) using 1:2 with linespoints dt \(dash) lw 2 pt \(points.filled) lc rgb '\(color)' title \(gnuplotQuoted("\(name) (median)"))")
            blocks.append("# \(name): length never_reached\n" + (missed.isEmpty ? "NaN NaN" : missed.map { "\($0) \(top)" }.joined(separator: "\n")))
            let missedTitle = missed.isEmpty ? "notitle" : "title " + gnuplotQuoted("\(name): not reached (\(missed.count))")
            plots.append("datafile index \(blocks.count - 1) using 1:2 with points pt \(points.open) ps 1.8 lc rgb '\(color)' \(missedTitle)")
        }
        let lengths = Set(runs.map(\.config.length)).sorted()
        let body = """
        set title 'Steps to \(Int((runs.first?.config.threshold ?? 0.95) * 100))% held-out accuracy' font ',14'
        set xlabel 'sequence length L'
        set ylabel 'training steps'
        set xtics (\(lengths.map { "'\($0)' \($0)" }.joined(separator: ", ")))
        set xrange [\(max(0, (lengths.first ?? 0) - 2)):\((lengths.last ?? 1) + 2)]
        set yrange [0:\(top * 1.04)]
        set arrow 1 from graph 0, first \(Double(budget)) to graph 1, first \(Double(budget)) nohead dt 3 lc rgb '#888888'
        set label 1 'step budget' at graph 0.01, first \(Double(budget) * 1.02) textcolor rgb '#666666'
        set key outside right top
        set grid ytics
        plot \(plots.joined(separator: ", \\\n     "))
        """
        return try gnuplot.draw(name: "steps-to-threshold", in: folder, title: "Steps to threshold against sequence length (Figure 6)",
                                data: blocks.joined(separator: "\n\n\n") + "\n", body: body)
    }

    /// Figure 7: per-target-position held-out accuracy over training for one length and variant,
    /// one heatmap panel per model (the first seed and learning rate of each).
    /// For tasks other than position retrieval the same figure over the task's slots (key index,
    /// output index, trigger position, n-gram start).
    public static func positionAccuracy(_ runs: [RunRecord], length: Int, variant: QueryPlacement, in folder: String,
                                        gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        let panels = ModelFamily.allCases.compactMap { m in
            runs.filter { $0.config.model == m && $0.config.length == length && $0.config.variant == variant }
                .sorted { ($0.config.lr, $0.config.seed, -$0.config.hidden) < ($1.config.lr, $1.config.seed, -$1.config.hidden) }.first
        }
        let retrieval = (runs.first?.config.taskKind ?? .positionRetrieval) == .positionRetrieval
        let slotName = panels.first?.metrics.slotName ?? "target position"
        let slots = panels.compactMap { $0.metrics.slotAccuracy.first?.count }.max() ?? length
        let task = retrieval ? "" : (runs.first?.config.taskKind.rawValue ?? "") + ": "
        let query = retrieval || variant == .prefix ? ", \(variant.rawValue) query" : ""
        var blocks: [String] = [], plots: [String] = []
        for (k, r) in panels.enumerated() {
            // The panel shows one run; say so, and how many seeds the configuration has.
            let seeds = runs.filter { $0.config.model == r.config.model && $0.config.length == length
                && $0.config.variant == variant && $0.config.lr == r.config.lr }.count
            let which = seeds > 1 ? "seed \(r.config.seed), one of \(seeds) seeds" : "seed \(r.config.seed), the only seed"
            var lines = ["# \(r.label): step \(slotName.replacingOccurrences(of: " ", with: "_")) accuracy"]
            for (e, step) in r.metrics.steps.enumerated() {
                for (p, acc) in r.metrics.slotAccuracy[e].enumerated() { lines.append("\(step) \(p) \(acc)") }
                lines.append("")
            }
            if r.metrics.steps.isEmpty { lines.append("NaN NaN NaN") }
            blocks.append(lines.joined(separator: "\n"))
            // One colour scale for all panels, beside the last one.
            plots.append("""
            \(k == panels.count - 1 ? "set colorbox" : "unset colorbox")
            set title \(gnuplotQuoted(r.config.modelLabel + " (lr " + String(format: "%g", r.config.lr) + ", " + which + ")")) font ',13'
            plot datafile index \(k) using 1:2:3 with image notitle
            """)
        }
        let body = """
        set multiplot layout 1,\(max(1, panels.count)) margins 0.07,0.87,0.13,0.86 spacing 0.09,0 title '\(task)held-out accuracy by \(slotName) (colour), L = \(length)\(query)' font ',14'
        set xlabel 'training step'
        set ylabel '\(slotName)'
        set yrange [-0.5:\(Double(slots) - 0.5)]
        \(slots <= 16 ? "set ytics 1" : "")
        set autoscale xfix
        set cbrange [0:1]
        set cblabel 'held-out accuracy'
        set palette defined (0 '#fff5eb', 0.5 '#fd8d3c', 1 '#7f2704')
        set tics out
        \(plots.joined(separator: "\n"))
        """
        return try gnuplot.draw(name: (retrieval ? "position" : "slot") + "-accuracy-L\(length)-\(variant.rawValue)", in: folder,
                                title: retrieval ? "Per-target-position accuracy over training (Figure 7)" : "Per-\(slotName) accuracy over training",
                                data: blocks.joined(separator: "\n\n\n") + "\n", body: body, width: 500 * max(1, panels.count) + 100, height: 520)
    }

    /// Figure 12: prefix against suffix — held-out accuracy over training for both variants,
    /// one panel per model; with several seeds each run thin and their median thick.
    public static func prefixVersusSuffix(_ runs: [RunRecord], length: Int, in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        var blocks: [String] = [], panels: [String] = []
        for m in ModelFamily.allCases {
            let groups = SeedGroup.grouping(runs.filter { $0.config.model == m && $0.config.length == length })
            guard !groups.isEmpty else { continue }
            var plots: [String] = []
            for g in groups {
                let color = g.variant == .suffix ? "#1f77b4" : "#ff7f0e"
                let style = "dt \(variantDash[g.variant]!) lc rgb '\(color)'"
                let setting = "\(g.variant.rawValue) (lr \(String(format: "%g", g.lr))"
                for r in g.runs {
                    blocks.append("# \(r.label): step accuracy\n" + (r.metrics.steps.isEmpty ? "NaN NaN" :
                        zip(r.metrics.steps, r.metrics.accuracies).map { "\($0) \($1)" }.joined(separator: "\n")))
                    let title = g.seeds == 1 ? "title " + gnuplotQuoted("\(setting), seed \(r.config.seed))") : "notitle"
                    plots.append("datafile index \(blocks.count - 1) using 1:2 with lines lw \(g.seeds == 1 ? 2 : 1) \(style) \(title)")
                }
                guard g.seeds > 1 else { continue }
                let rows = g.medians([\.accuracies])
                blocks.append("# \(setting)): median of \(g.seeds) seeds: step accuracy\n" +
                              (rows.isEmpty ? "NaN NaN" : rows.map { "\($0.step) \($0.values[0])" }.joined(separator: "\n")))
                plots.append("datafile index \(blocks.count - 1) using 1:2 with lines lw 3 \(style) title " +
                             gnuplotQuoted("\(setting), median of \(g.seeds) seeds)"))
            }
            panels.append("set title '\(m.rawValue)' font ',13'\nplot \(plots.joined(separator: ", \\\n     "))")
        }
        let threshold = runs.first?.config.threshold ?? 0.95
        let body = """
        set multiplot layout 1,\(max(1, panels.count)) title 'Prefix against suffix query, L = \(length)' font ',14'
        set xlabel 'training step'
        set ylabel 'held-out accuracy'
        set yrange [0:1.02]
        set key bottom right
        set grid
        set arrow 1 from graph 0, first \(threshold) to graph 1, first \(threshold) nohead dt 3 lc rgb '#888888'
        \(panels.joined(separator: "\n"))
        """
        return try gnuplot.draw(name: "prefix-vs-suffix-L\(length)", in: folder, title: "Prefix against suffix (Figure 12)",
                                data: blocks.joined(separator: "\n\n\n") + "\n", body: body, width: 600 * max(1, panels.count), height: 500)
    }

    /// Held-out accuracy and training loss against step for a set of runs, overlaid; with several
    /// seeds of a setting, each run thin and their median thick.
    public static func learningCurves(_ runs: [RunRecord], name: String = "learning-curves", logSteps: Bool = false,
                                      in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> Figure {
        var blocks: [String] = []
        var acc: [String] = [], loss: [String] = []
        for g in SeedGroup.grouping(runs) {
            let style = "lc rgb '\(modelColors[g.model]!)' dt \(variantDash[g.variant]!)"
            for r in g.runs {
                blocks.append("# \(r.label): step accuracy loss\n" + (r.metrics.steps.isEmpty ? "NaN NaN NaN" :
                    (0..<r.metrics.steps.count).map { "\(r.metrics.steps[$0]) \(r.metrics.accuracies[$0]) \(r.metrics.losses[$0])" }
                        .joined(separator: "\n")))
                let title = g.seeds == 1 ? "title \(gnuplotQuoted(r.label))" : "notitle"
                acc.append("datafile index \(blocks.count - 1) using 1:2 with lines lw \(g.seeds == 1 ? 2 : 1) \(style) \(title)")
                loss.append("datafile index \(blocks.count - 1) using 1:3 with lines lw \(g.seeds == 1 ? 2 : 1) \(style) notitle")
            }
            guard g.seeds > 1 else { continue }
            let rows = g.medians([\.accuracies, \.losses])
            let label = "\(g.model.rawValue) L=\(g.length) \(g.variant.rawValue) lr \(String(format: "%g", g.lr)): median of \(g.seeds) seeds"
            blocks.append("# \(label): step accuracy loss\n" +
                          (rows.isEmpty ? "NaN NaN NaN" : rows.map { "\($0.step) \($0.values[0]) \($0.values[1])" }.joined(separator: "\n")))
            acc.append("datafile index \(blocks.count - 1) using 1:2 with lines lw 3 \(style) title \(gnuplotQuoted(label))")
            loss.append("datafile index \(blocks.count - 1) using 1:3 with lines lw 3 \(style) notitle")
        }
        let body = """
        set multiplot layout 1,2 title 'Learning curves' font ',14'
        \(logSteps ? "set logscale x" : "unset logscale x")
        set xlabel 'training step\(logSteps ? " (log scale)" : "")'
        set grid
        set key bottom right font ',9'
        set ylabel 'held-out accuracy'
        set yrange [0:1.02]
        plot \(acc.isEmpty ? "NaN notitle" : acc.joined(separator: ", \\\n     "))
        set ylabel 'training loss'
        set autoscale y
        set logscale y
        plot \(loss.isEmpty ? "NaN notitle" : loss.joined(separator: ", \\\n     "))
        unset logscale y
        """
        return try gnuplot.draw(name: name, in: folder, title: "Learning curves", data: blocks.joined(separator: "\n\n\n") + "\n",
                                body: body, width: 1300, height: 520)
    }

    /// Every figure for a set of runs. Per task (with its options; position retrieval alone in
    /// `folder` itself, each task of a suite in a subfolder named by it): Figure 6, a heatmap per
    /// (length, variant), prefix vs suffix per length (when both variants ran), the learning
    /// curves, accuracy against evaluation length (when runs evaluated other lengths); and per
    /// task kind with several widths, accuracy against width (Zoology's Figure 2 form).
    public static func drawAll(_ runs: [RunRecord], in folder: String, gnuplot: Gnuplot = Gnuplot()) throws -> [Figure] {
        var figures: [Figure] = []
        for (sub, group) in byTask(runs, in: folder) { figures += try drawTask(group, in: sub, gnuplot: gnuplot) }
        for kind in TaskKind.allCases {
            let ofKind = runs.filter { $0.config.taskKind == kind }
            if Set(ofKind.map(\.config.hidden)).count > 1 {
                figures.append(try accuracyVersusWidth(ofKind, in: folder, gnuplot: gnuplot))
            }
        }
        return figures
    }

    /// The runs of each task (with its options) and the folder its figures go to: `folder`
    /// itself for position retrieval alone, else a subfolder named by the task and its options.
    public static func byTask(_ runs: [RunRecord], in folder: String) -> [(folder: String, runs: [RunRecord])] {
        var groups: [String: [RunRecord]] = [:], order: [String] = []
        for r in runs {
            let key = r.config.taskGroup
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        let alone = order.count == 1 && runs.first?.config.taskKind == .positionRetrieval
        return order.map { key in
            (alone ? folder : folder + "/" + key.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "=", with: ""), groups[key]!)
        }
    }

    /// The figures of one task's runs.
    static func drawTask(_ runs: [RunRecord], in folder: String, gnuplot: Gnuplot) throws -> [Figure] {
        var figures = [try stepsToThreshold(runs, in: folder, gnuplot: gnuplot)]
        for l in Set(runs.map(\.config.length)).sorted() {
            for v in QueryPlacement.allCases where runs.contains(where: { $0.config.length == l && $0.config.variant == v }) {
                figures.append(try positionAccuracy(runs, length: l, variant: v, in: folder, gnuplot: gnuplot))
            }
            if Set(runs.filter { $0.config.length == l }.map(\.config.variant)).count == 2 {
                figures.append(try prefixVersusSuffix(runs, length: l, in: folder, gnuplot: gnuplot))
            }
        }
        figures.append(try learningCurves(runs, logSteps: false, in: folder, gnuplot: gnuplot))
        if runs.contains(where: { !$0.metrics.evalLengths.isEmpty }) {
            figures.append(try accuracyVersusLength(runs, in: folder, gnuplot: gnuplot))
        }
        return figures
    }
}
