import ArgumentParser
import Benchmarks
import Foundation
import Models
import Studies
import Tasks
import SystemIO

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (build with -c release for meaningful numbers).",
        subcommands: [BenchOps.self, BenchKernels.self, BenchTrain.self])
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

    @Option(help: "Interleaved rounds per product (ScanLab's, then the direct call); --seconds is split over them.")
    var rounds: Int = 5

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be positive, got \(rounds)") }
    }

    func run() throws {
        let rows = OpsBenchmark.run(seconds: options.seconds, rounds: rounds)
        print(OpsBenchmark.table(rows))
        if let path = options.json { try writeJSON(rows, to: path); print("wrote \(path)") }
    }
}

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Fused selective scan (Mamba), SSD scan (Mamba-2) and causal attention against their primitive-op compositions.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Comma-separated scan lengths (default 50,100,200,400,800).")
    var scanLengths: String?

    @Option(help: "Comma-separated attention lengths T (default 53,103,203,403,803).")
    var attentionLengths: String?

    @Option(help: "Comma-separated SSD (Mamba-2) lengths (default 50,100,200,400).")
    var ssdLengths: String?

    func run() throws {
        let scan = try parseLengths(scanLengths, name: "--scan-lengths") ?? KernelsBenchmark.scanLengths
        let attention = try parseLengths(attentionLengths, name: "--attention-lengths") ?? KernelsBenchmark.attentionLengths
        let ssd = try parseLengths(ssdLengths, name: "--ssd-lengths") ?? KernelsBenchmark.ssdLengths
        let rows = KernelsBenchmark.run(seconds: options.seconds, scanLengths: scan, attentionLengths: attention, ssdLengths: ssd) {
            Console.errors(($0 + "\n"))
        }
        print(KernelsBenchmark.table(rows))
        if let path = options.json { try writeJSON(rows, to: path); print("wrote \(path)") }
    }
}

/// "50,100" → [50, 100]; names the flag and the bad entry otherwise.
func parseLengths(_ text: String?, name: String) throws -> [Int]? {
    guard let text else { return nil }
    return try text.split(separator: ",").map { part in
        guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v >= 1 else {
            throw ValidationError("\(name): '\(part)' is not a positive integer")
        }
        return v
    }
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time one training step at the PyTorch anchor's shapes (shared/anchors/torch_train_step.py).")

    @Option(help: "pythia, mamba, mamba2 or hybrid (default: the family of --size).") var model: ModelFamily?
    @Option(help: "A hybrid's layer pattern (M Mamba, S Mamba-2, T attention; default MMT).", transform: LayerPattern.init(parsing:)) var pattern: LayerPattern?
    @Option(help: "A published shape, random weights, the task's tokens appended to its vocabulary: \(PublishedSize.names) (default: the tiny anchor models).")
    var size: String?
    @Option(help: "Accumulate gradients over micro-batches of this many examples (default: the whole batch).")
    var microBatch: Int?
    @Option(name: .customLong("L"), help: "The task's length (position retrieval: L content tokens, L+3 tokens per example).") var length: Int
    @Option(help: "suffix or prefix (the retrieval tasks).") var variant: QueryPlacement = .suffix
    @OptionGroup var taskArguments: TaskArguments
    @Option(help: "Hidden size of the tiny models (default 128).") var hidden: Int?
    @Option(help: "Batch size.") var batch: Int = 64
    @Option(help: "Timed steps (after 2 warm-up steps).") var steps: Int = 10
    @Option(help: "Also write the result as JSON to this file.") var json: String?
    @Flag(help: "Run every layer on every row, as the PyTorch anchor does, instead of the trainer's forward (answer-position last layer, first layer on vocabulary tables; same loss and gradients).")
    var fullForward = false
    @Flag(help: "Also print where the timed steps spend their time, per op (forward and backward).")
    var profile = false

    func validate() throws {
        guard length >= 1 else { throw ValidationError("--L must be positive, got \(length)") }
        guard batch >= 1, steps >= 1 else { throw ValidationError("--batch and --steps must be positive") }
    }

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let published = try size.map { name in
            do { return try PublishedSize(named: name) } catch { throw ValidationError("--size: \(error)") }
        }
        guard let family = model ?? published.map({ ModelFamily($0.config) }) else { throw ValidationError("give --model or --size") }
        let row = try TrainBenchmark.run(model: family, size: published, task: taskArguments.spec(length: length, variant: variant),
                                         batch: batch, microBatch: microBatch, hidden: hidden, pattern: pattern, steps: steps, fullForward: fullForward,
                                         profile: profile)
        print(TrainBenchmark.table([row]))
        if profile { print(TrainBenchmark.profileTable(steps: steps)) }
        if let json {
            try JSONRecord.write(row, to: json)
            print("wrote \(json)")
        }
    }
}
