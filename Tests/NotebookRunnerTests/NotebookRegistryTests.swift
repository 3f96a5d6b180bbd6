import Foundation
import NotebookRunner
import SystemIO
import TestSupport
import XCTest

/// A notebook is one file: the build's registry generator (Sources/notebook-registry, run by
/// the NotebookRegistry plugin) finds every declaration, and refuses duplicates and files that
/// declare none, naming them.
final class NotebookRegistryTests: TemporaryDirectoryTestCase {
    func generator() throws -> String {
        guard let tool = ChildProcess.builtBesideTests("notebook-registry") else {
            throw XCTSkip("notebook-registry is not built next to the tests (run swift build first)")
        }
        return tool
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/Notebooks/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testANewFileIsInTheRegistryWithoutEditingAList() throws {
        let files = [try write("B.swift", "let second = Notebook(\"zeta\", summary: \"\", parameters: [], cells: [])\n"),
                     try write("A.swift", "import NotebookRunner\n\npublic let first = Notebook(\n  \"alpha\", summary: \"\", parameters: [], cells: [])\n"),
                     try write("Support/Helpers.swift", "func helper() {}\n")]
        let out = dir + "/Registry.swift"
        let r = try ChildProcess.run(try generator(), [dir + "/Notebooks", out] + files)
        XCTAssertEqual(r.status, 0, r.errors)
        let registry = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(registry.contains("public let allNotebooks: [Notebook] = [first, second]"), registry)
        XCTAssertTrue(registry.contains("\"alpha\": \"\(files[1])\""), registry)
    }

    func testTwoNotebooksWithOneNameAndAFileWithoutOneAreBuildErrorsNamingTheFiles() throws {
        let a = try write("A.swift", "let one = Notebook(\"same\", summary: \"\", parameters: [], cells: [])\n")
        let b = try write("B.swift", "// a comment\nlet two = Notebook(\"same\", summary: \"\", parameters: [], cells: [])\n")
        let c = try write("C.swift", "let helper = 1\n")
        let r = try ChildProcess.run(try generator(), [dir + "/Notebooks", dir + "/Registry.swift", a, b, c])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.errors.contains("\(b):2: error: notebook \"same\" is declared 2 times: \(a):1, \(b):2"), r.errors)
        XCTAssertTrue(r.errors.contains("\(c):1: error: this file declares no notebook"), r.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/Registry.swift"))
    }

    /// The worker lists exactly the notebooks the files in Notebooks/ declare.
    func testTheWorkerListsEveryNotebookFileDeclares() throws {
        guard let worker = ChildProcess.builtBesideTests("scanlab-worker") else { throw XCTSkip("scanlab-worker is not built") }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Notebooks").path
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }.flatMap { file in
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            return text.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("let ") || line.hasPrefix("public let "), line.contains("= Notebook(\"") else { return nil }
                return line.components(separatedBy: "Notebook(\"")[1].components(separatedBy: "\"")[0]
            }
        }
        let listed = try NotebookRunner(worker: worker, dataDirectory: dir, figuresDirectory: dir).list().map(\.name)
        XCTAssertEqual(listed, names.sorted())
        XCTAssertTrue(listed.contains("hybrid"))
    }
}
