import Foundation
import Tasks
import XCTest

/// A run's task specification: defaults, and options that belong to another task refused by name.
final class TaskSpecTests: XCTestCase {
    func testDefaultsAndStrayOptions() throws {
        let mqar = try XCTUnwrap(try TaskSpec(kind: .mqar, length: 64).make() as? MQARTask)
        XCTAssertEqual([mqar.vocab, mqar.kvPairs, mqar.passes], [8192, 4, 1])
        XCTAssertEqual(mqar.powerA, 0.01)
        var s = TaskSpec(kind: .mqar, length: 64)
        s.options.copyTokens = 3
        XCTAssertThrowsError(try s.make()) { XCTAssertTrue("\($0)".contains("--copy-tokens is not an option of --task mqar (it belongs to selective-copying)"), "\($0)") }
        s = TaskSpec(kind: .inductionHeads, length: 64)
        s.placement = .prefix
        XCTAssertThrowsError(try s.make()) { XCTAssertTrue("\($0)".contains("--variant"), "\($0)") }
        // Appended after a pretrained vocabulary: the task's ids follow the base rows.
        let appended = try TaskSpec(kind: .selectiveCopying, length: 40).make(baseVocabulary: 1000)
        XCTAssertEqual(appended.vocabularySize, 1016)
        XCTAssertTrue(try appended.generate(count: 5, seed: 1, excluding: []).inputs.allSatisfy { $0 >= 1000 && $0 < 1016 })
    }

    /// A batch's labelled rows ascend, carry their example, and micro-batch slices renumber them.
    func testBatchRowsAndSlices() throws {
        let ex = try MQARTask(length: 16, vocab: 40, kvPairs: 2).generate(count: 4, seed: 1, excluding: [])
        let b = ex.batch([3, 1, 2])
        XCTAssertEqual(b.rows, b.rows.sorted())
        XCTAssertEqual(b.rows.count, 6)
        XCTAssertEqual(b.example, [0, 0, 1, 1, 2, 2])
        for (r, row) in b.rows.enumerated() { XCTAssertEqual(b.targets[r], Int(ex.labels[[3, 1, 2][row / 16] * 16 + row % 16])) }
        let s = b.slice(1, 3)
        XCTAssertEqual(s.rows, b.rows[2...].map { $0 - 16 })
        XCTAssertEqual(s.tokens, Array(b.tokens[16...]))
        XCTAssertEqual(s.example, [0, 0, 1, 1])
    }
}
