import ArgumentParser
import DataLayout
import Foundation
import Plotting
import Studies
import Tasks

/// Where figures go: --figures, else $SCANLAB_FIGURES, else Figures/ beside the data folder.
func figuresFolder(_ explicit: String?, data: DataOptions) -> FiguresFolder {
    guard let given = explicit ?? ProcessInfo.processInfo.environment["SCANLAB_FIGURES"] else { return data.folder.siblingFigures }
    return FiguresFolder(URL(fileURLWithPath: given).standardizedFileURL.path)
}

/// Prints where each figure went, or why it could not be drawn (data and script are kept either way).
func report(_ figures: [Figure]) {
    for f in figures {
        if f.rendered { print("figure: \(f.png)  (also .svg; redraw: gnuplot \(f.script))") } else {
            print("figure not drawn: \(f.problem ?? "unknown problem"); data \(f.data) and script \(f.script) are written")
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw figures (PNG and SVG, with their gnuplot script and data) for a run folder or a study folder.")

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case all, steps, positions, variants, curves
    }

    @Argument(help: "A run folder (config.json, metrics.h5) or a study folder (<data>/studies/<name>).") var path: String
    @Option(help: "all, steps (Figure 6), positions (Figure 7), variants (Figure 12) or curves.") var kind: Kind = .all
    @Flag(help: "Logarithmic step axis for learning curves.") var logSteps = false
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let folder = URL(fileURLWithPath: path).standardizedFileURL.path
        let runs: [RunRecord], name: String
        if StudyFolder(folder).exists {
            let loaded = try RunRecord.load(studyFolder: StudyFolder(folder))
            (runs, name) = (loaded.runs, loaded.spec.name)
        } else if RunFolder(folder).exists {
            runs = [try RunRecord.load(runFolder: RunFolder(folder))]
            name = RunFolder(folder).name
        } else {
            throw ValidationError("\(path) is neither a run folder (config.json) nor a study folder (study.json)")
        }
        let out = figuresFolder(figures, data: dataOptions).named(name)
        var drawn: [Figure] = []
        switch kind {
        case .all:
            drawn = try StudyFigures.drawAll(runs, in: out)
            if logSteps { drawn.append(try StudyFigures.learningCurves(runs, name: "learning-curves-log", logSteps: true, in: out)) }
        default:
            // One kind of figure, for each task's runs in its own folder (as `all` draws them).
            for (sub, runs) in StudyFigures.byTask(runs, in: out) {
                switch kind {
                case .steps: drawn.append(try StudyFigures.stepsToThreshold(runs, in: sub))
                case .positions:
                    for l in Set(runs.map(\.config.length)).sorted() {
                        for v in QueryPlacement.allCases where runs.contains(where: { $0.config.length == l && $0.config.variant == v }) {
                            drawn.append(try StudyFigures.positionAccuracy(runs, length: l, variant: v, in: sub))
                        }
                    }
                case .variants:
                    for l in Set(runs.map(\.config.length)).sorted() { drawn.append(try StudyFigures.prefixVersusSuffix(runs, length: l, in: sub)) }
                case .curves, .all: drawn.append(try StudyFigures.learningCurves(runs, logSteps: logSteps, in: sub))
                }
            }
        }
        report(drawn)
    }
}
