import Foundation
import Tasks
import TensorCore
import XCTest

/// MAD's selective copying, checked by its definition on every generated example.
final class SelectiveCopyingTaskTests: XCTestCase {
    /// N symbols among T − 2N − 1 blanks (the last right before <copy>), then <copy> and N
    /// blanks labelled with the symbols in order; N honoured (not always 16).
    func testExamplesFollowTheDefinition() throws {
        for (T, V, N) in [(40, 10, 5), (64, 16, 16), (12, 3, 2)] {
            let task = try SelectiveCopyingTask(length: T, vocab: V, copyTokens: N)
            let (blank, copy) = (Int32(V - 2), Int32(V - 1))
            let ex = try task.generate(count: 200, seed: 4)
            for i in 0..<ex.count {
                let x = Array(ex.inputs(i)), labels = Array(ex.labels(i)), slots = Array(ex.slots(i))
                XCTAssertEqual(x.count, T)
                XCTAssertEqual(x[T - N - 1], copy)
                XCTAssertEqual(x.filter { $0 == copy }.count, 1)
                let before = Array(x[..<(T - N - 1)])
                let symbols = before.filter { $0 != blank }
                XCTAssertEqual(symbols.count, N, "the count is honoured")
                XCTAssertTrue(symbols.allSatisfy { $0 >= 0 && $0 < V - 2 })
                XCTAssertNotEqual(before.last, blank, "as MAD's insert: blanks only before a token")
                XCTAssertEqual(Array(x[(T - N)...]), [Int32](repeating: blank, count: N))
                XCTAssertEqual(Array(labels[(T - N)...]), symbols, "copied in order")
                XCTAssertEqual(Array(slots[(T - N)...]), (0..<N).map(Int32.init))
                XCTAssertTrue(labels[..<(T - N)].allSatisfy { $0 == TaskExamples.noLabel })
            }
        }
    }

    /// Each blank goes before a uniformly drawn token: blanks per gap are spread evenly.
    func testBlanksAreSpreadUniformlyOverTheGaps() throws {
        let (T, N) = (45, 4)
        let task = try SelectiveCopyingTask(length: T, vocab: 8, copyTokens: N)
        let ex = try task.generate(count: 4000, seed: 9)
        var perGap = [Int](repeating: 0, count: N)
        for i in 0..<ex.count {
            var gap = 0
            for v in ex.inputs(i).prefix(T - N - 1) { if v == 6 { perGap[gap] += 1 } else { gap += 1 } }
        }
        XCTAssertLessThan(chiSquare(perGap, expected: [1, 1, 1, 1]), 16.3, "χ² over 3 degrees of freedom at p = 0.001")
    }

    func testBadParametersAreNamed() {
        XCTAssertThrowsError(try SelectiveCopyingTask(length: 33, copyTokens: 16)) { XCTAssertTrue("\($0)".contains("--length 33"), "\($0)") }
        XCTAssertThrowsError(try SelectiveCopyingTask(length: 40, copyTokens: 0)) { XCTAssertTrue("\($0)".contains("--copy-tokens 0"), "\($0)") }
        XCTAssertThrowsError(try SelectiveCopyingTask(length: 40, vocab: 2, copyTokens: 3)) { XCTAssertTrue("\($0)".contains("--vocab 2"), "\($0)") }
    }
}
