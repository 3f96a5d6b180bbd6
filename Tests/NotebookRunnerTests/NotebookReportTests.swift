import Foundation
import NotebookRunner
import SystemIO
import TestSupport
import XCTest

/// Every run leaves a Jupyter notebook: nbformat 4.5 that nbformat's own validator accepts,
/// the summary and parameters first, then each cell's source, log, values and failure.
final class NotebookReportTests: TemporaryDirectoryTestCase {
    func runner() throws -> NotebookRunner {
        guard let worker = ChildProcess.builtBesideTests("scanlab-worker") else {
            throw XCTSkip("scanlab-worker is not built next to the tests (run swift build first)")
        }
        return NotebookRunner(worker: worker, dataDirectory: dir + "/Data", figuresDirectory: dir + "/Figures")
    }

    func testARunWithAFailedCellLeavesAValidNotebookShowingSourceLogValuesAndTheError() throws {
        let r = try runner()
        XCTAssertNotNil(try r.runAll("isolation-demo", assignments: [], echo: { _ in }))
        let d = try r.describe("isolation-demo")
        let path = r.reportPath(d, try r.parameters(d, []))
        XCTAssertEqual(path, dir + "/Figures/notebooks/isolation-demo-defaults/isolation-demo.ipynb")
        let nb = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        XCTAssertEqual(nb["nbformat"] as? Int, 4)
        let cells = nb["cells"] as! [[String: Any]]
        XCTAssertEqual(cells.map { $0["cell_type"] as! String }, ["markdown", "code", "code", "code"])
        XCTAssertTrue((cells[0]["source"] as! [String]).joined().contains("| crash | yes |"))
        func outputs(_ i: Int) -> [[String: Any]] { cells[i]["outputs"] as! [[String: Any]] }
        func text(_ o: [String: Any]) -> String { ((o["data"] as? [String: Any])?["text/plain"] as? [String] ?? o["text"] as? [String] ?? []).joined() }
        // The first cell: its Swift source, its value, done.
        XCTAssertTrue((cells[1]["source"] as! [String]).joined().hasPrefix("    Cell(\"prepare\")"), "\(cells[1]["source"]!)")
        XCTAssertTrue(outputs(1).contains { $0["output_type"] as? String == "execute_result" && text($0).contains("answer = 42") }, "\(outputs(1))")
        XCTAssertEqual(cells[1]["execution_count"] as? Int, 1)
        // The crash: the error, no execution count; the cell after it not run.
        let error = try XCTUnwrap(outputs(2).first { $0["output_type"] as? String == "error" })
        XCTAssertTrue((error["evalue"] as! String).contains("on purpose"), "\(error)")
        XCTAssertTrue(cells[2]["execution_count"] is NSNull)
        XCTAssertEqual(((cells[3]["metadata"] as! [String: Any])["scanlab"] as! [String: Any])["status"] as? String, "not run")
        try assertValidByNbformat(path)
    }

    /// nbformat's validator, when the test Python has nbformat (Scripts/setup-python-tests
    /// installs it; CI runs that script): it checks the file against the nbformat 4 schema.
    func assertValidByNbformat(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try PythonHelper.require(["nbformat"])
        let out = try PythonHelper.script(["-c", "import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(len(nb.cells))", path])
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "4", file: file, line: line)
    }

    /// #21: parameter values reach the report as text: Markdown and HTML escaped (a table row
    /// stays one row, no markup or script gets in), and the command to reproduce the run is
    /// shell-quoted (a shell gives back exactly the words that were run).
    func testParameterValuesAreEscapedAndTheCommandIsQuoted() throws {
        let description = """
        {"name": "demo", "summary": "a <b>summary</b>", "cells": [],
         "parameters": [{"name": "path", "defaultValue": "Data", "help": "a | help"},
                        {"name": "note", "defaultValue": "none", "help": "free text"}]}
        """
        let d = try JSONDecoder().decode(NotebookDescription.self, from: Data(description.utf8))
        let path = "/tmp/my runs/$(touch /tmp/pwned)/`id`"
        let note = "</script><script>alert(1)</script> | *bold* \nsecond line ```"
        let text = NotebookReport.ipynb(d, state: NotebookState(), values: ["path": path, "note": note], statuses: [])
        let nb = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let intro = ((nb["cells"] as! [[String: Any]])[0]["source"] as! [String]).joined()
        // Outside the code block (whose text Markdown shows literally) no markup gets through.
        let prose = try XCTUnwrap(intro.components(separatedBy: "```").first)
        XCTAssertFalse(prose.contains("<script>"), prose)
        XCTAssertFalse(prose.contains("<b>"), prose)
        XCTAssertTrue(intro.contains("&lt;/script&gt;&lt;script&gt;alert\\(1\\)"), intro)
        // Header, rule and one row per parameter: no value breaks a row or adds a column.
        let rows = intro.split(separator: "\n").filter { $0.hasPrefix("|") }
        XCTAssertEqual(rows.count, 2 + 2, intro)
        for row in rows {
            let unescapedBars = row.indices.filter { row[$0] == "|" && ($0 == row.startIndex || row[row.index(before: $0)] != "\\") }
            XCTAssertEqual(unescapedBars.count, 5, String(row))
        }
        // The fenced command, run by a shell with printf in scanlab's place, gives back the words.
        let lines = intro.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let open = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("```") && $0.hasSuffix("sh") })
        let close = try XCTUnwrap(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") && !$0.contains(" ") })
        XCTAssertTrue(lines[close].hasPrefix("````"), "the fence outlasts the value's backticks: \(lines[close])")
        let command = lines[(open + 1)..<close].joined(separator: "\n")
        XCTAssertTrue(command.hasPrefix("scanlab run demo "), command)
        let words = try ChildProcess.run("/bin/sh", ["-c", "printf '%s\\0' " + command.dropFirst("scanlab ".count)])
        XCTAssertEqual(words.status, 0, words.errors)
        XCTAssertEqual(words.output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init),
                       ["run", "demo", "--set", "path=" + path, "--set", "note=" + note])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/pwned"))
    }
}
