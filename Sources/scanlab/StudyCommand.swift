import ArgumentParser
import Foundation
import Plotting
import RetrievalStudy

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a grid of retrieval runs from a preset (quick, paper), with any field overridden.",
        discussion: """
        Finished runs are reused and interrupted ones resume, so a study can be stopped and restarted \
        at any point. Prints the summary (median steps to threshold over seeds, final accuracy) and \
        writes it to <data>/studies/<name>/summary.csv.
        """)

    @Option(help: "Preset: \(StudySpec.presetNames.joined(separator: ", ")).") var preset: String = "quick"
    @Option(help: "Study name (default: the preset's); its folder is <data>/studies/<name>.") var name: String?
    @Option(help: "Comma-separated models, e.g. pythia,mamba.") var models: String?
    @Option(help: "Comma-separated lengths, e.g. 50,100,200.") var lengths: String?
    @Option(help: "Comma-separated variants: suffix,prefix.") var variants: String?
    @Option(help: "Comma-separated learning rates.") var lrs: String?
    @Option(help: "Comma-separated seeds.") var seeds: String?
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?
    @Flag(help: "Redraw each run's learning-curve PNG after every evaluation (Figures/runs/<run>/).") var plotLive = false

    func run() throws {
        var spec: StudySpec
        do { spec = try StudySpec.preset(preset) } catch let e as StudyError { throw ValidationError(e.description) }
        if let name { spec.name = name }
        func list<T>(_ text: String?, _ flag: String, _ parse: (String) -> T?) throws -> [T]? {
            guard let text else { return nil }
            return try text.split(separator: ",").map { part in
                let s = part.trimmingCharacters(in: .whitespaces)
                guard let v = parse(s) else { throw ValidationError("\(flag): '\(s)' is not a valid value") }
                return v
            }
        }
        if let v = try list(models, "--models", { ModelFamily(rawValue: $0) }) { spec.models = v }
        if let v = try list(lengths, "--lengths", { Int($0) }) { spec.lengths = v }
        if let v = try list(variants, "--variants", { QueryPlacement(rawValue: $0) }) { spec.variants = v }
        if let v = try list(lrs, "--lrs", { Double($0) }) { spec.lrs = v }
        if let v = try list(seeds, "--seeds", { UInt64($0) }) { spec.seeds = v }
        runOptions.apply(to: &spec.base)
        let study: Study
        do { study = try Study(spec, dataDirectory: dataOptions.directory) } catch let e as StudyError {
            throw ValidationError(e.description)
        }
        if plotLive { study.afterEvaluation = liveCurves(figures: figuresDirectory(figures, data: dataOptions)) }
        let start = Date()
        let rows = try study.run()
        print("\nStudy \(spec.name): \(rows.count) runs in \(formatDuration(Date().timeIntervalSince(start)))")
        print(Study.summaryTable(rows))
        print("summary: \(study.folder)/summary.csv")
        let runs = try RunRecord.load(studyFolder: study.folder).runs
        report(try StudyFigures.drawAll(runs, in: figuresDirectory(figures, data: dataOptions) + "/" + spec.name))
    }
}
