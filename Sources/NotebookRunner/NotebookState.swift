import Foundation
import HDF5
import TensorCore

/// A value a cell stores.
public enum NotebookValue {
    case number(Double)
    case text(String)
    case tensor(Tensor)
    /// Rows of cells; the first row is the header.
    case table([[String]])
    /// A training run, by its folder.
    case run(String)
    /// A figure, by its PNG (an SVG of the same name may sit beside it); reports embed the PNG.
    case figure(String)

    /// One line for `show`: a tensor as shape and summary statistics.
    public var summary: String {
        switch self {
        case .number(let v): return String(format: "%g", v)
        case .text(let s): return s.count > 200 ? String(s.prefix(200)) + "…" : s
        case .table(let rows): return "table, \(max(0, rows.count - 1)) rows: " + (rows.first ?? []).joined(separator: ", ")
        case .figure(let png): return "figure \(png)"
        case .run(let folder):
            let finished = FileManager.default.fileExists(atPath: folder + "/metrics.h5") ? "" : " (no evaluation yet)"
            return "run \(folder)\(finished)"
        case .tensor(let t):
            let v = t.values.map(Double.init)
            let mean = v.reduce(0, +) / Double(max(1, v.count))
            let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, v.count))).squareRoot()
            return String(format: "tensor %@: mean %.4g, std %.4g, min %.4g, max %.4g", "\(t.shape)", mean, std,
                          v.min() ?? 0, v.max() ?? 0)
        }
    }
}

/// What is known about a cell's last run.
public struct CellRecord: Codable, Equatable {
    public var status: String            // "done" or "failed"
    public var sourceHash: String
    /// Parameters the cell read, with the values it saw.
    public var parametersRead: [String: String]
    public var message: String?
    /// What the cell printed in its last run (the end of it, when long), for reports.
    public var log: String?
    /// The values the cell stored in its last run, in the order it stored them.
    public var stored: [String]?

    public init(status: String, sourceHash: String, parametersRead: [String: String], message: String?,
                log: String? = nil, stored: [String]? = nil) {
        self.status = status; self.sourceHash = sourceHash; self.parametersRead = parametersRead; self.message = message
        self.log = log; self.stored = stored
    }
}

/// A notebook's saved state for one parameter set: stored values and cell records, in one
/// HDF5 file written atomically after every cell (values/<name>, attribute cells = JSON).
public struct NotebookState {
    public var values: [String: NotebookValue] = [:]
    public var cells: [String: CellRecord] = [:]

    public init() {}

    public static func load(_ path: String) throws -> NotebookState {
        var s = NotebookState()
        guard FileManager.default.fileExists(atPath: path) else { return s }
        let f = try HDF5File(path, mode: .read)
        if try f.hasAttribute("cells") {
            let json = try f.stringAttribute("cells")
            s.cells = try JSONDecoder().decode([String: CellRecord].self, from: Data(json.utf8))
        }
        if try f.exists("values") {
            for name in try f.children("values") {
                let path = "values/" + name
                switch try f.stringAttribute("kind", on: path) {
                case "number": s.values[name] = .number(try f.doubleAttribute("value", on: path))
                case "text": s.values[name] = .text(try f.stringAttribute("value", on: path))
                case "run": s.values[name] = .run(try f.stringAttribute("value", on: path))
                case "figure": s.values[name] = .figure(try f.stringAttribute("value", on: path))
                case "table":
                    let rows = try JSONDecoder().decode([[String]].self, from: Data(try f.stringAttribute("value", on: path).utf8))
                    s.values[name] = .table(rows)
                default: s.values[name] = .tensor(try f.readTensor(path + "/data"))
                }
            }
        }
        return s
    }

    public func save(_ path: String) throws {
        try HDF5File.writeAtomically(path) { f in try write(to: f) }
    }

    private func write(to f: HDF5File) throws {
        try f.setAttribute("format", "scanlab.notebook-state")
        try f.setAttribute("cells", String(decoding: try JSONEncoder().encode(cells), as: UTF8.self))
        try f.createGroups("values")
        for (name, value) in values {
            let p = "values/" + name
            try f.createGroups(p)
            switch value {
            case .number(let v): try f.setAttribute("kind", "number", on: p); try f.setAttribute("value", v, on: p)
            case .text(let t): try f.setAttribute("kind", "text", on: p); try f.setAttribute("value", t, on: p)
            case .run(let folder): try f.setAttribute("kind", "run", on: p); try f.setAttribute("value", folder, on: p)
            case .figure(let png): try f.setAttribute("kind", "figure", on: p); try f.setAttribute("value", png, on: p)
            case .table(let rows):
                try f.setAttribute("kind", "table", on: p)
                try f.setAttribute("value", String(decoding: try JSONEncoder().encode(rows), as: UTF8.self), on: p)
            case .tensor(let t): try f.setAttribute("kind", "tensor", on: p); try f.write(p + "/data", t)
            }
        }
    }
}
