import DataLayout
import Foundation
import Models
import NotebookRunner
import Plotting
import Studies
import Tasks

/// The paper's closing question at CPU scale: with one attention layer among Mamba layers,
/// does the per-position pattern become uniform like Pythia's, and does the hybrid learn in
/// fewer steps than either parent? Trains the parents and the hybrid from scratch at the
/// standard preset's settings, then compares steps to 95% and the position profile at the
/// first evaluation past 50% held-out accuracy.
let hybrid = Notebook("hybrid", summary: "Does one attention layer among Mamba layers learn like a Transformer?", parameters: [
    .integers("length", default: "16", help: "sequence length L", range: 2...16_000),
    .choice("variant", default: "suffix", help: "query placement", options: QueryPlacement.allCases.map(\.rawValue)),
    Parameter("models", default: "pythia,mamba,mamba2,hybrid", help: "families to compare (pythia, mamba, mamba2, hybrid)") { text in
        text.split(separator: ",").allSatisfy { ModelFamily(rawValue: String($0)) != nil } ? nil : "models: use names among \(ModelFamily.names)"
    },
    Parameter("pattern", default: "MMT", help: "the hybrid's layers: M Mamba, S Mamba-2, T attention") { text in
        (try? BlockKind.pattern(text)) == nil ? "pattern: use the letters M, S and T" : nil
    },
    .integers("seeds", default: "0,1,2", help: "replicates of every model", range: 0...1_000_000),
    .integers("steps", default: "8000", help: "step budget per run", range: 1...10_000_000),
], cells: [
    Cell("train") { ctx in try ctx.train(try hybridStudy(ctx)) },
    Cell("compare") { ctx in
        let spec = try hybridStudy(ctx)
        let runs = try RunRecord.load(studyFolder: ctx.data.study(spec.name)).runs
        var table = [["model", "seed", "steps to 95%", "step at 50%", "first third", "middle third", "last third", "spread"]]
        for r in runs.sorted(by: { ($0.config.model.rawValue, $0.config.seed) < ($1.config.model.rawValue, $1.config.seed) }) {
            let reached = r.metrics.reachedStep.map(String.init) ?? "not reached"
            guard let p = PositionProfile(r.metrics, level: 0.5) else {
                table.append([r.config.modelLabel, "\(r.config.seed)", reached, "never at 50%", "", "", "", ""]); continue
            }
            table.append([r.config.modelLabel, "\(r.config.seed)", reached, "\(p.step)"]
                         + [p.first, p.middle, p.last, p.spread].map { String(format: "%.2f", $0) })
        }
        ctx.store("comparison", .table(table))
        ctx.log(table.map { $0.joined(separator: "\t") }.joined(separator: "\n"))
    },
    Cell("figures") { ctx in
        let spec = try hybridStudy(ctx)
        let runs = try RunRecord.load(studyFolder: ctx.data.study(spec.name)).runs
        let folder = ctx.figures.named(spec.name)
        let figures = [try StudyFigures.learningCurves(runs, in: folder),
                       try StudyFigures.positionAccuracy(runs, length: spec.lengths[0], variant: spec.variants[0], in: folder)]
        ctx.store(figures)
    },
])

/// The parents and the hybrid at the standard preset's settings (hidden 128; Pythia and Mamba
/// 2 layers, as in that preset; lr 1e-3; evaluation every 200 steps on 1,200 examples).
func hybridStudy(_ ctx: CellContext) throws -> StudySpec {
    var base = StudySpec.fromScratchBase(steps: ctx.integers("steps")[0], evalEvery: 200)
    base.layers = 2
    base.pattern = try LayerPattern(parsing: ctx.parameter("pattern"))
    let models = ctx.parameter("models").split(separator: ",").compactMap { ModelFamily(rawValue: String($0)) }
    let length = ctx.integers("length")[0], variant = QueryPlacement(rawValue: ctx.parameter("variant"))!
    let spec = StudySpec(name: "", models: models, lengths: [length], variants: [variant], lrs: [1e-3],
                         seeds: ctx.integers("seeds").map(UInt64.init), base: base)
        .named(byGrid: "hybrid-\(ctx.parameter("pattern"))-L\(length)-\(variant.rawValue)")
    try spec.validate()
    return spec
}
