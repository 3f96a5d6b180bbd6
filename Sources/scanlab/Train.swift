import ArgumentParser
import DataLayout
import Foundation
import Models
import Plotting
import Studies
import SystemIO
import Tasks

/// Where generated data and runs live: --data, else $SCANLAB_DATA, else ./Data.
struct DataOptions: ParsableArguments {
    @Option(help: "Data folder (default: $SCANLAB_DATA or ./Data).") var data: String?

    var folder: DataFolder { DataFolder(data ?? ProcessInfo.processInfo.environment["SCANLAB_DATA"] ?? "Data") }
    var directory: String { folder.path }
}

extension ModelFamily: ExpressibleByArgument {}
extension QueryPlacement: ExpressibleByArgument {}
extension NewTokenInit: ExpressibleByArgument {}


/// Flags that set the fields of a run; shared by `train` and `study` (where they override a preset).
struct RunOptions: ParsableArguments {
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "Seed of the model initialisation and data order.") var seed: UInt64?
    @Option(help: "Seed of the embedding rows.") var embeddingSeed: UInt64?
    @Option(help: "Batch size.") var batch: Int?
    @Option(help: "Step budget.") var steps: Int?
    @Option(help: "Fraction of steps for linear warmup.") var warmupRatio: Double?
    @Option(help: "Evaluate every N steps (default: every 1% of the budget).") var evalEvery: Int?
    @Option(help: "Held-out accuracy that counts as learned, in (0, 1].") var threshold: Double?
    @Flag(help: "Train the whole budget even after reaching the threshold.") var noEarlyStop = false
    @Option(help: "Training examples.") var trainSize: Int?
    @Option(help: "Held-out examples.") var evalSize: Int?
    @Option(help: "Seed of the training and held-out sets.") var dataSeed: UInt64?
    @Option(help: "Hidden size (in a study, a comma list is an axis: 32,64,128).") var hidden: IntList?
    @Option(help: ArgumentHelp("Held-out lengths evaluated at every evaluation besides --length (length generalisation; mqar, ngram-retrieval, selective-copying, induction-heads), e.g. 64,128,256.", valueName: "lengths"))
    var evalLengths: IntList?
    @Option(help: "Layers (default: 2 for pythia, 4 for mamba and mamba2; a hybrid's come from --pattern).") var layers: Int?
    @Option(help: "Attention heads (pythia).") var heads: Int?
    @Option(help: "MLP width (pythia; default 4×hidden).") var ffn: Int?
    @Option(help: "d_state (mamba, mamba2).") var stateSize: Int?
    @Option(help: "Channels per head (mamba2; default 32).") var headDim: Int?
    @Option(help: ArgumentHelp("A hybrid's layers, one letter each: M Mamba, S Mamba-2, T attention (GPT-NeoX); default MMT, attention after two Mamba blocks.", valueName: "letters"), transform: LayerPattern.init(parsing:))
    var pattern: LayerPattern?
    @Option(help: ArgumentHelp("Start from this checkpoint: its shape, its vocabulary with the task's tokens appended. In a study, one per family: pythia=FILE,mamba=FILE.", valueName: "file"))
    var initFrom: String?
    @Option(help: ArgumentHelp("A published shape, trained from scratch with the task's tokens appended to its vocabulary: \(PublishedSize.names). In a study, one per family: pythia-160m,mamba-130m.", valueName: "name"))
    var size: String?
    @Option(help: "How the task's tokens appended to a vocabulary start: normal (N(0, initializer_range), from the embedding seed) or mean (transformers' mean resizing).")
    var newTokenInit: NewTokenInit?
    @Option(help: "Split each step's batch into micro-batches of this many examples (the same update; less memory).")
    var microBatch: Int?

    /// The model-size flags given, for the conflict check against --size and --init-from.
    private var shapeFlags: [String] {
        [("--hidden", hidden?.values.first), ("--layers", layers), ("--heads", heads), ("--ffn", ffn), ("--state-size", stateSize),
         ("--head-dim", headDim)]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
    }

    /// Refuses model-size flags beside --size or --init-from, naming both.
    func checkShapeFlags() throws {
        guard let conflict = shapeFlags.first else { return }
        if let size { throw ValidationError("\(conflict) conflicts with --size \(size): a published shape sets every model size") }
        if let initFrom { throw ValidationError("\(conflict) conflicts with --init-from \(initFrom): the shape comes from the checkpoint") }
    }

    func apply(to c: inout RunConfig) {
        if let lr { c.lr = lr }
        if let seed { c.seed = seed }
        if let embeddingSeed { c.embeddingSeed = embeddingSeed }
        if let batch { c.batch = batch }
        if let steps { c.steps = steps }
        if let warmupRatio { c.warmupRatio = warmupRatio }
        if let evalEvery { c.evalEvery = evalEvery }
        if let threshold { c.threshold = threshold }
        if noEarlyStop { c.earlyStop = false }
        if let trainSize { c.trainSize = trainSize }
        if let evalSize { c.evalSize = evalSize }
        if let dataSeed { c.dataSeed = dataSeed }
        if let hidden, hidden.values.count == 1 { c.hidden = hidden.values[0] }
        if let evalLengths { c.evalLengths = evalLengths.values }
        if let layers { c.layers = layers }
        if let heads { c.heads = heads }
        if let ffn { c.ffn = ffn }
        if let stateSize { c.stateSize = stateSize }
        if let headDim { c.headDim = headDim }
        if let pattern { c.pattern = pattern }
        if let newTokenInit { c.newTokenInit = newTokenInit }
        if let microBatch { c.microBatch = microBatch }
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one model on a task (resumes an interrupted run; a finished run is not redone).")

    @Option(help: "pythia, mamba, mamba2 or hybrid (layers from --pattern).") var model: ModelFamily?
    @Option(help: "The task's length: context tokens L (position-retrieval, ngram-retrieval), sequence length T (mqar, selective-copying), random symbols (induction-heads).") var length: Int?
    @Option(help: "A run's config.json (as written into every run folder); other run flags are then not allowed.") var config: String?
    @Option(help: "suffix (query after the context) or prefix (the retrieval tasks).") var variant: QueryPlacement = .suffix
    @OptionGroup var taskArguments: TaskArguments
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Run folder (default: <data>/runs/<name from the configuration>).") var out: String?
    @Flag(help: "Redraw the learning-curve PNG after every evaluation (Figures/runs/<run>/).") var plotLive = false
    @Option(help: "Figures folder (default: $SCANLAB_FIGURES, or Figures/ beside the data folder).") var figures: String?
    @Flag(help: "When another process trains this run, wait for it instead of stopping.") var wait = false
    @Option(help: ArgumentHelp("Also write the run's events (RunEvent JSON lines, as in <run>/events.jsonl) to standard output: -. The log then goes to standard error.", valueName: "-"))
    var events: String?

    func validate() throws {
        if let events, events != "-" { throw ValidationError("--events takes - (standard output), got \(events)") }
    }

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        StopSignal.install()
        if let parent = ProcessInfo.processInfo.environment[StopSignal.parentVariable].flatMap(Int32.init) {
            StopSignal.stopWhenParentDies(parent)
        }
        var c: RunConfig
        if let config {
            guard model == nil, length == nil else { throw ValidationError("--config already names the model and length") }
            c = try RunConfig.read(config)
        } else {
            guard let model, let length else { throw ValidationError("give --model and --length (or --config FILE)") }
            c = RunConfig(model: model, length: length)
            c.variant = variant
            if let hidden = runOptions.hidden, hidden.values.count != 1 {
                throw ValidationError("--hidden takes one width in train (a list is a study axis), got \(hidden.values.map(String.init).joined(separator: ","))")
            }
            taskArguments.apply(to: &c)
            runOptions.apply(to: &c)
            try runOptions.checkShapeFlags()
            if let text = runOptions.size {
                let sizes = try PerFamily.sizes(text)
                guard let size = sizes[model], sizes.count == 1 else {
                    throw StudyError("--size \(text) is not one \(model.rawValue) shape (\(PublishedSize.names))")
                }
                c.size = size
            }
            if let text = runOptions.initFrom {
                guard let file = try PerFamily.checkpoints(text)[model] else {
                    throw StudyError("--init-from \(text) names no \(model.rawValue) checkpoint")
                }
                c.initFrom = file
            }
        }
        let log: (String) -> Void = events == nil ? { Console.output($0) } : { Console.errors($0) }
        if events != nil { EventRelay.toStandardOutput() } else {
            // A relay is only a live view: one that cannot be opened is reported, and training goes on.
            do { try EventRelay.fromEnvironment() } catch { log("warning: no live events (\(EventRelay.environmentVariable)): \(error)\n") }
        }
        let run = try TaskRun(c, dataDirectory: dataOptions.directory, folder: out,
                              reporter: ProgressReporter(interactive: events == nil && isatty(STDOUT_FILENO) == 1, output: log))
        if plotLive { run.onEvent = LiveFigures(figures: figuresFolder(figures, data: dataOptions), configs: [c], folder: { [folder = run.folder] _ in folder }).draw }
        run.waitForLock = wait
        let r = try exitResumably { try run.run() }
        log("run folder: \(r.folder)\n")
    }
}

/// Runs `body`; an Interrupted (SIGTERM or SIGINT, checkpoint written) becomes its message on
/// stderr and the exit status that says "interrupted, resumable".
func exitResumably<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as Interrupted {
        Console.errors((e.description + "\n"))
        throw ExitCode(StopSignal.resumableStatus)
    }
}
