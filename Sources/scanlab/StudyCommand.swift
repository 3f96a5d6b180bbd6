import ArgumentParser
import DataLayout
import Foundation
import Plotting
import Studies
import SystemIO
import Tasks
import TensorCore

/// Which study: a preset with any field and axis overridden (shared by run, status, collect).
/// A study that has run before is bound to the definition in its study.json: with no grid
/// options that definition is used; options that would change it are refused, naming the
/// fields (Study.checkAgainstRecord), except seeds added on purpose with --add-seeds.
struct StudySelection: ParsableArguments {
    @Option(help: "Preset: \(StudyPreset.names.joined(separator: ", ")) (default: quick, or the recorded definition of an existing --name).")
    var preset: StudyPreset?
    @Option(help: "Study name (default: the preset's); its folder is <data>/studies/<name>.") var name: String?
    @Option(help: "Comma-separated models, e.g. pythia,mamba.") var models: String?
    @Option(help: "Comma-separated lengths, e.g. 50,100,200.") var lengths: String?
    @Option(help: "Comma-separated variants: suffix,prefix.") var variants: String?
    @Option(help: "Comma-separated learning rates.") var lrs: String?
    @Option(help: "Comma-separated seeds.") var seeds: String?
    @Option(help: "Comma-separated seeds to add to an existing study's recorded definition (its other runs are reused).")
    var addSeeds: String?
    @Flag(help: "With --preset paper: run its protocol on tiny models trained from scratch (learning rates 1e-3, 5e-4, 2e-4) instead of fine-tuning pretrained checkpoints.")
    var fromScratch = false
    @OptionGroup var taskArguments: TaskArguments
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        if fromScratch && preset != .paper { throw ValidationError("--from-scratch applies to --preset paper only") }
        if fromScratch && runOptions.initFrom != nil { throw ValidationError("--from-scratch and --init-from contradict each other") }
        if addSeeds != nil && seeds != nil { throw ValidationError("give --seeds (the whole axis) or --add-seeds (more of it), not both") }
        try runOptions.checkShapeFlags()
    }

    /// The task options given on the command line, by flag.
    var taskOptionNames: [String] {
        taskArguments.options.given.map { "--" + $0 } + [("--lengths", lengths != nil), ("--variants", variants != nil)].filter(\.1).map(\.0)
    }

    func study() throws -> Study {
        var spec = (preset ?? .quick).spec(fromScratch: fromScratch)
        let studyName = name ?? spec.name
        // An existing study starts from its recorded definition unless a preset is named.
        if preset == nil, let recorded = try Study.recordedSpec(name: studyName, dataDirectory: dataOptions.directory) {
            spec = recorded
        }
        spec.name = studyName
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
        let added = try list(addSeeds, "--add-seeds", { UInt64($0) }) ?? []
        spec.seeds += added.filter { !spec.seeds.contains($0) }
        if taskArguments.task != nil {
            // One task for the whole grid: the study's own lengths and variants.
            if spec.tasks != nil {
                guard lengths != nil else {
                    throw ValidationError("--task \(taskArguments.task!.rawValue) replaces the \(spec.name) study's task list; give its --lengths too")
                }
                spec.tasks = nil
            }
        } else if spec.tasks != nil, let given = taskOptionNames.first {
            throw ValidationError("study \(spec.name) runs several tasks, each with its own options; \(given) needs --task to say which task")
        }
        // A task without a query placement runs at the default one, whatever the preset's variants.
        if let task = taskArguments.task, !task.hasPlacement {
            if let given = variants, given != "suffix" {
                throw ValidationError("--variants \(given): --task \(task.rawValue) has no query placement")
            }
            spec.variants = [.suffix]
        }
        taskArguments.apply(to: &spec.base)
        runOptions.apply(to: &spec.base)
        if let widths = runOptions.hidden?.values, widths.count > 1 { spec.hiddens = widths } else if runOptions.hidden != nil { spec.hiddens = nil }
        try spec.setPerFamily(initFrom: runOptions.initFrom, sizes: runOptions.size)
        return try Study(spec, dataDirectory: dataOptions.directory, addedSeeds: added)
    }
}

enum Backend: String, ExpressibleByArgument { case local, slurm }

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a grid of runs over tasks, models, lengths and widths (locally or on Slurm), watch it, collect its summary.",
        subcommands: [StudyRun.self, StudyStatus.self, StudyCollect.self],
        defaultSubcommand: StudyRun.self)
}

