import Checkpoints
import DataLayout
import Dispatch
import Foundation
import Models
import SystemIO
import Tasks
import TensorCore

/// The outcome of one run.
public struct RunResult: Equatable {
    public let config: RunConfig
    public let folder: RunFolder
    public let metrics: RunMetrics
    /// Whether this call did any training (false for a finished run found on disk).
    public let trained: Bool
    public var reachedStep: Int? { metrics.reachedStep }
    public var finalAccuracy: Double? { metrics.accuracies.last }
}

/// One training run of a task: resumable from its last checkpoint, bit-identical to an
/// uninterrupted run (on any thread count), and a no-op once finished.
///
/// Its folder (RunFolder): config.json, tokens.json, provenance.json, metrics.h5, events.jsonl,
/// tensorboard/, checkpoints/step-NNNNNNNN.h5 (the newest three of the current line of training
/// kept; checkpoints that cannot be used are moved to checkpoints/unusable/, never deleted),
/// lock (FolderLock: one trainer at a time).
///
/// config.json is for people and for `train --config`; what a run was trained under is
/// recorded in every checkpoint and in metrics.h5, and a run whose config.json no longer
/// matches that record refuses to go on (naming the fields) instead of silently changing.
///
/// A SIGTERM or SIGINT (when StopSignal is installed) ends training after the current step
/// with a checkpoint and throws Interrupted; running again continues as if never stopped. A
/// non-finite loss or gradient ends the run as diverged, keeping its last good checkpoint.
public final class TaskRun {
    public let config: RunConfig
    public let folder: RunFolder
    public let data: DataFolder
    let task: any SyntheticTask
    let reporter: ProgressReporter
    static let keptCheckpoints = 3
    /// Called with each of the run's events once its folder has it (events.jsonl, metrics.h5).
    public var onEvent: ((RunEvent) -> Void)?
    private var eventLog: RunEventLog?
    private var tensorBoard: TensorBoardLog?
    /// When another process trains this run: wait for it (true) or stop with an error naming it.
    public var waitForLock = false

    /// Validates the configuration (where a run's configuration is made); a study, which has
    /// validated its runs when it was made, uses `init(studyRun:)`.
    public convenience init(_ config: RunConfig, dataDirectory: String, folder: String? = nil, reporter: ProgressReporter = ProgressReporter()) throws {
        try config.validate()
        try self.init(studyRun: config, dataDirectory: dataDirectory, folder: folder, reporter: reporter)
    }

    /// A run of a validated study (StudySpec.validate checked every run's configuration).
    init(studyRun config: RunConfig, dataDirectory: String, folder: String? = nil, reporter: ProgressReporter = ProgressReporter()) throws {
        self.config = config
        data = DataFolder(dataDirectory)
        self.folder = folder.map(RunFolder.init) ?? data.run(config.folderName)
        self.task = try config.makeTask()
        self.reporter = reporter
    }

    /// Creates the run folder with its config.json, or checks that an existing one holds the
    /// same values (its formatting does not matter).
    public func prepareFolder() throws {
        try Folders.create(folder.checkpoints)
        let configPath = folder.config
        let existing: RunConfig?
        do { existing = try JSONRecord.read(RunConfig.self, from: configPath) } catch let e as SystemIOError {
            throw StudyError("\(e.description) (the run folder's configuration; restore it, or train into another folder)")
        }
        if let existing {
            let differences = existing.differences(to: config)
            guard differences.isEmpty else {
                throw StudyError("\(folder) holds a run with another configuration (its config.json → this one: " +
                                 differences.joined(separator: "; ") + "); train into another folder")
            }
        } else {
            try AtomicFile.write(configPath, text: config.json)
        }
        try AtomicFile.write(folder.tokens, text: task.tokensJSON)
    }

    /// Refuses to go on with a run whose configuration differs from the one recorded where it
    /// was trained (`source`: a checkpoint or metrics.h5), naming the fields.
    func checkRecord(_ record: String?, source: String) throws {
        guard let record else { return }
        let recorded: RunConfig
        do { recorded = try JSONRecord.decode(RunConfig.self, from: Data(record.utf8), source: folder.path + "/" + source) } catch let e as SystemIOError {
            throw StudyError("\(e.description) (the recorded configuration)")
        }
        let differences = recorded.differences(to: config)
        guard differences.isEmpty else {
            throw StudyError("\(folder): this configuration differs from the one the run was trained under (recorded in \(source); " +
                             "recorded → now: " + differences.joined(separator: "; ") + "). A run's configuration cannot change: " +
                             "restore its config.json, or train the new configuration in another folder")
        }
    }

