import DataLayout
import Foundation
import Studies
import SystemIO
import Tasks
import TestSupport
import XCTest

/// #21: figures draw what a run was trained with (the record in metrics.h5), and a run that
/// cannot be read stops the figures naming it instead of vanishing from them.
final class RunRecordTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func trainedStudy() throws -> StudySpec {
        var base = RunConfig(model: .pythia, length: 4)
        base.hidden = 16; base.layers = 1; base.heads = 2; base.stateSize = 4
        base.batch = 8; base.steps = 8; base.evalEvery = 4; base.trainSize = 64; base.evalSize = 16
        let spec = StudySpec(name: "figures", models: [.pythia, .mamba], lengths: [4], variants: [.suffix], lrs: [1e-3],
                             seeds: [0], base: base)
        _ = try Study(spec, dataDirectory: dir, reporter: quiet).run()
        return spec
    }

    func testAnEditedOrUndecodableConfigJSONNeitherRelabelsNorDropsARun() throws {
        let spec = try trainedStudy()
        let pythia = dir + "/runs/" + spec.runs[0].folderName, mamba = dir + "/runs/" + spec.runs[1].folderName
        var relabelled = spec.runs[0]
        relabelled.lr = 0.5; relabelled.length = 9
        try AtomicFile.write(pythia + "/config.json", text: relabelled.json)
        try AtomicFile.write(mamba + "/config.json", text: "{ \"model\": \"mamba\", \"length\": 6.5 }")
        let runs = try RunRecord.load(studyFolder: DataFolder(dir).study("figures")).runs
        XCTAssertEqual(runs.map(\.config), spec.runs, "both runs, with the configurations they were trained under")
    }

    func testARunThatCannotBeReadIsNamed() throws {
        let spec = try trainedStudy()
        let mamba = dir + "/runs/" + spec.runs[1].folderName
        try AtomicFile.write(mamba + "/metrics.h5", text: "not HDF5")
        XCTAssertThrowsError(try RunRecord.load(studyFolder: DataFolder(dir).study("figures"))) { error in
            XCTAssertTrue("\(error)".contains("run \(spec.runs[1].folderName) cannot be read"), "\(error)")
        }
    }

    func testADamagedStudyJSONIsNamedWithTheKey() throws {
        _ = try trainedStudy()
        let path = dir + "/studies/figures/study.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"lengths\" : [\n    4\n  ]", with: "\"lengths\" : [\n    6.5\n  ]")
        try AtomicFile.write(path, text: text)
        XCTAssertThrowsError(try RunRecord.load(studyFolder: DataFolder(dir).study("figures"))) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
            XCTAssertTrue("\(error)".contains("lengths[0]"), "\(error)")
            XCTAssertFalse("\(error)".contains("not valid JSON"), "\(error)")
        }
    }
}
