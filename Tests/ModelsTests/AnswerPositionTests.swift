import Checkpoints
import Foundation
import Models
import TensorCore
import TestSupport
import XCTest

/// `logits(at:)` runs the last layer on the chosen rows only; its logits, loss and every
/// gradient must equal those of the full forward's rows, for every fixture architecture
/// (parallel and sequential residual, with and without biases, odd sizes).
final class AnswerPositionTests: XCTestCase {
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = GoldenFixtureTests.fixtures.appendingPathComponent(name + ".h5").path
        let model = try Checkpoint.loadModel(path)
        let ids = try HDF5File(path, mode: .read).readInts("golden/input_ids")
        let tokens = TokenBatch(ids: ids.values, batch: ids.shape[0], length: ids.shape[1])
        // The last position, the first, and one in between.
        let positions = (0..<tokens.batch).map { [tokens.length - 1, 0, tokens.length / 2][$0 % 3] }
        let vocab = model.config.vocabSize
        let targets = (0..<tokens.batch).map { ($0 * 7 + 3) % vocab }

        let fullLogits = model.logitsFromFullForward(tokens, at: positions)
        fullLogits.crossEntropy(targets: targets).backward()
        let want = model.parameters.gradientsByKey
        for key in model.parameters.allKeys { model.parameters[key].grad = nil }

        let logits = model.logits(tokens, at: positions)
        logits.crossEntropy(targets: targets).backward()
        XCTAssertEqual(logits.shape, [tokens.batch, vocab], "\(name) logits shape", file: file, line: line)
        XCTAssertLessThanOrEqual(relativeError(logits, fullLogits), 1e-5, "\(name) logits", file: file, line: line)
        let got = model.parameters.gradientsByKey
        for key in model.parameters.allKeys {
            XCTAssertLessThanOrEqual(relativeError(got[key]!, want[key]!), 1e-4, "\(name) grad \(key)", file: file, line: line)
        }
    }

    func testGPTNeoXParallelResidual() throws { try check("gpt_neox_small") }
    func testGPTNeoXSequentialResidualOddSizes() throws { try check("gpt_neox_odd") }
    func testMamba() throws { try check("mamba_small") }
    func testMambaWithBiasesOddSizes() throws { try check("mamba_odd") }
}
