import Foundation
import Tasks
import TensorCore
import XCTest

/// retrievit's n-gram retrieval, checked by its definition on every generated example.
final class NgramRetrievalTaskTests: XCTestCase {
    /// The layout of both placements, a query m-gram that occurs exactly once in the context,
    /// the answer the n − m symbols after it, read with teacher forcing, slots at its start.
    func testExamplesFollowTheDefinition() throws {
        for placement in QueryPlacement.allCases {
            let (L, A, n, m) = (20, 3, 6, 3)
            let task = try NgramRetrievalTask(length: L, vocab: A, ngram: n, queryNgram: m, placement: placement)
            XCTAssertEqual(task.sequenceLength, L + n + 3)
            let (bos, query) = (Int32(A), Int32(A + 1))
            let ex = try task.generate(count: 400, seed: 2)
            var starts = Set<Int>()
            for i in 0..<ex.count {
                let x = Array(ex.inputs(i)), labels = Array(ex.labels(i)), slots = Array(ex.slots(i))
                let (context, q): ([Int32], [Int32])
                if placement == .suffix {
                    XCTAssertEqual([x[0], x[L + 1], x[L + 2], x[L + m + 3]], [bos, bos, query, query])
                    context = Array(x[1...L]); q = Array(x[(L + 3)..<(L + 3 + m)])
                } else {
                    XCTAssertEqual([x[0], x[m + 1], x[m + L + 2], x[m + L + 3]], [query, bos, bos, query])
                    q = Array(x[1...m]); context = Array(x[(m + 2)..<(m + 2 + L)])
                }
                XCTAssertTrue(context.allSatisfy { $0 >= 0 && $0 < A })
                let occurrences = (0...(L - m)).filter { Array(context[$0..<($0 + m)]) == q }
                XCTAssertEqual(occurrences.count, 1, "the query occurs exactly once")
                let start = occurrences[0]
                XCTAssertLessThanOrEqual(start, L - n, "the whole n-gram lies in the context")
                let answer = Array(context[(start + m)..<(start + n)])
                let first = L + m + 3
                XCTAssertEqual(Array(labels[first...]), answer, "labels: the rest of the n-gram")
                XCTAssertTrue(labels[..<first].allSatisfy { $0 == TaskExamples.noLabel })
                XCTAssertEqual(Array(x[(first + 1)...]), Array(answer.dropLast()), "teacher forcing: the answer so far is read")
                XCTAssertTrue(slots[first...].allSatisfy { Int($0) == start })
                starts.insert(start)
            }
            XCTAssertEqual(starts, Set(0...(L - n)), "every start occurs")
        }
    }

    func testBadParametersAreNamed() {
        XCTAssertThrowsError(try NgramRetrievalTask(length: 20, ngram: 4, queryNgram: 4)) { XCTAssertTrue("\($0)".contains("--ngram 4"), "\($0)") }
        XCTAssertThrowsError(try NgramRetrievalTask(length: 5, ngram: 8)) { XCTAssertTrue("\($0)".contains("--length 5"), "\($0)") }
        XCTAssertThrowsError(try NgramRetrievalTask(length: 20, vocab: 1)) { XCTAssertTrue("\($0)".contains("--vocab 1"), "\($0)") }
        // Two symbols, one-symbol queries over 60 symbols: a unique query almost never happens.
        let hopeless = try! NgramRetrievalTask(length: 60, vocab: 2, ngram: 2, queryNgram: 1)
        XCTAssertThrowsError(try hopeless.generate(count: 1, seed: 0)) { XCTAssertTrue("\($0)".contains("--vocab"), "\($0)") }
    }
}
