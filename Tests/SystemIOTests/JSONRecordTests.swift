import Foundation
import SystemIO
import TestSupport
import XCTest

/// Hand-edited records: errors name the file and key; a key the record does not have is refused
/// instead of ignored (its field would silently take its default).
final class JSONRecordTests: TemporaryDirectoryTestCase {
    struct Inner: Codable, Equatable { var kvPairs: Int?; var vocab: Int? }
    struct Record: Codable, Equatable { var steps: Int; var lr: Double = 1e-3; var inner: Inner?; var list: [Inner] = [] }

    func write(_ text: String) throws -> String {
        let path = dir + "/record.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAMisspeltKeyIsRefusedNamingItsPath() throws {
        for (text, key) in [(#"{"steps": 5, "lr": 0.1, "list": [], "lrr": 0.1}"#, "key lrr"),
                            (#"{"steps": 5, "lr": 0.1, "list": [], "inner": {"kv_pairs": 4}}"#, "key inner.kv_pairs"),
                            (#"{"steps": 5, "lr": 0.1, "list": [{"vocab": 3}, {"vocabulary": 3}]}"#, "key list[1].vocabulary")] {
            XCTAssertThrowsError(try JSONRecord.read(Record.self, from: try write(text))) {
                XCTAssertTrue("\($0)".contains("record.json: \(key) is not a field of a Record record"), "\($0)")
            }
        }
    }

    func testKnownKeysNullsAndDefaultsAreAccepted() throws {
        let path = try write(#"{"steps": 5, "lr": 0.1, "inner": {"kvPairs": 4, "vocab": null}, "list": []}"#)
        XCTAssertEqual(try JSONRecord.read(Record.self, from: path), Record(steps: 5, lr: 0.1, inner: Inner(kvPairs: 4)))
        XCTAssertThrowsError(try JSONRecord.read(Record.self, from: try write(#"{"steps": 5.5, "lr": 0.1, "list": []}"#))) {
            XCTAssertTrue("\($0)".contains("key steps: expected an integer, found 5.5"), "\($0)")
        }
    }
}
