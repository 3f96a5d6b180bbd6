import ArgumentParser
import Foundation
import NotebookRunner
import SystemIO

/// The notebook worker built beside this executable.
func notebookRunner(_ data: DataOptions, figures: String?) -> NotebookRunner {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let here = Bundle.main.executableURL?.deletingLastPathComponent() ?? dir
    return NotebookRunner(worker: here.appendingPathComponent("scanlab-worker").path, dataDirectory: data.directory,
                          figuresDirectory: figuresFolder(figures, data: data).path)
}

struct RunNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every cell of a notebook that is not done (batch mode; exits non-zero naming a failing cell).",
        discussion: "Each cell runs in its own worker process; state is kept in <data>/notebooks/. List notebooks with `scanlab notebooks`.")

    @Argument(help: "Notebook name (see `scanlab notebooks`).") var notebook: String
    @Option(name: .customLong("set"), help: "A parameter value, name=value (repeatable).") var assignments: [String] = []
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?

    func run() throws {
        let runner = notebookRunner(dataOptions, figures: figures)
        // SIGTERM (a scheduler, `kill`) ends the batch as `train` does: passed to the worker,
        // whose training checkpoints; then exit 75, resumable. The worker runs in its own process
        // group, so the signal reaches it only this way.
        StopSignal.installForTermination()
        let forwarder = Thread {
            while StopSignal.received == nil { Thread.sleep(forTimeInterval: 0.1) }
            let worker = NotebookRunner.runningWorker
            if worker > 0 { kill(worker, SIGTERM) }
        }
        forwarder.start()
        if let failure = try runner.runAll(notebook, assignments: assignments, echo: { Console.output($0) }) {
            Console.errors("\(notebook): \(failure)\n")
            throw ExitCode(StopSignal.received != nil ? StopSignal.resumableStatus : 1)
        }
        print("\(notebook): every cell is done")
    }
}

struct ListNotebooks: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notebooks", abstract: "List the notebooks, their parameters and cells.")
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        for d in try notebookRunner(dataOptions, figures: nil).list() {
            print("\(d.name): \(d.summary)")
            for p in d.parameters { print("    \(p.name) = \(p.defaultValue)    \(p.help)") }
            print("    cells: " + d.cells.map(\.name).joined(separator: ", "))
        }
    }
}
