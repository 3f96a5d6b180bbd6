import Foundation
import Plotting
import Studies
import Tasks
import TestSupport
import XCTest

/// A suite's runs: each task in its own folder of figures, accuracy against width per task kind
/// (one panel per setting), accuracy against evaluation length, and the data behind them.
final class TaskFiguresTests: TemporaryDirectoryTestCase {
    /// MQAR at two (T, N) settings × two widths × two models, evaluated at one longer length.
    func runs() -> [RunRecord] {
        var out: [RunRecord] = []
        for (t, n) in [(32, 2), (64, 4)] { for h in [32, 64] { for m in [ModelFamily.pythia, .mamba] { for s in [UInt64(0), 1] {
            var c = RunConfig(model: m, length: t)
            c.task = .mqar; c.taskOptions = TaskOptions(vocab: 256, kvPairs: n); c.hidden = h; c.seed = s; c.steps = 200; c.evalEvery = 100
            c.evalLengths = [2 * t]
            var metrics = RunMetrics(threshold: 0.95)
            metrics.evalLengths = [2 * t]
            metrics.slotName = "key index"
            let acc = min(0.99, Double(h) / 70 * (m == .pythia ? 1 : 0.7) + 0.01 * Double(s))
            for e in 1...2 {
                metrics.record(step: 100 * e, loss: 1, accuracy: acc * Double(e) / 2, exactMatch: acc / 2,
                               positions: (0..<n).map { _ in acc }, lengths: [acc * Double(e) / 4])
            }
            metrics.finished = true
            out.append(RunRecord(config: c, metrics: metrics))
        } } } }
        var c = RunConfig(model: .pythia, length: 6)
        var m = RunMetrics(threshold: 0.95)
        m.record(step: 100, loss: 1, accuracy: 0.5, positions: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
        c.steps = 100
        out.append(RunRecord(config: c, metrics: m))
        return out
    }

    func testASuiteDrawsEachTaskApartAndWidthAndLengthFigures() throws {
        var g = Gnuplot(); g.executable = nil
        let figures = try StudyFigures.drawAll(runs(), in: dir, gnuplot: g)
        let names = figures.map { ($0.png as NSString).deletingPathExtension.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertTrue(names.contains("position-retrieval/steps-to-threshold"), "\(names)")
        XCTAssertTrue(names.contains("mqar-vocab256-kv-pairs2-power-a0.01-passes1/slot-accuracy-L32-suffix"), "\(names)")
        XCTAssertTrue(names.contains("mqar-vocab256-kv-pairs4-power-a0.01-passes1/accuracy-vs-length"), "\(names)")
        XCTAssertTrue(names.contains("mqar-accuracy-vs-width"), "\(names)")
        XCTAssertFalse(names.contains("position-retrieval-accuracy-vs-width"), "one width only")

        // Width figure: every run's final accuracy at its width, and two panels, one per (T, N).
        let width = try String(contentsOfFile: dir + "/mqar-accuracy-vs-width.dat", encoding: .utf8)
        let script = try String(contentsOfFile: dir + "/mqar-accuracy-vs-width.gp", encoding: .utf8)
        XCTAssertTrue(script.contains("layout 1,2"), script)
        for r in runs() where r.config.taskKind == .mqar {
            XCTAssertTrue(width.contains("\(r.config.hidden) \(r.metrics.accuracies.last!)"), "\(r.label)")
        }
        // Length figure: the training length and the evaluation length, the last evaluation's values.
        let length = try String(contentsOfFile: dir + "/mqar-vocab256-kv-pairs4-power-a0.01-passes1/accuracy-vs-length.dat", encoding: .utf8)
        let one = runs().first { $0.config.taskKind == .mqar && $0.config.length == 64 }!
        XCTAssertTrue(length.contains("64 \(one.metrics.accuracies.last!)"))
        XCTAssertTrue(length.contains("128 \(one.metrics.lengthAccuracy.last![0])"))
        let lengthScript = try String(contentsOfFile: dir + "/mqar-vocab256-kv-pairs4-power-a0.01-passes1/accuracy-vs-length.gp", encoding: .utf8)
        XCTAssertTrue(lengthScript.contains("training length 64"))
    }
}
