import DataLayout
import Foundation
import NotebookRunner
import Plotting
import Studies
import Tasks

/// The REPL's live plots: while a cell trains, the held-out accuracy and loss curves redrawn
/// in the terminal after every evaluation (from the events the cell's runs relay to a file
/// this class names in the worker's $SCANLAB_EVENTS); `plot RUN` and `plot STUDY` draw a run or a study the
/// same way; `plot --off` and `plot --on` stop and resume them. gnuplot starts on first use;
/// without it the REPL says how to install it, once, and carries on.
final class LivePlotting: CellObserver {
    let dataDirectory: String
    let output: (String) -> Void
    private(set) var enabled = true
    private var curves: LiveCurves?
    private var unavailable = false

    init(dataDirectory: String, output: @escaping (String) -> Void) {
        self.dataDirectory = dataDirectory
        self.output = output
        enabled = ProcessInfo.processInfo.environment["SCANLAB_LIVE_PLOT"] != "off"
    }

    var command: ReplCommand {
        ReplCommand("plot RUN|STUDY|--off|--on", help: "draw a run or study in the terminal; --off/--on: live curves while cells train") { [self] argument in
            try plot(argument)
        }
    }

    /// The live curves, gnuplot started on first use; nil (said once) without gnuplot.
    private func live() -> LiveCurves? {
        if let curves { return curves }
        guard !unavailable else { return nil }
        switch LivePlot.start() {
        case .success(let p): curves = LiveCurves(plot: p, data: DataFolder(dataDirectory))
        case .failure(let e):
            unavailable = true
            output("\(e.description); carrying on without live plots\n")
        }
        return curves
    }

    /// Where the running cell's events go: one file per REPL, emptied at every cell.
    private lazy var eventsFile = FileManager.default.temporaryDirectory.appendingPathComponent("scanlab-live-\(getpid()).jsonl").path

    func cellStarted(_ name: String) -> [String: String] {
        guard enabled, let curves = live() else { return [:] }
        try? FileManager.default.removeItem(atPath: eventsFile)
        curves.reset(following: eventsFile)
        return [EventRelay.environmentVariable: eventsFile]
    }

    func cellPrinted(_ text: String) { if enabled { curves?.refresh() } }

    func cellEnded(_ name: String) {
        curves?.refresh()
        try? FileManager.default.removeItem(atPath: eventsFile)
    }

    func plot(_ argument: String) throws {
        switch argument {
        case "--off": enabled = false; output("live plots off\n")
        case "--on": enabled = true; output("live plots on\n")
        case "": throw NotebookError("plot what? give a run (folder or name under \(dataDirectory)/runs) or a study (name under \(dataDirectory)/studies), or --off/--on")
        default:
            let runs: [RunRecord], title: String
            let data = DataFolder(dataDirectory)
            if let study = [StudyFolder(argument), data.study(argument)].first(where: \.exists) {
                runs = try RunRecord.load(studyFolder: study).runs
                title = "study " + study.name
            } else if let run = [RunFolder(argument), data.run(argument)].first(where: \.exists) {
                runs = [try RunRecord.load(runFolder: run)]
                title = run.name
            } else {
                throw NotebookError("'\(argument)' is neither a run nor a study (looked in \(dataDirectory)/runs and \(dataDirectory)/studies)")
            }
            guard let curves = live() else { return }
            curves.plot.draw(runs, title: title)
        }
    }
}
