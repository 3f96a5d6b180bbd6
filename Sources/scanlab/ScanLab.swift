import ArgumentParser
import TensorCore

@main
struct ScanLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scanlab",
        abstract: "Compare state-space models and Transformers on CPU.",
        subcommands: [StudyCommand.self, Train.self, Plot.self, RunNotebook.self, ListNotebooks.self, Forward.self, Bench.self])
}
