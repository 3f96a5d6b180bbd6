import Foundation
import NotebookRunner
import TensorCore
import TestSupport
import XCTest

/// A notebook's saved state, damaged: it fails clearly or loads exactly what was saved.
final class FuzzedStateTests: TemporaryDirectoryTestCase {
    func describe(_ s: NotebookState) -> String {
        var parts = s.cells.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        for (name, v) in s.values.sorted(by: { $0.key < $1.key }) {
            switch v {
            case .number(let x): parts.append("\(name) number \(x.bitPattern)")
            case .text(let t): parts.append("\(name) text \(t)")
            case .run(let r): parts.append("\(name) run \(r)")
            case .figure(let f): parts.append("\(name) figure \(f)")
            case .table(let rows): parts.append("\(name) table \(rows)")
            case .tensor(let t): parts.append("\(name) tensor \(t.shape) \(Fuzzing.exact(t.values))")
            }
        }
        return parts.joined(separator: "\n")
    }

    func testDamagedNotebookStateFailsClearlyOrLoadsExactly() throws {
        var s = NotebookState()
        s.values["n"] = .number(2.5)
        s.values["t"] = .text("a longer text value, as a cell's summary table would store it")
        s.values["rows"] = .table([["model", "steps"], ["mamba", "300"]])
        s.values["x"] = .tensor(Tensor((0..<24).map(Float.init), shape: [4, 6]))
        s.values["r"] = .run("/data/runs/mamba-L8")
        s.cells["train"] = CellRecord(status: "done", sourceHash: "abc", parametersRead: ["length": "8"], message: nil)
        let path = dir + "/state.h5"
        try s.save(path)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let tally = try Fuzzing.run(original, at: dir + "/damaged.h5", truncations: 200, flips: 1500, seed: 7, expected: describe(s)) {
            describe(try NotebookState.load($0))
        }
        print("notebook state (\(original.count) bytes): \(tally)")
        let trailerOnly = Fuzzing.truncationsWithin(tail: 16, of: original.count, truncations: 200)
        XCTAssertEqual(tally.truncationErrors, tally.truncations - trailerOnly, "every truncation into the contents is refused")
        XCTAssertGreaterThan(tally.flipErrors, 1400)
    }
}