    /// Finished, diverged, interrupted (at the last evaluated step) or not started, from the folder alone.
    public var progress: RunProgress {
        if let m = try? RunMetrics.read(folder.metrics) {
            if let d = m.divergence { return .diverged(atStep: d.step) }
            return m.finished ? .finished : .interrupted(atStep: m.steps.last ?? 0)
        }
        return folder.exists ? .notStarted : .notPrepared
    }

    /// The progress and, once trained, the machine types that trained it: a status line. A run
    /// being trained right now says by whom (its folder's lock).
    public var statusLine: String {
        var state = progress.description
        if let holder = FolderLock.currentHolder(of: folder.path) {
            let at = if case .interrupted(let step) = progress { ", step \(step) at its last evaluation" } else { "" }
            state = "training now\(at) (\(holder))"
        }
        return state + (machineTypes.map { " on " + $0.joined(separator: ", then ") } ?? "")
    }
    /// The machine types that trained this run (provenance.json), nil before any training.
    public var machineTypes: [String]? { RunProvenance.read(folder.provenance).map(\.machineTypes) }

    /// Trains until the step budget or the threshold (with early stop), resuming if possible.
    /// `stopAfter` ends this call after that many new steps (at an evaluation), for tests of resume.
    @discardableResult
    public func run(stopAfter: Int? = nil) throws -> RunResult {
        let lock = try FolderLock(folder.path, wait: waitForLock) { holder in
            self.reporter.log("\(self.config.folderName): waiting for \(holder?.description ?? "another process"), which trains it")
        }
        defer { lock.release() }
        try prepareFolder()
        let recordedMetrics = try? RunMetrics.read(folder.metrics)
        try checkRecord(recordedMetrics?.runConfiguration, source: "metrics.h5")
        if let done = recordedMetrics, done.finished {
            reporter.log("\(config.folderName): already finished (\(describe(done))); nothing to do")
            return RunResult(config: config, folder: folder, metrics: done, trained: false)
        }
        let log = try RunEventLog(folder.events)
        if let repair = log.repair { reporter.log("\(config.folderName): \(repair)") }
        (eventLog, tensorBoard) = (log, TensorBoardLog(folder: folder, config: config))
        defer { (eventLog, tensorBoard) = (nil, nil) }

        let sets = try TaskDataset.load(task, trainSize: config.trainSize, evalSize: config.evalSize,
                                        seed: config.dataSeed, data: self.data)
        let lengthSets = try config.lengthTasks().map { t in
            (task: t, examples: try TaskDataset.heldOut(t, evalSize: config.evalSize, seed: config.dataSeed, data: self.data))
        }
        var model = try buildModel()
        var optimizer = AdamW(model.parameters, hyper: .init(weightDecay: config.weightDecay))
        let schedule = WarmupCosineSchedule(base: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps)
        func record(_ m: inout RunMetrics) {
            m.runConfiguration = config.json
            m.slotName = task.slotName
            m.evalLengths = config.evalLengths ?? []
        }
        var metrics = RunMetrics(threshold: config.threshold)
        record(&metrics)
        var step = 0, epoch = 0, cursor = 0, resumed = false
        // The mean training loss recorded at an evaluation covers the steps since the previous
        // one; a checkpoint between evaluations carries the partial sum, bit for bit.
        var lossSum = 0.0, lossCount = 0
        switch try resume(model: model, optimizer: optimizer) {
        case .resumed(let state, let path):
            let t = state.trainer ?? TrainerCursor()
            (step, epoch, cursor, lossSum, lossCount) = (t.step, t.epoch, t.cursor, t.lossSum, t.lossCount)
            metrics = RunMetrics(checkpoint: state.metrics, threshold: config.threshold)
            record(&metrics)
            resumed = true
            reporter.log("\(config.folderName): resuming at step \(step) from \((path as NSString).lastPathComponent)")
        case .none(let damaged):
            if damaged {
                // A failed load may have written part of a damaged file into the model.
                model = try buildModel()
                optimizer = AdamW(model.parameters, hyper: .init(weightDecay: config.weightDecay))
                reporter.log("\(config.folderName): no checkpoint could be loaded; training from step 0")
            }
            let on = config.taskKind == .positionRetrieval ? "L=\(config.length) \(config.variant.rawValue)" : config.taskLabel
            reporter.log("\(config.folderName): training \(config.model.rawValue) (\(model.parameters.count) parameters) on \(on), \(config.steps) steps")
        }
        if let warning = try RunProvenance.record(at: folder.provenance, fromStep: step) { reporter.log("\(config.folderName): \(warning)") }
        try emit(.started(.init(step: step, steps: config.steps, parameters: model.parameters.count, model: config.model.rawValue,
                                task: config.taskLabel, label: config.shortLabel, resumed: resumed)))

        func checkpoint() throws {
            var state = Checkpoint.TrainingState(optimizer: optimizer)
            state.trainer = TrainerCursor(step: step, epoch: epoch, cursor: cursor, lossSum: lossSum, lossCount: lossCount)
            state.metrics = metrics.checkpointMetrics(slots: task.slotCount)
            state.runConfiguration = config.json
            try saveCheckpoint(model, state, step: step)
            try emit(.checkpointed(step: step))
        }

        var order = epochOrder(epoch, count: sets.train.count)
        let start = DispatchTime.now().uptimeNanoseconds, startStep = step
        var newSteps = 0
        while step < config.steps {
            if let signal = StopSignal.received {
                if step > startStep { try checkpoint() }
                try emit(.interrupted(step: step, signal: signal))
                reporter.log("\(config.folderName): stopped by signal \(signal) at step \(step) with a checkpoint; run the same command again to resume")
                throw Interrupted(signal: signal, description: "\(folder): interrupted by signal \(signal) at step \(step) " +
                                  "with a checkpoint; run the same command again to resume")
            }
            // Next batch in this epoch's order; an epoch boundary starts a new shuffle.
            var indices: [Int] = []
            while indices.count < config.batch {
                if cursor == order.count { epoch += 1; cursor = 0; order = epochOrder(epoch, count: sets.train.count) }
                let take = min(config.batch - indices.count, order.count - cursor)
                indices += order[cursor..<(cursor + take)]
                cursor += take
            }
            let outcome = trainStep(model, optimizer, sets.train, indices, lr: schedule.learningRate(step: step))
            if let bad = outcome.nonFinite {
                // No update was made; the last checkpoint is the last good state.
                metrics.divergence = RunMetrics.Divergence(step: step + 1, what: bad)
                metrics.finished = true
                try metrics.write(folder.metrics, slots: task.slotCount)
                try emit(.diverged(step: step + 1, what: bad))
                reporter.log("\(config.folderName): diverged at step \(step + 1): \(bad) is not finite; " +
                             "the run stops here and keeps its last good checkpoint")
                return RunResult(config: config, folder: folder, metrics: metrics, trained: true)
            }
            lossSum += Double(outcome.loss); lossCount += 1
            step += 1; newSteps += 1
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            reporter.update(config.folderName, step: step, steps: config.steps, loss: lossSum / Double(lossCount),
                            accuracy: metrics.accuracies.last, stepsPerSecond: Double(step - startStep) / max(elapsed, 1e-9))
            guard step % config.evalInterval == 0 || step == config.steps else { continue }

            let held = evaluate(model, sets.heldOut, slots: task.slotCount)
            let lengths = lengthSets.map { evaluate(model, $0.examples, slots: $0.task.slotCount).accuracy }
            metrics.record(step: step, loss: lossSum / Double(lossCount), accuracy: held.accuracy, exactMatch: held.exactMatch,
                           positions: held.slots, lengths: lengths)
            lossSum = 0; lossCount = 0
            let stopEarly = config.earlyStop && metrics.reachedStep != nil
            if step == config.steps || stopEarly { metrics.finished = true }
            try checkpoint()
            try metrics.write(folder.metrics, slots: task.slotCount)
            try emit(.evaluated(.init(step: step, loss: metrics.losses.last!, accuracy: held.accuracy, exactMatch: held.exactMatch,
                                      slotAccuracy: held.slots, slotName: task.slotName, evalLengths: config.evalLengths ?? [],
                                      lengthAccuracy: lengths)))
            reporter.log(String(format: "%@  step %d  loss %.4f  held-out accuracy %.4f", config.folderName, step,
                                metrics.losses.last!, held.accuracy))
            if metrics.finished { break }
            if let stopAfter, newSteps >= stopAfter { break }
        }
        if metrics.finished {
            try emit(.finished(.init(step: step, reachedStep: metrics.reachedStep, finalAccuracy: metrics.accuracies.last)))
            reporter.log("\(config.folderName): finished (\(describe(metrics)))")
        }
        return RunResult(config: config, folder: folder, metrics: metrics, trained: true)
    }

