import Foundation
import Tasks
import TensorCore
import XCTest

/// Zoology's multiquery_ar, checked by its definition on every generated example.
final class MQARTaskTests: XCTestCase {
    /// Keys from [1, V/2) and distinct, values from [V/2, V), the context k v pairs (× passes),
    /// every key queried once after the context at an even offset, labelled with its value
    /// there and nowhere else, its slot the key's index.
    func testExamplesFollowTheDefinition() throws {
        for (length, vocab, pairs, passes) in [(64, 8192, 4, 1), (32, 40, 3, 2), (16, 20, 2, 1)] {
            let task = try MQARTask(length: length, vocab: vocab, kvPairs: pairs, passes: passes)
            let ex = try task.generate(count: 300, seed: 11)
            XCTAssertEqual(ex.sequenceLength, length)
            let context = 2 * pairs * passes
            for i in 0..<ex.count {
                let x = ex.inputs(i).map(Int.init), labels = Array(ex.labels(i)), slots = Array(ex.slots(i))
                let keys = stride(from: 0, to: 2 * pairs, by: 2).map { x[$0] }, values = stride(from: 1, to: 2 * pairs, by: 2).map { x[$0] }
                XCTAssertEqual(Set(keys).count, pairs, "distinct keys")
                XCTAssertTrue(keys.allSatisfy { $0 >= 1 && $0 < vocab / 2 }, "keys in [1, V/2)")
                XCTAssertTrue(values.allSatisfy { $0 >= vocab / 2 && $0 < vocab }, "values in [V/2, V)")
                XCTAssertEqual(Set(values).count, pairs, "values drawn without replacement")
                for p in 1..<passes { XCTAssertEqual(Array(x[(p * 2 * pairs)..<((p + 1) * 2 * pairs)]), Array(x[0..<(2 * pairs)]), "pass \(p)") }
                let labelled = labels.indices.filter { labels[$0] != TaskExamples.noLabel }
                XCTAssertEqual(labelled.count, pairs, "one query per key")
                XCTAssertEqual(Set(labelled.map { slots[$0] }), Set((0..<pairs).map(Int32.init)), "every key index once")
                for t in labelled {
                    XCTAssertGreaterThanOrEqual(t, context)
                    XCTAssertEqual((t - context) % 2, 0, "queries at even offsets after the context")
                    let k = Int(slots[t])
                    XCTAssertEqual(x[t], keys[k], "the query is key \(k)")
                    XCTAssertEqual(Int(labels[t]), values[k], "labelled with its value")
                }
                XCTAssertTrue(x.allSatisfy { $0 >= 0 && $0 < vocab })
                XCTAssertTrue(slots.indices.allSatisfy { (slots[$0] >= 0) == (labels[$0] != TaskExamples.noLabel) })
            }
        }
    }

    /// random_non_queries: the filler is uniform over [0, V), not the zeros before replacement.
    func testFillerIsUniformOverTheVocabulary() throws {
        let task = try MQARTask(length: 64, vocab: 100, kvPairs: 2)
        let ex = try task.generate(count: 2000, seed: 3)
        var counts = [Int](repeating: 0, count: 100)
        for i in 0..<ex.count {
            let labels = Array(ex.labels(i))
            for (t, v) in ex.inputs(i).enumerated() where t >= 4 && labels[t] == TaskExamples.noLabel { counts[Int(v)] += 1 }
        }
        XCTAssertLessThan(chiSquare(counts, expected: [Double](repeating: 1, count: 100)), 148.2, "χ² over 99 degrees of freedom at p = 0.001")
    }

    /// Gaps follow the power law p(i) ∝ a·(i + 1)^(a − 1): with one pair the gap is one draw
    /// from it; χ² against the law, and a uniform law (a = 1) is told apart from a = 0.3.
    func testGapsFollowThePowerLaw() throws {
        for a in [0.3, 1.0] {
            let task = try MQARTask(length: 42, vocab: 64, kvPairs: 1, powerA: a)
            XCTAssertEqual(task.space, 20)
            let ex = try task.generate(count: 8_000, seed: 5)
            var counts = [Int](repeating: 0, count: task.space)
            for i in 0..<ex.count {
                let t = ex.labels(i).firstIndex(where: { $0 != TaskExamples.noLabel })! - ex.labels(i).startIndex
                counts[(t - 2) / 2] += 1
            }
            XCTAssertLessThan(chiSquare(counts, expected: task.gapWeights), 45.3, "a = \(a): χ² over 19 degrees of freedom at p = 0.001")
            if a < 1 {
                XCTAssertGreaterThan(chiSquare(counts, expected: [Double](repeating: 1, count: task.space)), 1000, "not uniform")
            }
        }
        // The law itself: a·(i + 1)^(a − 1), normalised.
        let w = try MQARTask(length: 42, vocab: 64, kvPairs: 1, powerA: 0.5).gapWeights
        XCTAssertEqual(w[3] / w[0], pow(4.0, -0.5), accuracy: 1e-12)
        XCTAssertEqual(w.reduce(0, +), 1, accuracy: 1e-12)
    }

    func testBadParametersAreNamed() {
        func refused(_ make: @autoclosure () throws -> MQARTask, _ words: String...) {
            XCTAssertThrowsError(try make()) { e in for w in words { XCTAssertTrue("\(e)".contains(w), "\(e) lacks \(w)") } }
        }
        refused(try MQARTask(length: 63), "--length 63", "even")
        refused(try MQARTask(length: 64, vocab: 64), "--vocab 64", "larger than the sequence length 64")
        refused(try MQARTask(length: 16, vocab: 1000, kvPairs: 5), "--kv-pairs 5", "must fit in --length 16")
        refused(try MQARTask(length: 64, vocab: 1000, powerA: 0), "--power-a 0")
        refused(try MQARTask(length: 16, vocab: 20, kvPairs: 2, passes: 0), "--passes 0")
    }
}

/// Pearson's χ² of observed counts against expected proportions.
func chiSquare(_ counts: [Int], expected weights: [Double]) -> Double {
    let n = Double(counts.reduce(0, +)), total = weights.reduce(0, +)
    return zip(counts, weights).reduce(0) { s, cw in
        let e = n * cw.1 / total
        return s + (Double(cw.0) - e) * (Double(cw.0) - e) / e
    }
}
