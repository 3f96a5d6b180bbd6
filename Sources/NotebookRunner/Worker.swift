import Foundation
import SystemIO

/// What the runner needs to know of a notebook, as the worker reports it.
public struct NotebookDescription: Codable, Equatable {
    public struct ParameterInfo: Codable, Equatable { public let name, defaultValue, help: String }
    public struct CellInfo: Codable, Equatable {
        public let name, sourceHash: String
        /// The cell's Swift source, as the report shows it.
        public let source: String
        public init(name: String, sourceHash: String, source: String) { self.name = name; self.sourceHash = sourceHash; self.source = source }
    }
    public let name: String
    public let summary: String
    public let parameters: [ParameterInfo]
    public let cells: [CellInfo]
}

extension Notebook {
    public var description: NotebookDescription {
        NotebookDescription(name: name, summary: summary,
                            parameters: parameters.map { .init(name: $0.name, defaultValue: $0.defaultValue, help: $0.help) },
                            cells: cells.enumerated().map { i, c in
                                .init(name: c.name, sourceHash: sourceHash(of: i), source: source(of: i) ?? "(source unreadable: \(c.file))")
                            })
    }

    /// A cell's lines from its declaration up to the next cell declared in the same file (or
    /// the end of the file).
    func sourceLines(of index: Int) -> [Substring]? {
        let cell = cells[index]
        guard let text = try? String(contentsOfFile: cell.file, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let next = cells[(index + 1)...].first { $0.file == cell.file && $0.line > cell.line }?.line ?? lines.count + 1
        return Array(lines[max(0, cell.line - 1)..<min(lines.count, next - 1)])
    }

    /// The cell's source as a report shows it: its lines without the blank ones after it.
    func source(of index: Int) -> String? {
        guard var body = sourceLines(of: index) else { return nil }
        while body.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { body.removeLast() }
        return body.joined(separator: "\n")
    }

    /// A hash of the cell's lines: an edit makes the cell stale.
    func sourceHash(of index: Int) -> String {
        guard let body = sourceLines(of: index)?.joined(separator: "\n") else { return "unreadable" }
        return ContentHash.fnv1a(body)
    }

    /// Parameter values: defaults overridden by name=value pairs; problems are named.
    public func resolve(_ assignments: [String]) -> (values: [String: String], problems: [String]) {
        var values = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.defaultValue) })
        var problems: [String] = []
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { problems.append("'\(a)' is not name=value"); continue }
            let key = String(a[..<eq]), value = String(a[a.index(after: eq)...])
            guard let p = parameter(key) else {
                problems.append("\(name) has no parameter '\(key)'" + suggestion(key, parameters.map(\.name)))
                continue
            }
            if let problem = p.check(value) { problems.append(problem) } else { values[key] = value }
        }
        return (values, problems)
    }
}

/// " (did you mean …?)" with the closest names, or "".
public func suggestion(_ word: String, _ candidates: [String]) -> String {
    func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var prev = row[0]; row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
    let close = candidates.map { ($0, distance(word, $0)) }.filter { $0.1 <= max(2, word.count / 3) || $0.0.hasPrefix(word) }
        .sorted { $0.1 < $1.1 }.prefix(3).map(\.0)
    return close.isEmpty ? "" : " (did you mean \(close.joined(separator: ", "))?)"
}

/// The worker side: `scanlab-worker describe NB`, `check NB k=v…`, and
/// `run NB CELL --state FILE --data DIR --figures DIR k=v…`. One cell per process.
public enum Worker {
    public static func main(_ args: [String], notebooks: [Notebook]) -> Int32 {
        func notebook(_ name: String) -> Notebook? {
            if let n = notebooks.first(where: { $0.name == name }) { return n }
            FileHandle.standardError.write(Data("no notebook named \(name)\(suggestion(name, notebooks.map(\.name)))\n".utf8))
            return nil
        }
        guard let command = args.first else { return 2 }
        switch command {
        case "list":
            let all = notebooks.map(\.description)
            print(String(decoding: try! JSONEncoder().encode(all), as: UTF8.self))
            return 0
        case "describe":
            guard args.count == 2, let nb = notebook(args[1]) else { return 2 }
            print(String(decoding: try! JSONEncoder().encode(nb.description), as: UTF8.self))
            return 0
        case "check":
            guard args.count >= 2, let nb = notebook(args[1]) else { return 2 }
            let problems = nb.resolve(Array(args.dropFirst(2))).problems
            for p in problems { print(p) }
            return problems.isEmpty ? 0 : 2
        case "run":
            guard args.count >= 3, let nb = notebook(args[1]) else { return 2 }
            guard let cell = nb.cell(args[2]) else {
                FileHandle.standardError.write(Data("\(nb.name) has no cell '\(args[2])'\(suggestion(args[2], nb.cells.map(\.name)))\n".utf8))
                return 2
            }
            var state = "", data = "Data", figures = "Figures", assignments: [String] = []
            var i = 3
            while i < args.count {
                switch args[i] {
                case "--state": state = args[i + 1]; i += 2
                case "--data": data = args[i + 1]; i += 2
                case "--figures": figures = args[i + 1]; i += 2
                default: assignments.append(args[i]); i += 1
                }
            }
            StopSignal.installForTermination()
            return run(nb, cell, statePath: state, assignments: assignments, data: data, figures: figures)
        default:
            FileHandle.standardError.write(Data("unknown worker command \(command)\n".utf8))
            return 2
        }
    }

    static func run(_ nb: Notebook, _ cell: Cell, statePath: String, assignments: [String], data: String, figures: String) -> Int32 {
        let (values, problems) = nb.resolve(assignments)
        guard problems.isEmpty else { for p in problems { print(p) }; return 2 }
        var state: NotebookState
        do { state = try NotebookState.load(statePath) } catch {
            FileHandle.standardError.write(Data("cannot read notebook state \(statePath): \(error)\n".utf8))
            return 2
        }
        let index = nb.cells.firstIndex { $0.name == cell.name }!
        let ctx = CellContext(notebook: nb, parameters: values, values: state.values, dataDirectory: data, figuresDirectory: figures)
        do {
            try cell.body(ctx)
            state.values = ctx.values
            state.cells[cell.name] = CellRecord(status: "done", sourceHash: nb.sourceHash(of: index),
                                                parametersRead: values.filter { ctx.parametersRead.contains($0.key) }, message: nil,
                                                stored: ctx.storedNames)
            try state.save(statePath)
            return 0
        } catch {
            // A SIGTERM (forwarded by `scanlab run`) stops a training cell after a checkpoint;
            // the cell is not done and runs again (resuming) next time.
            let stopped = StopSignal.received != nil
            state.cells[cell.name] = CellRecord(status: "failed", sourceHash: nb.sourceHash(of: index),
                                                parametersRead: [:], message: stopped ? "interrupted: \(error)" : "\(error)")
            try? state.save(statePath)
            Console.errors("\(error)\n")
            return stopped ? StopSignal.resumableStatus : 1
        }
    }
}
