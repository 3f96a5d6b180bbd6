import Foundation
@testable import TensorBoard
import TestSupport
import XCTest

/// The TFRecord framing and the protos, read back here; TensorBoard's own reader checks the
/// same files in StudiesTests (TensorBoardLogTests).
final class EventFileWriterTests: TemporaryDirectoryTestCase {
    func testCRC32CMatchesItsCheckValue() {
        // The CRC-32C check value (RFC 3720, B.4): the checksum of the ASCII digits 1…9.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        let c = CRC32C.checksum(Array("abc".utf8))
        XCTAssertEqual(CRC32C.masked(Array("abc".utf8)), ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    /// Splits a file into its records, checking both checksums of each.
    func records(_ path: String) throws -> [Tensorboard_Event] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var events: [Tensorboard_Event] = [], at = 0
        func u64(_ i: Int) -> UInt64 { data[i..<(i + 8)].enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
        func u32(_ i: Int) -> UInt32 { data[i..<(i + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) } }
        while at < data.count {
            let length = Int(u64(at))
            XCTAssertEqual(u32(at + 8), CRC32C.masked(data[at..<(at + 8)]), "length checksum at \(at)")
            let payload = data[(at + 12)..<(at + 12 + length)]
            XCTAssertEqual(u32(at + 12 + length), CRC32C.masked(payload), "data checksum at \(at)")
            events.append(try Tensorboard_Event(serializedBytes: Data(payload)))
            at += 16 + length
        }
        XCTAssertEqual(at, data.count, "the file ends with a whole record")
        return events
    }

    func testAFileStartsWithItsVersionAndHoldsScalarsAndText() throws {
        let w = try EventFileWriter(folder: dir + "/tb", wallTime: 1000.5)
        try w.scalars([("loss/train", 1.25), ("accuracy/held-out", 0.5)], step: 7, wallTime: 1001)
        try w.text("**hello**", tag: "config", step: 0, wallTime: 1002)
        XCTAssertTrue((w.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents.1000."))
        let events = try records(w.path)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1000.5)
        XCTAssertEqual(events[1].step, 7)
        XCTAssertEqual(events[1].summary.value.map(\.tag), ["loss/train", "accuracy/held-out"])
        XCTAssertEqual(events[1].summary.value.map(\.simpleValue), [1.25, 0.5])
        XCTAssertEqual(events[2].summary.value[0].metadata.pluginData.pluginName, "text")
        XCTAssertEqual(events[2].summary.value[0].tensor.dtype, .dtString)
        XCTAssertEqual(events[2].summary.value[0].tensor.stringVal, [Data("**hello**".utf8)])
        // A second writer in the same folder starts its own file.
        let again = try EventFileWriter(folder: dir + "/tb", wallTime: 1000.5)
        XCTAssertNotEqual(again.path, w.path)
    }
}