struct StudyRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a study from a preset (\(StudyPreset.names.joined(separator: ", "))), with any field overridden (the default subcommand).",
        discussion: """
        Finished runs are reused and interrupted ones resume, so a study can be stopped and restarted \
        at any point. Locally it prints the summary (median steps to threshold over seeds, final \
        accuracy), writes <data>/studies/<name>/summary.csv and draws the figures. With --backend slurm \
        it writes an sbatch array script (one task per unfinished run) and submits it; follow with \
        `scanlab study status` and `scanlab study collect`.
        """)

    @OptionGroup var selection: StudySelection
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?
    @Flag(help: "Redraw each run's learning-curve PNG after every evaluation (Figures/runs/<run>/).") var plotLive = false
    @Option(help: "local (this machine) or slurm (a job array).") var backend: Backend = .local
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm CPUs per task.") var cpusPerTask: Int = 2
    @Option(help: "Slurm time limit per task (e.g. 2-00:00:00).") var time: String?
    @Flag(help: "With --backend slurm: write the script, do not submit it.") var dryRun = false
    @Option(help: "Runs side by side here, each in its own process with its share of the threads (the same per-run numbers). Default: one per CPU for the tiny from-scratch models (faster on 2 cores), 1 for published shapes and checkpoints.")
    var jobs: Int?

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
        threadOptions.apply()
        let study = try selection.study()
        let dataOptions = selection.dataOptions
        StopSignal.install()
        if backend == .slurm {
            let slurm = SlurmBackend(scanlab: scanlabExecutable(), partition: partition, cpusPerTask: cpusPerTask, time: time)
            let (script, runs) = try slurm.writeScript(study)
            guard !runs.isEmpty else { print("every run of \(study.spec.name) is finished; collect with: scanlab study collect"); return }
            print("wrote \(script) (\(runs.count) array tasks)")
            if dryRun { return }
            print("submitted job \(try slurm.submit(script, study: study))")
            return
        }
        if plotLive { study.onEvent = LiveFigures(figures: figuresFolder(figures, data: dataOptions), configs: study.spec.runs, folder: study.data.run).draw }
        let start = Date()
        // Tiny models use two cores poorly, so separate runs on separate cores finish sooner; the
        // large shapes are matrix products that use every core (and each run needs its memory).
        let tiny = study.spec.runs.allSatisfy { $0.initFrom == nil && $0.size == nil }
        let count = jobs ?? (tiny ? min(Parallel.cores, study.spec.runs.count) : 1)
        let parallel = count > 1 ? LocalJobs(jobs: count, scanlab: scanlabExecutable(), cpus: Parallel.cores) : nil
        let records = try exitResumably { try study.run(jobs: parallel) }
        print("\nStudy \(study.spec.name): \(records.count) runs in \(formatDuration(Date().timeIntervalSince(start)))")
        print(Study.summaryTable(records.map(\.summaryRow)))
        print("summary: \(study.folder.summary)")
        report(try StudyFigures.drawAll(records, in: figuresFolder(figures, data: dataOptions).named(study.spec.name)))
    }
}

struct StudyStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each run's state from its folder, and the Slurm queue.")
    @OptionGroup var selection: StudySelection

    func run() throws {
        let study = try selection.study()
        let (runs, queue) = try SlurmBackend(scanlab: scanlabExecutable()).status(study)
        for (name, state) in runs { print("  \(name): \(state)") }
        print("slurm: \(queue)")
    }
}

struct StudyCollect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "collect", abstract: "Summary and figures once every run is finished.")
    @OptionGroup var selection: StudySelection
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?

    func run() throws {
        let study = try selection.study()
        let records = try study.collect()
        print(Study.summaryTable(records.map(\.summaryRow)))
        print("summary: \(study.folder.summary)")
        report(try StudyFigures.drawAll(records, in: figuresFolder(figures, data: selection.dataOptions).named(study.spec.name)))
    }
}

/// This executable's absolute path (the Slurm tasks call it).
func scanlabExecutable() -> String {
    Bundle.main.executableURL?.resolvingSymlinksInPath().path
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
}

extension StudyPreset: ExpressibleByArgument {}
