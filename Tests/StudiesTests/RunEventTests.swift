import DataLayout
import Foundation
import Studies
import SystemIO
import Tasks
import TestSupport
import XCTest

/// A run's event stream (events.jsonl): the same evaluations as its metrics.h5, a start per
/// training session, whole JSON lines that survive a torn write.
final class RunEventTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func tinyMQAR() -> RunConfig {
        var c = RunConfig(model: .pythia, length: 16)
        c.task = .mqar
        c.taskOptions = TaskOptions(vocab: 40, kvPairs: 2)
        c.evalLengths = [32]
        c.hidden = 16; c.layers = 1; c.heads = 2
        c.batch = 8; c.steps = 12; c.evalEvery = 4; c.trainSize = 64; c.evalSize = 16
        c.earlyStop = false
        return c
    }

    func testEvaluatedEventsEqualTheMetricsAcrossAResume() throws {
        let c = tinyMQAR()
        let folder = dir + "/run"
        _ = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run(stopAfter: 4)
        let r = try TaskRun(c, dataDirectory: dir, folder: folder, reporter: quiet).run()
        let (events, torn) = try RunEventLog.read(RunFolder(folder).events)
        XCTAssertNil(torn)
        let evaluations = events.compactMap(\.evaluation)
        let m = try RunMetrics.read(r.folder.metrics)
        XCTAssertEqual(evaluations.map(\.step), m.steps)
        XCTAssertEqual(evaluations.map(\.loss), m.losses)
        XCTAssertEqual(evaluations.map(\.accuracy), m.accuracies)
        XCTAssertEqual(evaluations.map(\.exactMatch), m.exactMatches)
        XCTAssertEqual(evaluations.map(\.slotAccuracy), m.slotAccuracy)
        XCTAssertEqual(evaluations.map(\.lengthAccuracy), m.lengthAccuracy)
        XCTAssertEqual(Set(evaluations.map(\.evalLengths)), [[32]])
        XCTAssertEqual(Set(evaluations.map(\.slotName)), [m.slotName!])
        // Two sessions: a start at 0 and a resumed start at 4; one finish, at the budget.
        let starts = events.compactMap { e -> (Int, Bool)? in if case .started(let s) = e.kind { (s.step, s.resumed) } else { nil } }
        XCTAssertEqual(starts.map(\.0), [0, 4]); XCTAssertEqual(starts.map(\.1), [false, true])
        XCTAssertEqual(events.last.map { e -> Int? in if case .finished(let f) = e.kind { f.step } else { nil } }, 12)
        XCTAssertTrue(events.allSatisfy { $0.run == "run" })
        XCTAssertEqual(events.map(\.time), events.map(\.time).sorted())
    }

    func testEveryKindRoundTripsThroughOneJSONLine() throws {
        let kinds: [RunEvent.Kind] = [
            .started(.init(step: 4, steps: 100, parameters: 1234, model: "mamba", task: "mqar length 64", label: "mamba mqar L64 h64 s0", resumed: true)),
            .evaluated(.init(step: 8, loss: 0.1 + 0.2, accuracy: 1.0 / 3.0, exactMatch: 0.25, slotAccuracy: [0.5, 1e-17], slotName: "key index",
                             evalLengths: [128], lengthAccuracy: [0.75])),
            .checkpointed(step: 8), .finished(.init(step: 8, reachedStep: nil, finalAccuracy: 0.5)),
            .diverged(step: 9, what: "the loss (nan)"), .interrupted(step: 10, signal: 15),
        ]
        for kind in kinds {
            let e = RunEvent(run: "r", time: 1764790000.123456, kind: kind)
            XCTAssertFalse(e.jsonLine.contains("\n"))
            XCTAssertEqual(RunEvent.decode(line: e.jsonLine), e, e.jsonLine)
        }
        XCTAssertNil(RunEvent.decode(line: #"{"event":"evaluated","run":"r","time":1,"step":2}"#), "an evaluation without its values is not an event")
    }

    func testATornLastLineIsReportedThenCutOffBeforeTheNextAppend() throws {
        let path = dir + "/events.jsonl"
        let log = try RunEventLog(path)
        XCTAssertNil(log.repair)
        for step in [1, 2] { try log.append(RunEvent(run: "r", time: 1, kind: .checkpointed(step: step))) }
        let third = RunEvent(run: "r", time: 1, kind: .checkpointed(step: 3)).jsonLine
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.seekToEnd(); try h.write(contentsOf: Data(third.prefix(20).utf8)); try h.close()

        let (events, torn) = try RunEventLog.read(path)
        XCTAssertEqual(events.map(\.step), [1, 2])
        XCTAssertTrue(torn?.contains("torn last line (20 bytes") == true, torn ?? "nil")
        let reopened = try RunEventLog(path)
        XCTAssertTrue(reopened.repair?.contains("cut off a torn last line (20 bytes") == true, reopened.repair ?? "nil")
        try reopened.append(RunEvent(run: "r", time: 2, kind: .checkpointed(step: 4)))
        let after = try RunEventLog.read(path)
        XCTAssertEqual(after.events.map(\.step), [1, 2, 4]); XCTAssertNil(after.torn)

        // A whole last event that only lacks its newline is kept, not cut.
        try Data((third).utf8).append(to: path)
        XCTAssertEqual(try RunEventLog.read(path).events.map(\.step), [1, 2, 4, 3])
        XCTAssertNil(try RunEventLog(path).repair)
        XCTAssertEqual(try RunEventLog.read(path).events.map(\.step), [1, 2, 4, 3])
    }

    func testABadLineInTheMiddleIsAnErrorNamingFileAndLine() throws {
        let path = dir + "/events.jsonl"
        let good = RunEvent(run: "r", time: 1, kind: .checkpointed(step: 1)).jsonLine
        try (good + "\nnot json\n" + good + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunEventLog.read(path)) { XCTAssertTrue("\($0)".contains("events.jsonl:2: not a run event"), "\($0)") }
    }

    func testAFollowerReadsOnlyWholeNewLines() throws {
        let path = dir + "/events.jsonl"
        let follower = RunEventFollower(path)
        XCTAssertEqual(follower.newEvents(), [])
        let e1 = RunEvent(run: "r", time: 1, kind: .checkpointed(step: 1)), e2 = RunEvent(run: "r", time: 2, kind: .checkpointed(step: 2))
        try Data((e1.jsonLine + "\n" + e2.jsonLine.prefix(10)).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(follower.newEvents(), [e1])
        try Data(e2.jsonLine.dropFirst(10).utf8 + Array("\n".utf8)).append(to: path)
        XCTAssertEqual(follower.newEvents(), [e2])
        XCTAssertEqual(follower.newEvents(), [])
    }
}

private extension Data {
    func append(to path: String) throws {
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.seekToEnd(); try h.write(contentsOf: self); try h.close()
    }
}
