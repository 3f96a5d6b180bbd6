import Foundation
import Tasks
import XCTest

final class RetrievalTaskTests: XCTestCase {
    func testTokensAndAnswerForBothPlacements() throws {
        let order = [2, 0, 3, 1]   // content index at each slot
        let suffix = try RetrievalTask(length: 4, placement: .suffix)
        let (s, a) = suffix.tokens(order: order, target: 2)
        // <bos> c2 c0 c3 c1 <query> c3 → the answer names slot 2: p_2 = 3 + 4 + 2
        XCTAssertEqual(s, [1, 5, 3, 6, 4, 2, 6])
        XCTAssertEqual(a, 9)
        let prefix = try RetrievalTask(length: 4, placement: .prefix)
        let (p, b) = prefix.tokens(order: order, target: 2)
        XCTAssertEqual(p, [2, 6, 1, 5, 3, 6, 4])
        XCTAssertEqual(b, 9)
        XCTAssertEqual(suffix.vocabularySize, 11)
        XCTAssertEqual(suffix.sequenceLength, 7)
        XCTAssertThrowsError(try RetrievalTask(length: 1, placement: .suffix))
    }

    func testExamplesArePermutationsWithCorrectAnswers() throws {
        let task = try RetrievalTask(length: 7, placement: .suffix)
        let ex = try RetrievalExamples.generate(length: 7, count: 70, seed: 3)
        for i in 0..<ex.count {
            let order = ex.order(i)
            XCTAssertEqual(order.sorted(), Array(0..<7), "content tokens are unique")
            let (tokens, answer) = task.tokens(order: order, target: Int(ex.targets[i]))
            let queried = tokens.last!
            let slot = tokens[1...7].firstIndex(of: queried)! - 1
            XCTAssertEqual(answer, task.positionToken(slot))
        }
    }

    func testTargetsAreSpreadEvenly() throws {
        let ex = try RetrievalExamples.generate(length: 9, count: 9 * 40, seed: 5)
        var counts = [Int](repeating: 0, count: 9)
        for t in ex.targets { counts[Int(t)] += 1 }
        XCTAssertEqual(counts, [Int](repeating: 40, count: 9))
        let uneven = try RetrievalExamples.generate(length: 9, count: 100, seed: 5)
        var c2 = [Int](repeating: 0, count: 9)
        for t in uneven.targets { c2[Int(t)] += 1 }
        XCTAssertLessThanOrEqual(c2.max()! - c2.min()!, 1)
    }

    func testDeterministicAndHeldOutDisjointFromTraining() throws {
        let a = try RetrievalDataset.generate(length: 4, trainSize: 60, evalSize: 24, seed: 1)
        let b = try RetrievalDataset.generate(length: 4, trainSize: 60, evalSize: 24, seed: 1)
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.heldOut, b.heldOut)
        XCTAssertNotEqual(try RetrievalDataset.generate(length: 4, trainSize: 60, evalSize: 24, seed: 2).train, a.train)
        // L = 4 has only 4!·4 = 96 distinct examples: overlaps would be frequent without the check.
        XCTAssertTrue(a.train.keys.isDisjoint(with: a.heldOut.keys))
        // L = 3 (18 examples) with a training set that covers them all: a clear error, not a hang.
        XCTAssertThrowsError(try RetrievalDataset.generate(length: 3, trainSize: 300, evalSize: 6, seed: 4)) {
            XCTAssertTrue("\($0)".contains("distinct examples"), "\($0)")
        }
    }
}
