import DataLayout
import Foundation
import SystemIO

/// A cell's state as the runner sees it.
public enum CellStatus: String, Equatable {
    case notRun = "not run", done, stale, failed, running
}

/// Drives notebooks through `scanlab-worker`, one process per cell: a crash (fatal error,
/// failed precondition, signal) ends only that process; the runner reports it with the cell's
/// name, and the saved state, written atomically after each successful cell, stays intact.
public struct NotebookRunner {
    public let worker: String
    public let dataDirectory: String
    public let figuresDirectory: String

    public init(worker: String, dataDirectory: String, figuresDirectory: String) {
        self.worker = worker
        self.dataDirectory = dataDirectory
        self.figuresDirectory = figuresDirectory
    }


    /// The worker running a cell right now (0 when none), for forwarding Ctrl-C: workers run in
    /// their own process group, so the terminal's SIGINT reaches them only through the REPL.
    nonisolated(unsafe) public static var runningWorker: Int32 = 0

    /// Runs the worker; its exit status, the signal that ended it (a crash) and what it printed.
    func call(_ args: [String], environment: [String: String] = [:], echo: ((String) -> Void)? = nil) throws -> ChildProcess.Outcome {
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            throw NotebookError("the notebook worker \(worker) is missing; build it with: swift build -c release --product scanlab-worker")
        }
        // The crash message is what matters to the reader, not the runtime's backtrace.
        var child = ChildProcess(worker, args, environment: environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, fixed in fixed })
        child.ownProcessGroup = true
        defer { NotebookRunner.runningWorker = 0 }
        // The cell's output is shown as it comes (training logs); both streams are kept.
        return try child.run(onStart: { NotebookRunner.runningWorker = $0 }) { stream, text in
            if stream == .output { echo?(text) }
        }
    }

    public func list() throws -> [NotebookDescription] {
        let o = try call(["list"])
        return try JSONDecoder().decode([NotebookDescription].self, from: Data(o.output.utf8))
    }

    public func describe(_ name: String) throws -> NotebookDescription {
        let o = try call(["describe", name])
        guard o.status == 0 else { throw NotebookError(o.errors.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return try JSONDecoder().decode(NotebookDescription.self, from: Data(o.output.utf8))
    }

    /// Validates name=value assignments in the worker (where the checks live); returns the
    /// full parameter values or throws with every problem.
    public func parameters(_ d: NotebookDescription, _ assignments: [String]) throws -> [String: String] {
        let o = try call(["check", d.name] + assignments)
        guard o.status == 0 else { throw NotebookError(o.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
        var values = Dictionary(uniqueKeysWithValues: d.parameters.map { ($0.name, $0.defaultValue) })
        for a in assignments { if let eq = a.firstIndex(of: "=") { values[String(a[..<eq])] = String(a[a.index(after: eq)...]) } }
        return values
    }

    /// <data>/notebooks/<notebook>-<parameter set>.h5.
    public func statePath(_ d: NotebookDescription, _ values: [String: String]) -> String {
        DataFolder(dataDirectory).notebookState("\(d.name)-\(parameterSetTag(d, values))")
    }

    /// Names a parameter set: "defaults", or a hash of the values that differ from them.
    public func parameterSetTag(_ d: NotebookDescription, _ values: [String: String]) -> String {
        let changed = d.parameters.filter { values[$0.name] != $0.defaultValue }.map { "\($0.name)=\(values[$0.name]!)" }.sorted()
        guard !changed.isEmpty else { return "defaults" }
        return String(ContentHash.fnv1a(changed.joined(separator: "\n")).suffix(10))
    }

    /// The Jupyter report of this parameter set (NotebookReport).
    public func reportPath(_ d: NotebookDescription, _ values: [String: String]) -> String {
        NotebookReport.path(d, tag: parameterSetTag(d, values), figuresDirectory: figuresDirectory)
    }

    /// Done, stale (its source or a parameter it read changed, or an earlier cell is not done),
    /// failed or not run, in cell order.
    public func statuses(_ d: NotebookDescription, _ state: NotebookState, _ values: [String: String]) -> [(String, CellStatus)] {
        var earlierPending = false
        return d.cells.map { c in
            guard let r = state.cells[c.name] else { earlierPending = true; return (c.name, .notRun) }
            if r.status == "failed" { earlierPending = true; return (c.name, .failed) }
            let changed = r.sourceHash != c.sourceHash || r.parametersRead.contains { values[$0.key] != $0.value }
            if changed || earlierPending { earlierPending = true; return (c.name, .stale) }
            return (c.name, .done)
        }
    }

    /// What a report keeps of a cell's log: its end, when longer.
    static let reportLogLimit = 64 * 1024

    /// Runs one cell in a fresh worker, then records what it printed and rewrites the report.
    /// Returns nil on success, else the reason.
    public func runCell(_ d: NotebookDescription, _ cell: String, _ values: [String: String],
                        environment: [String: String] = [:], echo: ((String) -> Void)? = nil) throws -> String? {
        let assignments = d.parameters.map { "\($0.name)=\(values[$0.name] ?? $0.defaultValue)" }
        // A cell whose state cannot be saved must not run at all: its work would be lost.
        do { try AtomicFile.checkWritable((statePath(d, values) as NSString).deletingLastPathComponent) } catch let e as SystemIOError {
            throw NotebookError("cell \(cell) not run: its state cannot be saved: \(e.description)")
        }
        var printed = ""
        let o = try call(["run", d.name, cell, "--state", statePath(d, values), "--data", dataDirectory,
                          "--figures", figuresDirectory] + assignments, environment: environment, echo: { text in
            printed += text
            if printed.utf8.count > 2 * Self.reportLogLimit { printed = String(printed.suffix(Self.reportLogLimit)) }
            echo?(text)
        })
        var message: String? = nil
        if o.status != 0 || o.signal != nil {
            let lines = o.errors.split(separator: "\n").map(String.init)
            let fatal = lines.filter { $0.contains("Fatal error") || $0.contains("Precondition failed") }
            let detail = (fatal.isEmpty ? Array(lines.suffix(3)) : fatal).joined(separator: " | ")
            message = o.signal == SIGINT ? "cell \(cell) interrupted (Ctrl-C)"
                : o.status == StopSignal.resumableStatus ? "cell \(cell) stopped by a signal (its training checkpointed); run it again to resume"
                : o.signal.map { "cell \(cell) crashed (signal \($0)): \(detail)" } ?? "cell \(cell) failed: \(detail)"
        }
        // The worker saved the state when it could; a crashed worker recorded nothing, so the
        // record now says why the cell is not done (its stored values are untouched). Either way
        // the record keeps the cell's log for the report.
        let path = statePath(d, values)
        var state = try NotebookState.load(path)
        if o.signal != nil || state.cells[cell] == nil {
            let hash = d.cells.first { $0.name == cell }?.sourceHash ?? ""
            state.cells[cell] = CellRecord(status: message == nil ? "done" : "failed", sourceHash: hash, parametersRead: [:], message: message)
        }
        state.cells[cell]?.log = printed.utf8.count > Self.reportLogLimit
            ? "…\n" + String(printed.suffix(Self.reportLogLimit)) : printed
        try state.save(path)
        try NotebookReport.write(d, state: state, values: values, statuses: statuses(d, state, values),
                                 tag: parameterSetTag(d, values), figuresDirectory: figuresDirectory)
        return message
    }

    /// Batch mode: runs every cell that is not done, in order. Returns the failing cell's
    /// message, or nil when the whole notebook is done.
    public func runAll(_ name: String, assignments: [String], echo: @escaping (String) -> Void) throws -> String? {
        let d = try describe(name)
        let values = try parameters(d, assignments)
        for (cell, status) in statuses(d, try NotebookState.load(statePath(d, values)), values) where status != .done {
            if StopSignal.received != nil { return "stopped by a signal before cell \(cell); run the same command again to continue" }
            echo("▶ \(d.name) / \(cell) (\(status.rawValue))\n")
            if let failure = try runCell(d, cell, values, echo: echo) { return failure }
        }
        return nil
    }
}
