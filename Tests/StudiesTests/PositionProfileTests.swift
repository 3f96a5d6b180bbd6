import Studies
import Tasks
import XCTest

final class PositionProfileTests: XCTestCase {
    func metrics(_ rows: [[Double]]) -> RunMetrics {
        var m = RunMetrics(threshold: 0.95)
        for (i, r) in rows.enumerated() { m.record(step: 100 * (i + 1), loss: 1, accuracy: r.reduce(0, +) / Double(r.count), positions: r) }
        return m
    }

    func testThirdsAndSpreadAtTheFirstEvaluationPastTheLevel() throws {
        // Last positions first (Mamba's pattern): the second evaluation is the first at ≥ 0.5.
        let m = metrics([[0, 0, 0, 0, 0.3, 0.3], [0.6, 0.4, 0.1, 0.3, 0.9, 1.0], [1, 1, 1, 1, 1, 1]])
        let p = try XCTUnwrap(PositionProfile(m, level: 0.5))
        XCTAssertEqual(p.step, 200)
        XCTAssertEqual(p.first, 0.5, accuracy: 1e-12)
        XCTAssertEqual(p.middle, 0.2, accuracy: 1e-12)
        XCTAssertEqual(p.last, 0.95, accuracy: 1e-12)
        let mean = 3.3 / 6
        let sd = ([0.6, 0.4, 0.1, 0.3, 0.9, 1.0].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot()
        XCTAssertEqual(p.spread, sd, accuracy: 1e-12)
        // Uniform learning has no spread; a run that never reaches the level has no profile.
        XCTAssertEqual(try XCTUnwrap(PositionProfile(metrics([[0.7, 0.7, 0.7]]))).spread, 0, accuracy: 1e-12)
        XCTAssertNil(PositionProfile(metrics([[0.1, 0.2, 0.3]])))
    }
}
