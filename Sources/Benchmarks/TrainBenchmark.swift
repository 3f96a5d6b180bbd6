import Foundation
import Models
import Studies
import Tasks
import TensorCore

/// One row of `scanlab bench train`, with the PyTorch anchor script's field names plus gflops.
public struct TrainBenchmarkRow: Codable, Equatable {
    public let impl: String
    public let model: String
    public let size: String
    /// The task and its parameters ("position-retrieval", "mqar length 64, vocab 8192, …").
    public let task: String
    public let L: Int
    public let variant: String
    public let batch: Int
    public let micro_batch: Int
    public let threads: Int
    public let vocab: Int
    public let params: Int
    public let ms_per_step_median: Double
    public let ms_per_step_min: Double
    public let tokens_per_s: Double
    public let steps_timed: Int
    public let gflops: Double
    /// The product shape that does the most of the step's arithmetic ("3392x128 by 384x128ᵀ").
    public let sgemm_shape: String
    /// The allowed cores times a direct single-threaded cblas_sgemm's rate at that shape, timed
    /// just before and just after the timed steps (the mean of the two medians): what the
    /// matrix unit allows, steadier than one threaded call on a VM whose cores come and go.
    public let sgemm_gflops: Double
    /// gflops / sgemm_gflops: how close the whole step comes to the matrix unit's rate.
    public let sgemm_ratio: Double
    /// The process's peak resident memory (getrusage's ru_maxrss) after the timed steps.
    public let peak_rss_mb: Double
    /// MachineInfo.benchmarkLine of the machine that measured the row.
    public let machine: String
}

/// A full training step (forward, loss at the task's labelled positions, backward, AdamW) at
/// the shapes of shared/anchors/torch_train_step.py: batch 64; by default its tiny models
/// (Pythia hidden 128 × 2 layers × 4 heads, ffn 512; Mamba hidden 128 × 4 layers, d_state 16,
/// expand 2, conv 4; on position retrieval a vocabulary of 3 + 2L), or with `size` a published
/// shape with random weights and the task's tokens appended to its vocabulary. Any task of the
/// suite (`task`); the step is the trainer's own (`trainingStep`), without clipping as in the anchor.
public enum TrainBenchmark {
    /// `fullForward`: every layer on every row, the arithmetic the PyTorch anchor performs;
    /// otherwise the trainer's answer-position forward.
    public static func run(model family: ModelFamily, size: PublishedSize? = nil, task spec: TaskSpec,
                           batch: Int = 64, microBatch: Int? = nil, hidden: Int? = nil,
                           pattern: LayerPattern? = nil, warmup: Int = 2, steps: Int = 10, fullForward: Bool = false,
                           profile: Bool = false) throws -> TrainBenchmarkRow {
        var c = RunConfig(model: family, length: spec.length)
        c.task = spec.kind == .positionRetrieval ? nil : spec.kind
        c.variant = spec.placement
        c.taskOptions = spec.options.isEmpty ? nil : spec.options
        c.batch = batch
        c.size = size
        c.microBatch = microBatch
        c.pattern = pattern
        if let hidden { c.hidden = hidden }
        try c.validate()
        let config = try c.modelConfig()
        let task = try c.makeTask()
        var g = RandomGenerator(seed: 0)
        let model = makeModel(config, generator: &g)
        let optimizer = AdamW(model.parameters)
        let examples = try task.generate(count: batch * (warmup + steps), seed: 1, excluding: [])
        var times: [Double] = [], sgemmTimes: [Double] = []
        var answerRows = 0
        var direct: DirectSgemm?
        for i in 0..<(warmup + steps) {
            if profile && i == warmup { OpProfiler.start() }
            if i == 0 { ProductTally.start() }
            let b = examples.batch(Array((i * batch)..<((i + 1) * batch)))
            answerRows = b.rows.count
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = trainingStep(model, optimizer, batch: b, lr: 1e-3, clipNorm: nil, fullForward: fullForward, microBatch: microBatch)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            if i == 0 {
                ProductTally.stop()
                guard let dominant = ProductTally.shapes.first?.shape else {
                    throw ConfigError("bench train: the step of \(c.modelLabel) ran no matrix product to compare with")
                }
                direct = DirectSgemm(dominant)
            }
            // The direct sgemm just before the timed steps and just after them, not between
            // them: its operands would evict the step's from the caches.
            if i == warmup - 1 || (warmup == 0 && i == 0) { sgemmTimes.append(direct!.oneCoreMedianSeconds(seconds: 0.1)) }
            if i >= warmup { times.append(dt) }
        }
        sgemmTimes.append(direct!.oneCoreMedianSeconds(seconds: 0.1))
        OpProfiler.stop()
        let median = Benchmarks.median(times)
        let gflops = trainingFLOPs(model, batch: batch, task: task, answerRows: answerRows, fullForward: fullForward) / median * 1e-9
        let sgemmGflops = Double(Parallel.cores) * direct!.shape.flops / (sgemmTimes.reduce(0, +) / Double(sgemmTimes.count)) * 1e-9
        let tokensPerStep = Double(batch * task.sequenceLength)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return TrainBenchmarkRow(impl: fullForward ? "scanlab-full-forward" : "scanlab", model: c.modelLabel,
                                 size: size?.rawValue ?? "tiny", task: spec.kind == .positionRetrieval ? spec.kind.rawValue : "\(spec.kind.rawValue) \(task.parameterText)",
                                 L: spec.length, variant: spec.placement.rawValue, batch: batch,
                                 micro_batch: microBatch ?? batch, threads: Parallel.cores, vocab: task.vocabularySize,
                                 params: model.parameters.count,
                                 ms_per_step_median: median * 1e3, ms_per_step_min: times.min()! * 1e3,
                                 tokens_per_s: tokensPerStep / median, steps_timed: times.count,
                                 gflops: gflops, sgemm_shape: direct!.shape.description, sgemm_gflops: sgemmGflops,
                                 sgemm_ratio: gflops / sgemmGflops,
                                 peak_rss_mb: Double(usage.ru_maxrss) / 1024, machine: MachineInfo.current.benchmarkLine)
    }

