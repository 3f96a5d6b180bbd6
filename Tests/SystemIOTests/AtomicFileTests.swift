import Foundation
import SystemIO
import TestSupport
import XCTest

final class AtomicFileTests: TemporaryDirectoryTestCase {
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    }

    func testWritesTheWholeFileAndLeavesNoTemporary() throws {
        let path = dir + "/sub/summary.csv"
        try AtomicFile.write(path, text: "a,b\n1,2\n")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "a,b\n1,2\n")
        try AtomicFile.write(path, text: "new")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub"), ["summary.csv"])
    }

    /// A writer that fails halfway: the old file stays as it was and the temporary is removed.
    func testAFailedWriteKeepsTheOldFileAndRemovesItsTemporary() throws {
        struct Halfway: Error {}
        let path = dir + "/config.json"
        try AtomicFile.write(path, text: "old")
        var temporary = ""
        XCTAssertThrowsError(try AtomicFile.write(path) { tmp in
            temporary = tmp
            try "half of the new".write(toFile: tmp, atomically: false, encoding: .utf8)
            throw Halfway()
        }) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": not written"), "\(error)")
            XCTAssertTrue("\(error)".contains("Halfway"), "the writer's own error is kept: \(error)")
            XCTAssertTrue("\(error)".contains("the previous version is unchanged"), "\(error)")
        }
        XCTAssertTrue(temporary.hasPrefix(dir + "/.config.json.tmp-"), temporary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try leftovers(), [])
    }

    /// A writer that never creates its file is an error naming the target, not an empty file.
    func testAMissingTemporaryIsAnErrorNamingTheFile() throws {
        let path = dir + "/figure.gp"
        XCTAssertThrowsError(try AtomicFile.write(path) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("figure.gp"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
