import ArgumentParser
import Benchmarks
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (build with -c release for meaningful numbers).",
        subcommands: [BenchOps.self])
}

struct BenchOptions: ParsableArguments {
    @Option(help: "Also write the results as a JSON list to this file.")
    var json: String?

    @Option(help: "Seconds to spend timing each case.")
    var seconds: Double = 0.3

    func validate() throws {
        guard seconds > 0, seconds <= 60 else {
            throw ValidationError("--seconds must be in (0, 60], got \(seconds)")
        }
    }
}

struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Matmul GFLOP/s against a direct cblas_sgemm call, and elementwise GB/s.")

    @OptionGroup var options: BenchOptions

    func run() throws {
        let rows = OpsBenchmark.run(seconds: options.seconds)
        print(OpsBenchmark.table(rows))
        if let path = options.json { try writeJSON(rows, to: path); print("wrote \(path)") }
    }
}
