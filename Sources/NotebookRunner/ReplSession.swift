import Foundation

/// The REPL's commands, independent of how lines arrive (readline on a terminal, or piped
/// standard input). Every command prints through `output`; nothing here can end the process.
public final class ReplSession {
    public let runner: NotebookRunner
    let output: (String) -> Void
    /// Rebuilds the worker for `reload`; returns an error message or nil.
    let rebuild: () -> String?
    public private(set) var notebook: NotebookDescription?
    public private(set) var values: [String: String] = [:]
    public private(set) var finished = false
    let extraCommands: [ReplCommand]
    let observer: CellObserver?

    public static let commands: [(String, String)] = [
        ("notebooks", "list the notebooks"),
        ("open NAME", "open a notebook"),
        ("params", "show the parameters and their values"),
        ("set NAME=VALUE", "set a parameter (checked); cells that read it become stale"),
        ("cells", "list the cells and their state"),
        ("next", "run the next cell that is not done"),
        ("run CELL", "run one cell"),
        ("runto CELL", "run every cell up to CELL that is not done"),
        ("runall", "run every cell that is not done"),
        ("show NAME", "show a stored value (a tensor as shape and statistics)"),
        ("values", "list the stored values"),
        ("figures", "list the figures in the figures folder"),
        ("reload", "rebuild the notebooks after editing them; edited cells and those after them become stale"),
        ("help", "this list"),
        ("quit", "leave"),
    ]
    /// Every command name, the session's extra commands included.
    public var commandNames: [String] { (Self.commands + extraCommands.map { ($0.usage, $0.help) }).map { String($0.0.split(separator: " ")[0]) } }

    /// `extraCommands` come from the layers above (the live plots); `observer` sees each cell
    /// start and everything it prints.
    public init(runner: NotebookRunner, output: @escaping (String) -> Void, rebuild: @escaping () -> String?,
                extraCommands: [ReplCommand] = [], observer: CellObserver? = nil) {
        self.runner = runner
        self.output = output
        self.rebuild = rebuild
        self.extraCommands = extraCommands
        self.observer = observer
    }

    var statePath: String? { notebook.map { runner.statePath($0, values) } }

    /// Words for tab completion after `command`.
    public func completions(for command: String) -> [String] {
        switch command {
        case "open": return (try? runner.list().map(\.name)) ?? []
        case "run", "runto": return notebook?.cells.map(\.name) ?? []
        case "set": return notebook?.parameters.map { $0.name + "=" } ?? []
        case "show":
            guard let p = statePath, let s = try? NotebookState.load(p) else { return [] }
            return s.values.keys.sorted()
        default: return []
        }
    }

