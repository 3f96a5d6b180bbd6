import DataLayout
import Models
import NotebookRunner
import Plotting
import Studies
import Tasks

/// Reproduce the synthetic in-context retrieval study end to end: the plan, training of both
/// models for each length and variant, the summary table and the figures. The defaults are
/// the quick preset (minutes); `preset=paper` is the paper's protocol (days).
let retrievalStudy = Notebook("retrieval-study", summary: "Reproduce the retrieval study: train, summarise, draw", parameters: [
    .choice("preset", default: "quick", help: "quick (minutes), standard (L = 16–32, under 2 hours) or paper (the paper's protocol, days)",
            options: StudyPreset.names),
    Parameter("lengths", default: "preset", help: "sequence lengths L, e.g. 8,12; preset: the preset's own") { text in
        guard text != "preset" else { return nil }
        guard let bad = text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { Int($0).map { !(2...16_000).contains($0) } ?? true }) else { return nil }
        return "lengths: '\(bad)' is not an integer in 2…16000 (give lengths separated by commas, or preset)"
    },
    Parameter("variants", default: "suffix,prefix", help: "query placements: suffix, prefix or both") { text in
        text.split(separator: ",").allSatisfy { QueryPlacement(rawValue: String($0)) != nil } ? nil : "variants: use suffix, prefix or suffix,prefix"
    },
    .integers("seeds", default: "0,1,2", help: "seeds: replicates of every configuration (the paper uses three)", range: 0...1_000_000),
    Parameter("models", default: "preset", help: "families, e.g. pythia,mamba,mamba2,hybrid; preset: the preset's own") { text in
        text == "preset" || text.split(separator: ",").allSatisfy({ ModelFamily(rawValue: String($0)) != nil })
            ? nil : "models: use preset or names among \(ModelFamily.names)"
    },
    Parameter("pattern", default: "MMT", help: "a hybrid's layers: M Mamba, S Mamba-2, T attention") { text in
        (try? BlockKind.pattern(text)) == nil ? "pattern: use the letters M, S and T" : nil
    },
    .choice("from-scratch", default: "no", help: "with preset=paper: its protocol on tiny models trained from scratch", options: ["no", "yes"]),
] + modelSourceParameters, cells: [
    Cell("plan") { ctx in
        let spec = try studySpec(ctx)
        ctx.store("runs", .table([["model", "length", "variant", "lr", "seed", "steps"]] + spec.runs.map {
            [$0.model.rawValue, "\($0.length)", $0.variant.rawValue, "\($0.lr)", "\($0.seed)", "\($0.steps)"]
        }))
        ctx.log("\(spec.runs.count) runs planned")
    },
    Cell("train") { ctx in try ctx.train(try studySpec(ctx)) },
    Cell("figures") { ctx in
        let spec = try studySpec(ctx)
        let runs = try RunRecord.load(studyFolder: ctx.data.study(spec.name)).runs
        let figures = try StudyFigures.drawAll(runs, in: ctx.figures.named(spec.name))
        ctx.store(figures)
    },
])

/// The study these parameters describe (named after the notebook and its settings).
func studySpec(_ ctx: CellContext) throws -> StudySpec {
    guard let preset = StudyPreset(rawValue: ctx.parameter("preset")) else { throw StudyError("no preset \(ctx.parameter("preset"))") }
    var spec = preset.spec(fromScratch: ctx.parameter("from-scratch") == "yes")
    if ctx.parameter("lengths") != "preset" { spec.lengths = ctx.integers("lengths") }
    spec.variants = ctx.parameter("variants").split(separator: ",").compactMap { QueryPlacement(rawValue: String($0)) }
    spec.seeds = ctx.integers("seeds").map(UInt64.init)
    if ctx.parameter("models") != "preset" {
        spec.models = ctx.parameter("models").split(separator: ",").compactMap { ModelFamily(rawValue: String($0)) }
    }
    if spec.models.contains(.hybrid) { spec.base.pattern = try LayerPattern(parsing: ctx.parameter("pattern")) }
    try applyModelSource(ctx, to: &spec)
    let families = ctx.parameter("models") == "preset" ? "" : "-" + spec.models.map { $0 == .hybrid ? "hybrid\(ctx.parameter("pattern"))" : $0.rawValue }.joined(separator: "_")
    spec = spec.named(byGrid: "notebook-\(spec.name)-L\(spec.lengths.map(String.init).joined(separator: "_"))\(families)")
    try spec.validate()
    return spec
}
