import Foundation
import Models
import Studies
import SystemIO
import XCTest

/// A run's configuration as a typed record: the pattern and the published size are typed
/// values stored as the strings config.json always held, and a hand-edited value that is not
/// one is refused, naming the key and the value.
final class RunConfigTests: XCTestCase {
    func testTypedFieldsKeepTheirJSONAndBadValuesAreNamed() throws {
        var c = RunConfig(model: .hybrid, length: 8)
        c.pattern = "MTS"
        XCTAssertTrue(c.json.contains("\"pattern\" : \"MTS\""), c.json)
        XCTAssertEqual(try JSONRecord.decode(RunConfig.self, from: Data(c.json.utf8), source: "config.json"), c)
        XCTAssertEqual(c.layerPattern.blocks, [.mamba, .attention, .mamba2])

        var p = RunConfig(model: .pythia, length: 8)
        p.size = .pythia70m
        XCTAssertTrue(p.json.contains("\"size\" : \"pythia-70m\""), p.json)
        XCTAssertEqual(try JSONRecord.decode(RunConfig.self, from: Data(p.json.utf8), source: "config.json"), p)

        for (json, words) in [(c.json.replacingOccurrences(of: "\"MTS\"", with: "\"MXT\""), ["key pattern", "'X' is not a block"]),
                              (p.json.replacingOccurrences(of: "\"pythia-70m\"", with: "\"pythia-999m\""), ["key size", "pythia-999m"])] {
            XCTAssertThrowsError(try JSONRecord.decode(RunConfig.self, from: Data(json.utf8), source: "config.json")) { error in
                for w in words { XCTAssertTrue("\(error)".contains(w), "\(error)") }
            }
        }
    }

    func testEveryPresetByItsName() {
        for preset in StudyPreset.allCases {
            XCTAssertEqual(StudyPreset(rawValue: preset.rawValue), preset)
            XCTAssertFalse(preset.spec().runs.isEmpty, preset.rawValue)
        }
        XCTAssertEqual(StudyPreset.suiteQuick.spec().name, "suite-quick")
        XCTAssertEqual(StudyPreset.paper.spec().requiresPretrained, true, "the paper fine-tunes")
        XCTAssertNotEqual(StudyPreset.paper.spec(fromScratch: true).requiresPretrained, true)
    }
}
