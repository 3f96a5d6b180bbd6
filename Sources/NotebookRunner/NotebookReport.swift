import DataLayout
import Foundation
import SystemIO

/// A notebook run as a Jupyter notebook (nbformat 4.5) to open, read top to bottom and send:
/// one markdown cell with the notebook's summary and parameters, then per cell a code cell
/// holding its Swift source and its outputs: the log as a stream, stored values as text (tables
/// as Markdown too), figures as embedded PNGs, a failure as an error. JupyterLab, VS Code and
/// GitHub render it as it is; there is no Swift kernel behind it, so it is a record, not a
/// notebook to re-execute.
public enum NotebookReport {
    /// <figures>/notebooks/<notebook>-<parameter set>/<notebook>.ipynb
    public static func path(_ d: NotebookDescription, tag: String, figuresDirectory: String) -> String {
        FiguresFolder(figuresDirectory).notebookReport("\(d.name)-\(tag)") + "/\(d.name).ipynb"
    }

    /// The notebook as JSON text; `statuses` gives each cell's state as the runner sees it.
    public static func ipynb(_ d: NotebookDescription, state: NotebookState, values: [String: String],
                             statuses: [(String, CellStatus)]) -> String {
        var cells: [[String: Any]] = [markdown(id: "summary", intro(d, values))]
        var count = 0
        for (i, c) in d.cells.enumerated() {
            let record = state.cells[c.name]
            let status = statuses.first { $0.0 == c.name }?.1 ?? .notRun
            var outputs: [[String: Any]] = []
            if let log = record?.log, !log.isEmpty { outputs.append(["output_type": "stream", "name": "stdout", "text": lines(log)]) }
            var executed: Any = NSNull()
            if record?.status == "done" {
                count += 1
                executed = count
                for name in record?.stored ?? [] {
                    if let v = state.values[name] { outputs.append(output(name, v, count: count)) }
                }
            }
            if record?.status == "failed", let message = record?.message {
                outputs.append(["output_type": "error", "ename": "CellFailed", "evalue": message, "traceback": [message]])
            }
            cells.append(["cell_type": "code", "id": cellID(i, c.name), "execution_count": executed,
                          "metadata": ["scanlab": ["cell": c.name, "status": status.rawValue]],
                          "source": lines(c.source), "outputs": outputs])
        }
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": ["kernelspec": ["name": "swift", "display_name": "Swift (ScanLab)", "language": "swift"],
                         "language_info": ["name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift"],
                         "scanlab": ["notebook": d.name, "parameters": values]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes the report atomically; returns its path.
    @discardableResult
    public static func write(_ d: NotebookDescription, state: NotebookState, values: [String: String],
                             statuses: [(String, CellStatus)], tag: String, figuresDirectory: String) throws -> String {
        let file = path(d, tag: tag, figuresDirectory: figuresDirectory)
        try AtomicFile.write(file, text: ipynb(d, state: state, values: values, statuses: statuses))
        return file
    }

    static func intro(_ d: NotebookDescription, _ values: [String: String]) -> String {
        var text = "# \(escaped(d.name))\n\n\(escaped(d.summary))\n\n| parameter | value | default | meaning |\n|---|---|---|---|\n"
        for p in d.parameters {
            let value = values[p.name] ?? p.defaultValue
            text += "| \(escaped(p.name)) | \(value == p.defaultValue ? escaped(value) : "**\(escaped(value))**") | " +
                "\(escaped(p.defaultValue)) | \(escaped(p.help)) |\n"
        }
        let assignments = d.parameters.filter { values[$0.name] != nil && values[$0.name] != $0.defaultValue }
            .flatMap { ["--set", "\($0.name)=\(values[$0.name]!)"] }
        return text + "\nMade by ScanLab:\n\n" + codeBlock(ShellQuoting.command(["scanlab", "run", d.name] + assignments), language: "sh")
    }

    /// Text that Markdown and the HTML it allows show literally, on one line (a table cell):
    /// markup characters backslash-escaped, `<`, `>` and `&` as entities, line breaks as <br>.
    static func escaped(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n": out += "<br>"
            case "\r": continue
            case "\\", "`", "*", "_", "[", "]", "|", "#", "!", "~", "{", "}", "(", ")", "+", "-", ".":
                out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }

    /// A fenced code block that no run of backticks inside can close early.
    static func codeBlock(_ code: String, language: String) -> String {
        var longest = 0, run = 0
        for ch in code { run = ch == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + language + "\n" + code + "\n" + fence + "\n"
    }

    static func output(_ name: String, _ value: NotebookValue, count: Int) -> [String: Any] {
        switch value {
        case .figure(let png):
            guard let data = FileManager.default.contents(atPath: png) else {
                return result(count, ["text/plain": lines("\(name): figure \(png) (missing when the report was written)")])
            }
            return ["output_type": "display_data", "metadata": ["scanlab": ["value": name, "file": png]],
                    "data": ["image/png": data.base64EncodedString(), "text/plain": lines("\(name): \(png)")]]
        case .table(let rows):
            return result(count, ["text/plain": lines("\(name) =\n" + plainTable(rows)), "text/markdown": lines("**\(name)**\n\n" + markdownTable(rows))])
        case .text(let t): return result(count, ["text/plain": lines("\(name) = \(t)")])
        default: return result(count, ["text/plain": lines("\(name) = \(value.summary)")])
        }
    }

    static func result(_ count: Int, _ data: [String: Any]) -> [String: Any] {
        ["output_type": "execute_result", "execution_count": count, "metadata": [:] as [String: Any], "data": data]
    }

    static func markdown(id: String, _ text: String) -> [String: Any] {
        ["cell_type": "markdown", "id": id, "metadata": [:] as [String: Any], "source": lines(text)]
    }

    /// nbformat's multi-line strings: a list of lines, each but the last ending in a newline.
    static func lines(_ text: String) -> [String] {
        var out = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if let last = out.last { out[out.count - 1] = String(last.dropLast()) }
        if out.last == "" { out.removeLast() }
        return out
    }

    /// A cell id nbformat accepts (letters, digits, - and _; at most 64).
    static func cellID(_ index: Int, _ name: String) -> String {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(50))
        return "cell-\(index)-\(safe)"
    }

    static func plainTable(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { r in r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ") }.joined(separator: "\n")
    }

    static func markdownTable(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        func row(_ r: [String]) -> String { "| " + r.map(escaped).joined(separator: " | ") + " |" }
        return ([row(header), "|" + String(repeating: "---|", count: header.count)] + rows.dropFirst().map(row)).joined(separator: "\n")
    }
}