    /// Arithmetic one training step performs, as the model reports it (CausalLM.trainingFLOPs):
    /// with `fullForward` every layer on every row, else the trainer's answer-position forward
    /// with vocabulary tables when the trainer uses them.
    static func trainingFLOPs(_ model: CausalLM, batch: Int, task: any SyntheticTask, answerRows: Int, fullForward: Bool) -> Double {
        let entries = task.vocabularySize - task.baseVocabulary
        let tables = !fullForward && 2 * entries <= batch * task.sequenceLength
        return model.trainingFLOPs(batch: batch, sequence: task.sequenceLength, answerRows: answerRows,
                                   tableEntries: tables ? entries : nil, answerOnly: !fullForward)
    }

    /// The op profile of the timed steps (`run(profile: true)`), largest total first.
    public static func profileTable(steps: Int) -> String {
        let rows = OpProfiler.entries.sorted {
            $0.value.forwardSeconds + $0.value.backwardSeconds > $1.value.forwardSeconds + $1.value.backwardSeconds
        }
        let total = rows.reduce(0.0) { $0 + $1.value.forwardSeconds + $1.value.backwardSeconds }
        let per = 1e3 / Double(steps)
        return formatTable(["op", "calls/step", "forward ms", "backward ms", "share"], rows.map { name, e in
            [name, "\(e.calls / steps)", String(format: "%.2f", e.forwardSeconds * per), String(format: "%.2f", e.backwardSeconds * per),
             String(format: "%.1f%%", (e.forwardSeconds + e.backwardSeconds) / total * 100)]
        }) + String(format: "\n%.1f ms per step in ops and the optimizer (profiling adds a little)\n", total * per)
    }

    /// The step's rate, and beside it a direct sgemm's at the step's dominant product shape
    /// (printed under the table: `sgemm_shape`).
    public static func table(_ rows: [TrainBenchmarkRow]) -> String {
        formatTable(["impl", "model", "size", "L", "micro-batch", "params", "ms/step (median)", "ms/step (min)", "tokens/s",
                     "GFLOP/s", "sgemm GFLOP/s", "ratio", "peak RSS MB"], rows.map { r in
            [r.impl, r.model, r.size, "\(r.L)", "\(r.micro_batch)", "\(r.params)", String(format: "%.1f", r.ms_per_step_median),
             String(format: "%.1f", r.ms_per_step_min), String(format: "%.0f", r.tokens_per_s), String(format: "%.1f", r.gflops),
             String(format: "%.1f", r.sgemm_gflops), String(format: "%.2f", r.sgemm_ratio),
             String(format: "%.0f", r.peak_rss_mb)]
        }) + "\n" + rows.map { "sgemm GFLOP/s: \($0.threads) × a direct one-core cblas_sgemm at \($0.model)'s dominant product, \($0.sgemm_shape)" }
            .joined(separator: "\n") + machineFooter(rows.map(\.machine))
    }
}
