import DataLayout
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Studies
import SystemIO
import Tasks
import TestSupport
import XCTest

/// A run's TensorBoard files, read by TensorBoard itself: its event reader finds every scalar
/// metrics.h5 holds, and a tensorboard server on loopback lists the runs and serves them.
final class TensorBoardLogTests: TemporaryDirectoryTestCase {
    let quiet = ProgressReporter(interactive: false, output: { _ in })

    func train(_ seed: UInt64) throws -> RunResult {
        var c = RunConfig(model: .pythia, length: 16)
        c.task = .mqar
        c.taskOptions = TaskOptions(vocab: 40, kvPairs: 2)
        c.evalLengths = [32]
        c.hidden = 16; c.layers = 1; c.heads = 2; c.seed = seed
        c.batch = 8; c.steps = 12; c.evalEvery = 4; c.trainSize = 64; c.evalSize = 16
        c.earlyStop = false
        return try TaskRun(c, dataDirectory: dir, reporter: quiet).run()
    }

    func testTensorBoardsReaderFindsEveryScalarOfTheMetrics() throws {
        try PythonHelper.require(["tensorboard"])
        let r = try train(0)
        let out = try PythonHelper.script([PythonHelper.root + "/Tests/StudiesTests/tensorboard_scalars.py", r.folder.tensorboard])
        let read = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String: Any]])
        let scalars = try XCTUnwrap(read["scalars"] as? [String: [[Double]]])
        let m = try RunMetrics.read(r.folder.metrics)
        // TensorBoard keeps scalars as float32: each must be the metric rounded to float32.
        func series(_ tag: String) -> [[Float]] { (scalars[tag] ?? []).map { $0.map(Float.init) } }
        func expected(_ values: [Double]) -> [[Float]] { zip(m.steps, values).map { [Float($0), Float($1)] } }
        XCTAssertEqual(series("loss/train"), expected(m.losses))
        XCTAssertEqual(series("accuracy/held-out"), expected(m.accuracies))
        XCTAssertEqual(series("accuracy/exact_match"), expected(m.exactMatches))
        XCTAssertEqual(series("length_accuracy/length 32"), expected(m.lengthAccuracy.map { $0[0] }))
        for slot in 0..<2 { XCTAssertEqual(series("slot_accuracy/key index \(slot)"), expected(m.slotAccuracy.map { $0[slot] })) }
        XCTAssertEqual(scalars.count, 3 + 1 + 2, "\(scalars.keys.sorted())")
        let text = try XCTUnwrap(read["text"] as? [String: [String]])
        XCTAssertTrue(text["config"]?.first?.contains(r.config.json) == true, "\(text)")
    }

    func testATensorBoardServerListsTheRunsAndServesTheirScalars() throws {
        try PythonHelper.require(["tensorboard"])
        let runs = [try train(0), try train(1)]
        let server = Process()
        server.executableURL = URL(fileURLWithPath: PythonHelper.executable)
        server.arguments = (PythonHelper.executable == "/usr/bin/env" ? ["python3"] : []) +
            ["-m", "tensorboard.main", "--logdir", DataFolder(dir).runs, "--host", "127.0.0.1", "--port", "0"]
        let errors = Pipe()
        server.standardError = errors
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // TensorBoard prints "TensorBoard 2.x at http://127.0.0.1:PORT/" when it serves.
        var printed = "", port: Int?
        let deadline = Date().addingTimeInterval(120)
        while port == nil, Date() < deadline, server.isRunning {
            printed += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            if let r = printed.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                port = Int(printed[r].dropFirst("127.0.0.1:".count).dropLast())
            }
        }
        let p = try XCTUnwrap(port, "tensorboard did not start: \(printed)")
        func get(_ path: String) throws -> Any {
            var last: Error?
            for _ in 0..<60 {
                do { return try JSONSerialization.jsonObject(with: try fetch(URL(string: "http://127.0.0.1:\(p)\(path)")!)) } catch {
                    last = error; Thread.sleep(forTimeInterval: 0.5)
                }
            }
            throw last!
        }
        // The server loads runs in the background; ask until both are there.
        var listed: [String] = []
        for _ in 0..<60 {
            listed = (try get("/data/runs") as? [String]) ?? []
            if listed.count == 2 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertEqual(Set(listed), Set(runs.map { $0.folder.name + "/tensorboard" }))
        let tags = try XCTUnwrap(try get("/data/plugin/scalars/tags") as? [String: [String: Any]])
        for r in runs {
            let name = r.folder.name + "/tensorboard"
            XCTAssertTrue(tags[name]?.keys.contains("accuracy/held-out") == true, "\(tags)")
            let query = "run=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&tag=accuracy%2Fheld-out"
            let points = try XCTUnwrap(try get("/data/plugin/scalars/scalars?" + query) as? [[Double]])
            let m = try RunMetrics.read(r.folder.metrics)
            XCTAssertEqual(points.map { Int($0[1]) }, m.steps)
            XCTAssertEqual(points.map { Float($0[2]) }, m.accuracies.map { Float($0) })
        }
    }

    /// A GET's body (URLSession, waited for); throws on a transport error or a status other than 200.
    func fetch(_ url: URL) throws -> Data {
        final class Box: @unchecked Sendable { var result: Result<Data, Error> = .failure(URLError(.unknown)) }
        let done = DispatchSemaphore(value: 0), box = Box()
        URLSession.shared.dataTask(with: url) { data, response, error in
            if let error { box.result = .failure(error) } else if (response as? HTTPURLResponse)?.statusCode != 200 {
                box.result = .failure(URLError(.badServerResponse))
            } else { box.result = .success(data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        return try box.result.get()
    }
}
