import Foundation
import Tasks
import TensorCore
import XCTest

final class PositionRetrievalTaskTests: XCTestCase {
    func testTokensAndAnswerForBothPlacements() throws {
        let order = [2, 0, 3, 1]   // content index at each slot
        let suffix = try PositionRetrievalTask(length: 4, placement: .suffix)
        let (s, a) = suffix.tokens(order: order, target: 2)
        // <bos> c2 c0 c3 c1 <query> c3 → the answer names slot 2: p_2 = 3 + 4 + 2
        XCTAssertEqual(s, [1, 5, 3, 6, 4, 2, 6])
        XCTAssertEqual(a, 9)
        let prefix = try PositionRetrievalTask(length: 4, placement: .prefix)
        let (p, b) = prefix.tokens(order: order, target: 2)
        XCTAssertEqual(p, [2, 6, 1, 5, 3, 6, 4])
        XCTAssertEqual(b, 9)
        XCTAssertEqual(suffix.vocabularySize, 11)
        XCTAssertEqual(suffix.sequenceLength, 7)
        XCTAssertThrowsError(try PositionRetrievalTask(length: 1, placement: .suffix)) {
            XCTAssertTrue("\($0)".contains("--length 1"), "\($0)")
        }
    }

    /// Every example: a permutation of the content tokens, one label at the last position naming
    /// the queried token's slot, that slot recorded, nothing else labelled.
    func testExamplesArePermutationsWithOneCorrectLabel() throws {
        for placement in QueryPlacement.allCases {
            let task = try PositionRetrievalTask(length: 7, placement: placement)
            let ex = try task.generate(count: 70, seed: 3)
            for i in 0..<ex.count {
                let inputs = ex.inputs(i).map(Int.init), labels = Array(ex.labels(i)), slots = Array(ex.slots(i))
                let context = placement == .suffix ? Array(inputs[1...7]) : Array(inputs[3...9])
                XCTAssertEqual(context.sorted(), (0..<7).map(task.content), "content tokens are unique")
                let queried = placement == .suffix ? inputs.last! : inputs[1]
                let slot = context.firstIndex(of: queried)!
                XCTAssertEqual(labels.last.map(Int.init), task.positionToken(slot))
                XCTAssertEqual(slots.last.map(Int.init), slot)
                XCTAssertTrue(labels.dropLast().allSatisfy { $0 == TaskExamples.noLabel })
                XCTAssertTrue(slots.dropLast().allSatisfy { $0 == -1 })
            }
        }
    }

    func testTargetsAreSpreadEvenly() throws {
        let task = try PositionRetrievalTask(length: 9, placement: .suffix)
        func counts(_ n: Int) throws -> [Int] {
            let ex = try task.generate(count: n, seed: 5)
            var c = [Int](repeating: 0, count: 9)
            for i in 0..<ex.count { c[Int(ex.slots(i).last!)] += 1 }
            return c
        }
        XCTAssertEqual(try counts(9 * 40), [Int](repeating: 40, count: 9))
        let uneven = try counts(100)
        XCTAssertLessThanOrEqual(uneven.max()! - uneven.min()!, 1)
    }

    func testDeterministicAndHeldOutDisjointFromTraining() throws {
        let task = try PositionRetrievalTask(length: 4, placement: .suffix)
        let a = try TaskDataset.generate(task, trainSize: 60, evalSize: 24, seed: 1)
        let b = try TaskDataset.generate(task, trainSize: 60, evalSize: 24, seed: 1)
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.heldOut, b.heldOut)
        XCTAssertNotEqual(try TaskDataset.generate(task, trainSize: 60, evalSize: 24, seed: 2).train, a.train)
        // L = 4 has only 4!·4 = 96 distinct examples: overlaps would be frequent without the check.
        XCTAssertTrue(a.train.keys.isDisjoint(with: a.heldOut.keys))
        // L = 3 (18 examples) with a training set that covers them all: a clear error, not a hang.
        let tiny = try PositionRetrievalTask(length: 3, placement: .suffix)
        XCTAssertThrowsError(try TaskDataset.generate(tiny, trainSize: 300, evalSize: 6, seed: 4)) {
            XCTAssertTrue("\($0)".contains("distinct examples"), "\($0)")
        }
    }

    func testOtherLengthsAreRefusedNamingTheVocabulary() throws {
        let task = try PositionRetrievalTask(length: 8, placement: .suffix)
        XCTAssertThrowsError(try task.atLength(16)) { XCTAssertTrue("\($0)".contains("vocabulary grows with the length"), "\($0)") }
    }
}