    /// Sends an event to the run's folder (events.jsonl, TensorBoard), this process's relay and `onEvent`.
    private func emit(_ kind: RunEvent.Kind) throws {
        let event = RunEvent(run: folder.name, kind: kind)
        try eventLog?.append(event)
        try tensorBoard?.record(event)
        EventRelay.send(event)
        onEvent?(event)
    }

    private func describe(_ m: RunMetrics) -> String {
        if let d = m.divergence { return "diverged at step \(d.step): \(d.what) not finite" }
        let acc = m.accuracies.last.map { String(format: "final accuracy %.4f", $0) } ?? "no evaluation"
        return (m.reachedStep.map { "reached \(config.threshold) at step \($0)" } ?? "threshold not reached") + ", " + acc
    }

    /// The model at step 0. From scratch: initialised from the run's seed, with the task's
    /// rows drawn from the embedding seed (every row in the compact vocabulary). From
    /// --init-from: every pretrained parameter as stored, the embedding (and GPT-NeoX's untied
    /// head) extended by the task's rows (VocabularyExtension, from the embedding seed).
    public func buildModel() throws -> CausalLM {
        var g = RandomGenerator(seed: config.seed &+ 0x5EED)
        var e = RandomGenerator(seed: config.embeddingSeed &+ 0xE111)
        let modelConfig = try config.modelConfig()
        let model = withNoGrad { makeModel(modelConfig, generator: &g) }
        let std = Float(modelConfig.initializerRange)
        guard let initFrom = config.initFrom else {
            if task.baseVocabulary == 0 {
                e.fillNormal(model.parameters[modelConfig.embeddingKey].buffer, mean: 0, std: std)
            } else {
                for key in modelConfig.vocabularyMatrixKeys {
                    let t = model.parameters[key], start = task.baseVocabulary * t.shape[1]
                    e.fillNormal(UnsafeMutableBufferPointer(start: t.data + start, count: t.count - start), mean: 0, std: std)
                }
            }
            return model
        }
        // RunConfig.validate has checked the file, its model family and its shape.
        let source = try Checkpoint.loadModel(initFrom)
        let vocabularyMatrices = Set(modelConfig.vocabularyMatrixKeys)
        for (key, t) in model.parameters.all {
            guard source.parameters.contains(key) else { throw StudyError("\(initFrom): parameter \(key) is missing") }
            let s = source.parameters[key]
            if vocabularyMatrices.contains(key) {
                try VocabularyExtension.fill(t, from: s, rule: config.newTokenInit ?? .normal, std: std, generator: &e)
            } else {
                guard s.shape == t.shape else {
                    throw StudyError("\(initFrom): parameter \(key) has shape \(s.shape), the model needs \(t.shape)")
                }
                t.data.update(from: s.data, count: t.count)
            }
        }
        return model
    }

