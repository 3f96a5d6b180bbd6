import Foundation
import Tasks
import TensorCore
import XCTest

/// The induction-heads synthetic (H3's generate_induction_head), checked by its definition.
final class InductionHeadsTaskTests: XCTestCase {
    /// The trigger twice, at p and at the end; the answer the symbol after the first; slot p.
    func testExamplesFollowTheDefinition() throws {
        let (L, V) = (30, 6)
        let task = try InductionHeadsTask(length: L, vocab: V)
        let trigger = Int32(V - 2)
        let ex = try task.generate(count: 3000, seed: 1)
        var positions = [Int](repeating: 0, count: L - 2)
        for i in 0..<ex.count {
            let x = Array(ex.inputs(i)), labels = Array(ex.labels(i)), slots = Array(ex.slots(i))
            XCTAssertEqual(x.count, L + 1)
            let triggers = x.indices.filter { x[$0] == trigger }
            XCTAssertEqual(triggers.count, 2)
            let p = triggers[0]
            XCTAssertEqual(triggers[1], L)
            XCTAssertEqual(labels[L], x[p + 1])
            XCTAssertEqual(Int(slots[L]), p)
            XCTAssertTrue(labels[..<L].allSatisfy { $0 == TaskExamples.noLabel })
            XCTAssertFalse(x.contains(Int32(V - 1)), "the reserved token is never used")
            positions[p] += 1
        }
        XCTAssertLessThan(chiSquare(positions, expected: [Double](repeating: 1, count: L - 2)), 55.5, "p uniform: χ² over 27 degrees of freedom at p = 0.001")
    }

    func testBadParametersAreNamed() {
        XCTAssertThrowsError(try InductionHeadsTask(length: 2)) { XCTAssertTrue("\($0)".contains("--length 2"), "\($0)") }
        XCTAssertThrowsError(try InductionHeadsTask(length: 10, vocab: 2)) { XCTAssertTrue("\($0)".contains("--vocab 2"), "\($0)") }
    }
}
