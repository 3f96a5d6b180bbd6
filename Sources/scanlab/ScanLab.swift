import ArgumentParser
import SystemIO
import TensorCore

@main
struct ScanLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scanlab",
        abstract: "Compare state-space models and Transformers on CPU.",
        discussion: "Without a subcommand, opens the notebook REPL (commands piped on standard input run one per line).",
        subcommands: [StudyCommand.self, Train.self, Plot.self, RunNotebook.self, ListNotebooks.self, Forward.self, Bench.self])

    @OptionGroup var dataOptions: DataOptions

    /// A closed pipe (`scanlab train … | head -1`) must not kill a run between checkpoints.
    static func main() {
        Console.ignoreBrokenPipes()
        main(nil)
    }

    func run() throws { Repl.start(data: dataOptions) }
}
