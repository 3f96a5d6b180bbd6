import DataLayout
import NotebookRunner
import Plotting
import Studies
import Tasks

/// The two query placements compared: both models on one length, query after the context
/// (suffix) and before it (prefix), with the steps each needed and the accuracy curves.
let prefixVersusSuffix = Notebook("prefix-vs-suffix", summary: "Query before or after the context, both models", parameters: [
    .integers("length", default: "12", help: "sequence length L", range: 2...16_000),
    .integers("steps", default: "2500", help: "step budget per run", range: 1...10_000_000),
    .integers("seeds", default: "0,1,2", help: "seeds: replicates of every run (each drawn thin, their median thick)", range: 0...1_000_000),
] + modelSourceParameters, cells: [
    Cell("train") { ctx in
        let spec = try prefixVersusSuffixStudy(ctx)
        let rows = try Study(spec, dataDirectory: ctx.dataDirectory).run().map(\.summaryRow)
        ctx.store("comparison", .table([["model", "variant", "seed", "steps to threshold", "final accuracy"]] + rows.map {
            [$0.model.rawValue, $0.variant.rawValue, "\($0.seed)", $0.reachedStep.map(String.init) ?? "not reached",
             $0.finalAccuracy.map { String(format: "%.4f", $0) } ?? "-"]
        }))
        ctx.log(Study.summaryTable(rows))
    },
    Cell("figure") { ctx in
        let folder = ctx.data.study(try prefixVersusSuffixStudy(ctx).name)
        let runs = try RunRecord.load(studyFolder: folder).runs
        let f = try StudyFigures.prefixVersusSuffix(runs, length: ctx.integers("length")[0], in: ctx.figures.named("prefix-vs-suffix"))
        ctx.store([f])
    },
])

/// Both models and both placements at one length, the quick preset's settings.
func prefixVersusSuffixStudy(_ ctx: CellContext) throws -> StudySpec {
    var spec = StudySpec.quick
    spec.lengths = ctx.integers("length")
    spec.base.steps = ctx.integers("steps")[0]
    spec.seeds = ctx.integers("seeds").map(UInt64.init)
    try applyModelSource(ctx, to: &spec)
    return spec.named(byGrid: "prefix-vs-suffix-L\(ctx.parameter("length"))")
}
