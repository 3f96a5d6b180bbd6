import DataLayout
import Foundation
import Studies
import Tasks
import TestSupport
import XCTest

/// A study over tasks and widths: every combination runs once with its task's options, and the
/// summary names the task, its parameters, the width and exact match.
final class TaskSuiteStudyTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func testAStudyOverTasksAndWidthsRunsEveryCombination() throws {
        var base = RunConfig(model: .pythia, length: 8)
        base.steps = 4; base.evalEvery = 2; base.batch = 8; base.trainSize = 40; base.evalSize = 10; base.layers = 1
        var spec = StudySpec(name: "suite", models: [.pythia, .mamba], lengths: [], variants: [], lrs: [1e-3], seeds: [0], base: base)
        spec.tasks = [StudyTask(.mqar, lengths: [16], options: TaskOptions(vocab: 40, kvPairs: 2)),
                      StudyTask(.inductionHeads, lengths: [12], options: TaskOptions(vocab: 6), evalLengths: [24])]
        spec.hiddens = [8, 16]
        XCTAssertEqual(spec.runs.count, 2 * 2 * 2)
        XCTAssertEqual(Set(spec.runs.map(\.folderName)).count, 8, "every combination is its own run")
        let mqar = spec.runs.filter { $0.task == .mqar }
        XCTAssertTrue(mqar.allSatisfy { $0.taskOptions == TaskOptions(vocab: 40, kvPairs: 2) && $0.length == 16 && $0.evalLengths == nil })
        XCTAssertEqual(Set(mqar.map(\.hidden)), [8, 16])
        let rows = try Study(spec, dataDirectory: dir, reporter: quiet).run().map(\.summaryRow)
        XCTAssertEqual(rows.count, 8)
        let csv = try String(contentsOfFile: dir + "/studies/suite/summary.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(csv[0].hasSuffix(",task,task_parameters,hidden,final_exact_match"))
        XCTAssertTrue(csv.contains { $0.contains(",mqar,vocab=40 kv-pairs=2 power-a=0.01 passes=1,16,") }, csv.joined(separator: "\n"))
        XCTAssertTrue(csv.contains { $0.contains(",induction-heads,vocab=6,8,") })
        let table = Study.summaryTable(rows)
        XCTAssertTrue(table.contains("task") && table.contains("hidden"), table)
        // The induction-heads runs evaluated the longer length too.
        let run = try TaskRun(spec.runs.first { $0.task == .inductionHeads }!, dataDirectory: dir, reporter: quiet)
        let m = try RunMetrics.read(run.folder.metrics)
        XCTAssertEqual(m.evalLengths, [24])
        XCTAssertEqual(m.lengthAccuracy.count, m.steps.count)
        XCTAssertEqual(m.slotName, "trigger position")
        XCTAssertEqual(m.slotAccuracy.first?.count, 10)
    }

    func testAStudyWithoutTaskListsKeepsItsRunsAndNames() throws {
        // The quick preset's runs are what they were before studies had tasks and widths.
        let runs = StudySpec.quick.runs
        XCTAssertEqual(runs.count, 24)
        XCTAssertTrue(runs.allSatisfy { $0.task == nil && $0.hidden == 128 && !$0.json.contains("task") })
        XCTAssertTrue(runs[0].folderName.hasPrefix("pythia-L8-suffix-lr0.001-s0-e0-"), runs[0].folderName)
    }
}
