import DataLayout
import Foundation

/// A notebook: named parameters and named cells that run in order. Notebooks are Swift files
/// in Notebooks/, compiled into `scanlab-worker`; each cell runs in a fresh worker process, so
/// a crash in a cell cannot take the runner or the saved state down.
public struct Notebook {
    public let name: String
    public let summary: String
    public let parameters: [Parameter]
    public let cells: [Cell]

    public init(_ name: String, summary: String, parameters: [Parameter], cells: [Cell]) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.cells = cells
    }

    public func cell(_ name: String) -> Cell? { cells.first { $0.name == name } }
    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
}

/// A declared parameter: a default, a help text and a check that names the problem.
public struct Parameter {
    public let name: String
    public let defaultValue: String
    public let help: String
    /// Returns a message when the text is not a valid value, nil when it is.
    public let check: (String) -> String?

    public init(_ name: String, default value: String, help: String, check: @escaping (String) -> String? = { _ in nil }) {
        self.name = name
        self.defaultValue = value
        self.help = help
        self.check = check
    }

    /// A comma-separated list of integers within a range.
    public static func integers(_ name: String, default value: String, help: String, range: ClosedRange<Int>) -> Parameter {
        Parameter(name, default: value, help: help) { text in
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !parts.isEmpty else { return "\(name) needs at least one value" }
            for p in parts {
                guard let v = Int(p) else { return "\(name): '\(p)' is not an integer" }
                guard range.contains(v) else { return "\(name): \(v) is outside \(range.lowerBound)…\(range.upperBound)" }
            }
            return nil
        }
    }

    /// One of a fixed set of words.
    public static func choice(_ name: String, default value: String, help: String, options: [String]) -> Parameter {
        Parameter(name, default: value, help: help) { text in
            options.contains(text) ? nil : "\(name): '\(text)' is not one of \(options.joined(separator: ", "))"
        }
    }
}

/// A named step. Its source text (from its declaration to the next cell's) decides when a
/// changed notebook makes it stale.
public struct Cell {
    public let name: String
    public let file: String
    public let line: Int
    public let body: (CellContext) throws -> Void

    public init(_ name: String, file: String = #filePath, line: Int = #line, _ body: @escaping (CellContext) throws -> Void) {
        self.name = name
        self.file = file
        self.line = line
        self.body = body
    }
}

/// What a cell reads and writes: parameters (recorded, so changing one marks the cell stale)
/// and named values kept in the notebook's state file.
public final class CellContext {
    public let notebook: Notebook
    let parameterValues: [String: String]
    public private(set) var parametersRead: Set<String> = []
    var values: [String: NotebookValue]
    public let dataDirectory: String
    public let figuresDirectory: String
    public var data: DataFolder { DataFolder(dataDirectory) }
    public var figures: FiguresFolder { FiguresFolder(figuresDirectory) }

    init(notebook: Notebook, parameters: [String: String], values: [String: NotebookValue],
         dataDirectory: String, figuresDirectory: String) {
        self.notebook = notebook
        self.parameterValues = parameters
        self.values = values
        self.dataDirectory = dataDirectory
        self.figuresDirectory = figuresDirectory
    }

    public func parameter(_ name: String) -> String {
        guard let v = parameterValues[name] else { fatalError("cell reads undeclared parameter \(name)") }
        parametersRead.insert(name)
        return v
    }

    public func integers(_ name: String) -> [Int] {
        parameter(name).split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Names stored by this cell, in order (reports show them under the cell).
    public private(set) var storedNames: [String] = []

    public func store(_ name: String, _ value: NotebookValue) {
        values[name] = value
        storedNames.removeAll { $0 == name }
        storedNames.append(name)
    }

    public func value(_ name: String) throws -> NotebookValue {
        guard let v = values[name] else { throw NotebookError("no stored value named \(name) (run the cell that stores it first)") }
        return v
    }

    public func log(_ line: String) { print(line) }
}

public struct NotebookError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
