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
        XCTAssertTrue((cells[0]["source"] as! [String]).joined().contains("| `crash` | yes |"))
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
}
