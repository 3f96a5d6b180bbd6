import Foundation
import Plotting
import Studies
import Tasks
import TestSupport
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

final class StudyFiguresTests: TemporaryDirectoryTestCase {
    /// Synthetic runs: both models and variants at L = 4 and 6; the slower Mamba curves never
    /// reach the threshold.
    func runs() -> [RunRecord] {
        var out: [RunRecord] = []
        for l in [4, 6] { for m in ModelFamily.allCases { for v in QueryPlacement.allCases {
            var c = RunConfig(model: m, length: l)
            c.variant = v; c.steps = 500; c.evalEvery = 100
            var metrics = RunMetrics(threshold: 0.95)
            let speed = (m == .pythia ? 1.0 : 0.6) * (v == .suffix ? 1.0 : 0.8) * (l == 4 ? 1.3 : 1.0)
            for e in 1...5 {
                let acc = min(0.99, 0.2 * Double(e) * speed)
                metrics.record(step: 100 * e, loss: 2.0 / Double(e), accuracy: acc,
                               positions: (0..<l).map { p in min(1, acc * (0.7 + 0.3 * Double(p) / Double(l))) })
            }
            metrics.finished = true
            out.append(RunRecord(config: c, metrics: metrics))
        } } }
        return out
    }

    func pngSize(_ path: String) throws -> (Int, Int) {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(d.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        func be32(_ o: Int) -> Int { d[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    func testEveryKindRendersPNGAndValidSVG() throws {
        guard Gnuplot().executable != nil else { throw XCTSkip("gnuplot is not installed (Scripts/setup installs it)") }
        let figures = try StudyFigures.drawAll(runs(), in: dir)
        // steps, 2 heatmaps and 1 prefix-vs-suffix per length, learning curves
        XCTAssertEqual(figures.count, 1 + 2 * 3 + 1)
        for f in figures {
            XCTAssertTrue(f.rendered, f.problem ?? "")
            let (w, h) = try pngSize(f.png)
            XCTAssertGreaterThanOrEqual(w, 500); XCTAssertGreaterThanOrEqual(h, 500)
            let parser = XMLParser(contentsOf: URL(fileURLWithPath: f.svg))!
            XCTAssertTrue(parser.parse(), "\(f.svg) is not well-formed XML")
        }
        XCTAssertEqual(try pngSize(dir + "/steps-to-threshold.png").0, 1000)
        XCTAssertEqual(try pngSize(dir + "/steps-to-threshold.png").1, 600)
        // One 500-pixel panel per family, and the colour bar.
        XCTAssertEqual(try pngSize(dir + "/position-accuracy-L4-suffix.png").0, 500 * ModelFamily.allCases.count + 100)
    }

    func testDataFilesHoldTheMetrics() throws {
        let all = runs()
        var g = Gnuplot(); g.executable = nil
        let heat = try StudyFigures.positionAccuracy(all, length: 6, variant: .prefix, in: dir, gnuplot: g)
        let text = try String(contentsOfFile: heat.data, encoding: .utf8)
        let blocks = text.components(separatedBy: "\n\n\n")
        let pythia = all.first { $0.config.model == .pythia && $0.config.length == 6 && $0.config.variant == .prefix }!
        let triples = blocks[0].split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { $0.split(separator: " ").map { Double($0)! } }
        XCTAssertEqual(triples.count, 5 * 6)
        for t in triples {
            let e = pythia.metrics.steps.firstIndex(of: Int(t[0]))!
            XCTAssertEqual(t[2], pythia.metrics.slotAccuracy[e][Int(t[1])])
        }
        // A heatmap shows one run, and says which of how many seeds.
        XCTAssertTrue(try String(contentsOfFile: heat.script, encoding: .utf8).contains("seed 0, the only seed"))
        let seeded = all + all.filter { $0.config.length == 6 && $0.config.variant == .prefix }.map { r in
            var c = r.config
            c.seed = 1
            return RunRecord(config: c, metrics: r.metrics)
        }
        let heat2 = try StudyFigures.positionAccuracy(seeded, length: 6, variant: .prefix, in: dir + "/seeds", gnuplot: g)
        XCTAssertTrue(try String(contentsOfFile: heat2.script, encoding: .utf8).contains("seed 0, one of 2 seeds"))
        // Figure 6: unreached runs sit in the top band and are counted in the legend.
        let steps = try StudyFigures.stepsToThreshold(all, in: dir, gnuplot: g)
        let script = try String(contentsOfFile: steps.script, encoding: .utf8)
        let missed = all.filter { $0.config.model == .mamba && $0.config.variant == .suffix && $0.metrics.reachedStep == nil }.count
        XCTAssertGreaterThan(missed, 0)
        XCTAssertTrue(script.contains("mamba suffix: not reached (\(missed))"), script)
        let stepsData = try String(contentsOfFile: steps.data, encoding: .utf8)
        XCTAssertTrue(stepsData.contains("6 530.0"), stepsData)   // top of the axis: 1.06 × budget
    }

    /// Seeds of one configuration: each run a thin line, their median a thick one.
    /// Three seeds of one run, their losses and accuracies shifted by 0, 0.1 and 0.3.
    func threeSeeds(of base: RunRecord) -> [RunRecord] {
        [(0, 0.0), (1, 0.1), (2, 0.3)].map { seed, shift in
            var c = base.config
            c.seed = UInt64(seed)
            var m = RunMetrics(threshold: 0.95)
            for (i, step) in base.metrics.steps.enumerated() {
                m.record(step: step, loss: base.metrics.losses[i] + shift, accuracy: min(1, base.metrics.accuracies[i] + shift),
                         positions: base.metrics.slotAccuracy[i])
            }
            return RunRecord(config: c, metrics: m)
        }
    }

    func testLearningCurvesDrawEverySeedThinAndTheirMedianThick() throws {
        var g = Gnuplot(); g.executable = nil
        let base = runs().first { $0.config.model == .mamba && $0.config.length == 4 && $0.config.variant == .suffix }!
        let seeded = threeSeeds(of: base)
        let f = try StudyFigures.learningCurves(seeded, in: dir, gnuplot: g)
        let script = try String(contentsOfFile: f.script, encoding: .utf8)
        XCTAssertTrue(script.contains("median of 3 seeds"), script)
        let thin = script.components(separatedBy: "with lines lw 1").count - 1
        let thick = script.components(separatedBy: "with lines lw 3").count - 1
        XCTAssertGreaterThan(thick, 0, "the median is drawn thick")
        XCTAssertEqual(thin, 3 * thick, "three thin runs for each thick median (accuracy and loss)")
        XCTAssertFalse(script.contains("seed=1"), "single runs of a seeded configuration carry no legend entry")
        let blocks = try String(contentsOfFile: f.data, encoding: .utf8).components(separatedBy: "\n\n\n")
        let median = blocks[3].split(separator: "\n").dropFirst().map { $0.split(separator: " ").map { Double($0)! } }
        XCTAssertEqual(median.count, base.metrics.steps.count)
        for (i, row) in median.enumerated() {
            XCTAssertEqual(row[1], min(1, base.metrics.accuracies[i] + 0.1), accuracy: 1e-12, "the middle seed's accuracy")
            XCTAssertEqual(row[2], base.metrics.losses[i] + 0.1, accuracy: 1e-12)
        }
    }

    /// Figure 12 with seeds: per variant, each run thin and the median thick, in the legend once.
    func testPrefixVersusSuffixDrawsEverySeedThinAndTheirMedianThick() throws {
        var g = Gnuplot(); g.executable = nil
        let l4 = runs().filter { $0.config.length == 4 && $0.config.model == .pythia }
        let seeded = l4.flatMap(threeSeeds)
        let f = try StudyFigures.prefixVersusSuffix(seeded, length: 4, in: dir, gnuplot: g)
        let script = try String(contentsOfFile: f.script, encoding: .utf8)
        // The body runs once per terminal (PNG, SVG).
        XCTAssertEqual(script.components(separatedBy: "with lines lw 1").count - 1, 2 * 6, "three thin runs per variant")
        XCTAssertEqual(script.components(separatedBy: "with lines lw 3").count - 1, 2 * 2, "one thick median per variant")
        XCTAssertTrue(script.contains("suffix (lr 0.001, median of 3 seeds)"), script)
        XCTAssertFalse(script.contains("seed 1)"), "single runs of a seeded setting carry no legend entry")
        let suffix = l4.first { $0.config.variant == .suffix }!
        let blocks = try String(contentsOfFile: f.data, encoding: .utf8).components(separatedBy: "\n\n\n")
        let median = blocks.first { $0.contains("suffix (lr 0.001): median") }!.split(separator: "\n").dropFirst()
            .map { $0.split(separator: " ").map { Double($0)! } }
        XCTAssertEqual(median.map { Int($0[0]) }, suffix.metrics.steps)
        for (i, row) in median.enumerated() {
            XCTAssertEqual(row[1], min(1, suffix.metrics.accuracies[i] + 0.1), accuracy: 1e-12, "the middle seed's accuracy")
        }
        // One seed: its line is thick and named, with no median.
        let single = try StudyFigures.prefixVersusSuffix(l4, length: 4, in: dir + "/one", gnuplot: g)
        let one = try String(contentsOfFile: single.script, encoding: .utf8)
        XCTAssertFalse(one.contains("median"), one)
        XCTAssertTrue(one.contains("prefix (lr 0.001, seed 0)"), one)
    }

    func testScriptRedrawsTheFigureFromAnotherFolder() throws {
        guard let gp = Gnuplot().executable else { throw XCTSkip("gnuplot is not installed") }
        let f = try StudyFigures.learningCurves(runs(), logSteps: true, in: dir)
        XCTAssertTrue(f.rendered, f.problem ?? "")
        let first = try Data(contentsOf: URL(fileURLWithPath: f.png))
        try FileManager.default.removeItem(atPath: f.png)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gp)
        p.arguments = [f.script]
        p.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: f.png)), first)
    }

    func testMissingGnuplotKeepsDataAndScriptAndSaysHowToInstall() throws {
        var g = Gnuplot(); g.executable = nil
        let f = try StudyFigures.stepsToThreshold(runs(), in: dir, gnuplot: g)
        XCTAssertFalse(f.rendered)
        XCTAssertTrue(f.problem!.contains("apt-get install gnuplot-nox"), f.problem!)
        XCTAssertTrue(FileManager.default.fileExists(atPath: f.data))
        XCTAssertTrue(FileManager.default.fileExists(atPath: f.script))
        var broken = Gnuplot(); broken.executable = dir + "/no-such-gnuplot"
        let b = try StudyFigures.stepsToThreshold(runs(), in: dir, gnuplot: broken)
        XCTAssertFalse(b.rendered)
        XCTAssertTrue(FileManager.default.fileExists(atPath: b.script))
    }
}
