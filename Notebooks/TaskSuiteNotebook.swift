import DataLayout
import Foundation
import Models
import NotebookRunner
import Plotting
import Studies
import Tasks

/// Where attention's advantage appears: every task of the suite at the suite-quick preset's
/// small sizes, Pythia against Mamba, with seeds. Position retrieval favours Mamba at this
/// scale; associative recall (MQAR), copying and induction are where the field finds
/// attention ahead. Trains, then tabulates steps to 95% and final accuracy and exact match per
/// task, then draws each task's figures.
let taskSuite = Notebook("task-suite", summary: "Every synthetic task, Transformer against SSM, with seeds", parameters: [
    Parameter("tasks", default: TaskKind.allCases.map(\.rawValue).joined(separator: ","), help: "tasks to run (\(TaskKind.names))") { text in
        text.split(separator: ",").allSatisfy { TaskKind(rawValue: String($0)) != nil } ? nil : "tasks: use names among \(TaskKind.names)"
    },
    Parameter("models", default: "pythia,mamba", help: "families to compare (pythia, mamba, mamba2, hybrid)") { text in
        text.split(separator: ",").allSatisfy { ModelFamily(rawValue: String($0)) != nil } ? nil : "models: use names among \(ModelFamily.names)"
    },
    .integers("seeds", default: "0,1,2", help: "replicates of every model and task", range: 0...1_000_000),
    .integers("steps", default: "\(StudySpec.suiteQuick.base.steps)", help: "step budget per run", range: 1...10_000_000),
], cells: [
    Cell("train") { ctx in try ctx.train(try taskSuiteStudy(ctx)) },
    Cell("summary") { ctx in
        let spec = try taskSuiteStudy(ctx)
        let rows = try Study(spec, dataDirectory: ctx.dataDirectory).collect().map(\.summaryRow)
        let table = Study.summaryTable(rows)
        ctx.store("summary", .text(table))
        ctx.log(table)
    },
    Cell("figures") { ctx in
        let spec = try taskSuiteStudy(ctx)
        let runs = try RunRecord.load(studyFolder: ctx.data.study(spec.name)).runs
        let folder = ctx.figures.named(spec.name)
        ctx.store(try StudyFigures.drawAll(runs, in: folder), under: folder)
    },
])

/// The suite-quick preset restricted to the chosen tasks, models, seeds and budget.
func taskSuiteStudy(_ ctx: CellContext) throws -> StudySpec {
    var spec = StudySpec.suiteQuick
    let chosen = Set(ctx.parameter("tasks").split(separator: ",").compactMap { TaskKind(rawValue: String($0)) })
    spec.tasks = spec.tasks?.filter { chosen.contains($0.task) }
    spec.models = ctx.parameter("models").split(separator: ",").compactMap { ModelFamily(rawValue: String($0)) }
    spec.seeds = ctx.integers("seeds").map(UInt64.init)
    spec.base.steps = ctx.integers("steps")[0]
    return spec.named(byGrid: "task-suite")
}