    /// The training examples' order in one epoch (a permutation seeded by run seed and epoch).
    func epochOrder(_ epoch: Int, count: Int) -> [Int] {
        var g = RandomGenerator(seed: (config.seed &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(epoch + 1))
        return g.permutation(count)
    }

    /// Forward, loss at the labelled rows, backward, clip, AdamW.
    func trainStep(_ model: CausalLM, _ optimizer: AdamW, _ examples: TaskExamples, _ indices: [Int], lr: Double) -> TrainingStepOutcome {
        trainingStep(model, optimizer, batch: examples.batch(indices), lr: lr, clipNorm: config.clipNorm, microBatch: config.microBatch)
    }

    /// Held-out accuracy per answer token (argmax over the whole vocabulary equals the label),
    /// exact match per example, and accuracy per slot.
    func evaluate(_ model: CausalLM, _ examples: TaskExamples, slots: Int) -> Evaluation {
        var correct = 0, answers = 0, exact = 0
        var bySlot = [Int](repeating: 0, count: slots), totalBySlot = [Int](repeating: 0, count: slots)
        let evalBatch = 256
        withNoGrad {
            for start in stride(from: 0, to: examples.count, by: evalBatch) {
                let batch = examples.batch(Array(start..<min(examples.count, start + evalBatch)))
                let logits = answerLogits(model, batch)
                let v = logits.shape[1]
                var allRight = [Bool](repeating: true, count: batch.count)
                for (r, answer) in batch.targets.enumerated() {
                    let row = logits.data + r * v
                    var best = 0
                    for k in 1..<v where row[k] > row[best] { best = k }
                    let slot = batch.slots[r]
                    answers += 1
                    if slot < slots { totalBySlot[slot] += 1 }
                    if best == answer { correct += 1; if slot < slots { bySlot[slot] += 1 } } else { allRight[batch.example[r]] = false }
                }
                exact += allRight.filter { $0 }.count
            }
        }
        let positions = zip(bySlot, totalBySlot).map { $1 > 0 ? Double($0) / Double($1) : 0 }
        return Evaluation(accuracy: Double(correct) / Double(max(1, answers)), exactMatch: Double(exact) / Double(max(1, examples.count)),
                          slots: positions)
    }

    struct Evaluation {
        let accuracy: Double
        let exactMatch: Double
        let slots: [Double]
    }

    /// Saves, then keeps the newest checkpoints of this line of training: those up to this
    /// step. (Newer ones would be from a line the run fell back from; resume has moved them
    /// aside already, and retention never deletes what it did not supersede.)
    func saveCheckpoint(_ model: CausalLM, _ state: Checkpoint.TrainingState, step: Int) throws {
        try Checkpoint.save(model, to: folder.checkpoint(step: step), training: state)
        let line = savedCheckpoints().filter { $0.step <= step }
        for old in line.dropLast(Self.keptCheckpoints) { try? FileManager.default.removeItem(atPath: old.path) }
    }

    /// The checkpoints in the run folder (not those set aside), oldest first.
    func savedCheckpoints() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.checkpoints)) ?? []
        return names.compactMap { name -> (Int, String)? in
            RunFolder.checkpointStep(name).map { ($0, folder.checkpointFile(name)) }
        }.sorted { $0.0 < $1.0 }
    }

    /// Moves a checkpoint that cannot be used into unusable/ (never over an earlier one);
    /// returns where it went.
    func setAside(_ path: String) throws -> String {
        try Folders.create(folder.unusableCheckpoints)
        let name = (path as NSString).lastPathComponent
        var target = folder.unusableCheckpoint(name), n = 1
        while FileManager.default.fileExists(atPath: target) {
            target = folder.unusableCheckpoint((name as NSString).deletingPathExtension + "-\(n).h5"); n += 1
        }
        guard rename(path, target) == 0 else {
            throw StudyError("\(path): cannot move the unusable checkpoint aside to \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }

    enum Resumption {
        case resumed(Checkpoint.TrainingState, path: String)
        /// No checkpoint loaded; `damaged` when some existed (the model may hold part of one).
        case none(damaged: Bool)
    }

    /// The newest checkpoint that loads. One that does not (failed checksum, truncated, a
    /// non-finite value) is moved aside and reported with the one the run falls back to, so
    /// the new line of training that follows is what retention keeps. A checkpoint trained
    /// under another configuration is an error, not a fallback.
    func resume(model: CausalLM, optimizer: AdamW) throws -> Resumption {
        let saved = savedCheckpoints()
        for (i, checkpoint) in saved.enumerated().reversed() {
            let state: Checkpoint.TrainingState
            do { state = try Checkpoint.loadTrainingState(checkpoint.path, model: model, optimizer: optimizer) } catch {
                let fallback = i > 0 ? "falling back to \((saved[i - 1].path as NSString).lastPathComponent)" : "no earlier checkpoint is left"
                let aside = try setAside(checkpoint.path)
                reporter.log("warning: checkpoint \(checkpoint.path) cannot be used (\(error)); moved to \(aside); \(fallback)")
                continue
            }
            try checkRecord(state.runConfiguration, source: "checkpoints/" + (checkpoint.path as NSString).lastPathComponent)
            return .resumed(state, path: checkpoint.path)
        }
        return .none(damaged: !saved.isEmpty)
    }
}

/// A run or a study stopped by SIGTERM or SIGINT after checkpointing: resumable by running the
/// same command again (the command line exits with StopSignal.resumableStatus).
public struct Interrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public let description: String
}