    /// Executes one command line.
    public func execute(_ line: String) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let command = words.first else { return }
        let argument = words.dropFirst().joined(separator: " ")
        do {
            switch command {
            case "help":
                let all = Self.commands.dropLast(2) + extraCommands.map { ($0.usage, $0.help) } + Self.commands.suffix(2)
                output(all.map { "  \($0.0.padding(toLength: 16, withPad: " ", startingAt: 0)) \($0.1)" }.joined(separator: "\n") + "\n")
            case "quit", "exit": finished = true
            case "notebooks", "list":
                for d in try runner.list() { output("  \(d.name): \(d.summary)\n") }
            case "open": try open(argument)
            case "params":
                let d = try current()
                for p in d.parameters { output("  \(p.name) = \(values[p.name] ?? p.defaultValue)    \(p.help)\n") }
            case "set": try set(argument)
            case "cells": try showCells()
            case "next":
                let d = try current()
                guard let next = try statuses().first(where: { $0.1 != .done }) else { output("every cell is done\n"); return }
                try runCells([next.0], of: d)
            case "run":
                let d = try current()
                guard d.cells.contains(where: { $0.name == argument }) else {
                    throw NotebookError("no cell '\(argument)' in \(d.name)\(suggestion(argument, d.cells.map(\.name)))")
                }
                try runCells([argument], of: d)
            case "runto":
                let d = try current()
                guard let end = d.cells.firstIndex(where: { $0.name == argument }) else {
                    throw NotebookError("no cell '\(argument)' in \(d.name)\(suggestion(argument, d.cells.map(\.name)))")
                }
                let names = Set(d.cells[...end].map(\.name))
                try runCells(try statuses().filter { names.contains($0.0) && $0.1 != .done }.map(\.0), of: d)
            case "runall":
                let d = try current()
                try runCells(try statuses().filter { $0.1 != .done }.map(\.0), of: d)
            case "show":
                _ = try current()
                let state = try NotebookState.load(statePath!)
                guard let v = state.values[argument] else {
                    throw NotebookError("no stored value '\(argument)'\(suggestion(argument, state.values.keys.sorted()))")
                }
                if case .table(let rows) = v {
                    output(rows.map { "  " + $0.joined(separator: "\t") }.joined(separator: "\n") + "\n")
                } else { output("  \(argument): \(v.summary)\n") }
            case "values":
                _ = try current()
                let state = try NotebookState.load(statePath!)
                for (k, v) in state.values.sorted(by: { $0.key < $1.key }) { output("  \(k): \(v.summary)\n") }
            case "figures":
                let files = (FileManager.default.enumerator(atPath: runner.figuresDirectory)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".png") }.sorted()
                output(files.isEmpty ? "no figures yet in \(runner.figuresDirectory)\n"
                       : files.map { "  \(runner.figuresDirectory)/\($0)\n" }.joined())
            case "reload":
                if let problem = rebuild() { throw NotebookError("reload failed: \(problem)") }
                if let d = notebook { notebook = try runner.describe(d.name) }
                output("reloaded\n")
                if notebook != nil { try showCells() }
            default:
                if let extra = extraCommands.first(where: { $0.name == command }) { try extra.run(argument); return }
                throw NotebookError("unknown command '\(command)'\(suggestion(command, commandNames)); type help")
            }
        } catch {
            output("error: \(error)\n")
        }
    }

    func current() throws -> NotebookDescription {
        guard let d = notebook else { throw NotebookError("no notebook is open; open one with: open NAME (notebooks lists them)") }
        return d
    }

    func statuses() throws -> [(String, CellStatus)] {
        let d = try current()
        return runner.statuses(d, try NotebookState.load(statePath!), values)
    }

    func open(_ name: String) throws {
        let d = try runner.describe(name)
        notebook = d
        values = Dictionary(uniqueKeysWithValues: d.parameters.map { ($0.name, $0.defaultValue) })
        output("opened \(d.name): \(d.summary)\n")
        try showCells()
    }

    /// A new parameter set starts from the current one's saved state, so cells that did not
    /// read the changed parameter stay done and those that did become stale.
    func set(_ assignment: String) throws {
        let d = try current()
        let text = assignment.contains("=") ? assignment : assignment.replacingOccurrences(of: " ", with: "=")
        // Current values first, the new one last: the later assignment wins.
        let newValues = try runner.parameters(d, d.parameters.map { "\($0.name)=\(values[$0.name]!)" } + [text])
        let oldPath = statePath!
        values = newValues
        let newPath = statePath!
        if newPath != oldPath, !FileManager.default.fileExists(atPath: newPath), FileManager.default.fileExists(atPath: oldPath) {
            try? FileManager.default.copyItem(atPath: oldPath, toPath: newPath)
        }
        try showCells()
    }

    func showCells() throws {
        for (name, status) in try statuses() { output("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(status.rawValue)\n") }
    }

    func runCells(_ names: [String], of d: NotebookDescription) throws {
        for name in names {
            output("▶ \(name) (running)\n")
            let environment = observer?.cellStarted(name) ?? [:]
            let failure = try runner.runCell(d, name, values, environment: environment, echo: { [output, observer] text in
                output(text)
                observer?.cellPrinted(text)
            })
            observer?.cellEnded(name)
            if let failure {
                output("✗ \(failure)\n")
                return
            }
            output("✓ \(name) done\n")
        }
    }
}

/// A REPL command added by a layer above the runner.
public struct ReplCommand {
    public let usage: String, help: String
    public let run: (String) throws -> Void
    public var name: String { String(usage.split(separator: " ")[0]) }
    public init(_ usage: String, help: String, run: @escaping (String) throws -> Void) { self.usage = usage; self.help = help; self.run = run }
}

/// Sees the cells a session runs: when each starts and what it prints, as it prints it.
public protocol CellObserver: AnyObject {
    /// A cell starts; returns variables to set in its worker's environment.
    func cellStarted(_ name: String) -> [String: String]
    func cellPrinted(_ text: String)
    func cellEnded(_ name: String)
}
