import DataLayout
import NotebookRunner
import Plotting
import Studies
import Tasks
import TensorCore

/// Per-target-position accuracy over training for one length and placement, both models:
/// the heatmap where Mamba learns the last positions first, then the first, then the middle.
let positionAccuracy = Notebook("position-accuracy", summary: "Which target positions each model learns first", parameters: [
    .integers("length", default: "12", help: "sequence length L", range: 2...16_000),
    .choice("variant", default: "suffix", help: "query placement", options: QueryPlacement.allCases.map(\.rawValue)),
    .integers("steps", default: "2500", help: "step budget per run", range: 1...10_000_000),
    .integers("seed", default: "0", help: "the one seed the heatmap shows", range: 0...1_000_000),
] + modelSourceParameters, cells: [
    Cell("train") { ctx in try ctx.train(try positionAccuracyStudy(ctx)) },
    Cell("heatmap") { ctx in
        let spec = try positionAccuracyStudy(ctx)
        let runs = try RunRecord.load(studyFolder: ctx.data.study(spec.name)).runs
        for r in runs {
            ctx.store("\(r.config.model.rawValue)-run", .run(ctx.data.run(r.config.folderName).path))
            // evaluations × L, kept as a tensor value for `show`
            let m = r.metrics.slotAccuracy
            ctx.store("\(r.config.model.rawValue)-position-accuracy",
                      .tensor(Tensor(m.flatMap { $0.map(Float.init) }, shape: [m.count, r.config.length])))
        }
        let f = try StudyFigures.positionAccuracy(runs, length: ctx.integers("length")[0],
                                                  variant: QueryPlacement(rawValue: ctx.parameter("variant"))!,
                                                  in: ctx.figures.named(spec.name))
        ctx.store([f])
    },
])

/// Both models at one length and placement, one seed, the quick preset's settings.
func positionAccuracyStudy(_ ctx: CellContext) throws -> StudySpec {
    var spec = StudySpec.quick
    spec.seeds = ctx.integers("seed").map(UInt64.init)
    spec.lengths = ctx.integers("length")
    spec.variants = [QueryPlacement(rawValue: ctx.parameter("variant"))!]
    spec.base.steps = ctx.integers("steps")[0]
    try applyModelSource(ctx, to: &spec)
    return spec.named(byGrid: "position-accuracy-L\(ctx.parameter("length"))-\(ctx.parameter("variant"))")
}
