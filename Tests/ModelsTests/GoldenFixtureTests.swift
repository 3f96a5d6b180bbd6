import Checkpoints
import Foundation
import HDF5
import Models
import TensorCore
import TestSupport
import XCTest

/// ScanLab against transformers: each fixture (Scripts/make_golden_fixtures.py) is a ScanLab
/// checkpoint of a random-init transformers model plus its logits, loss and every gradient.
final class GoldenFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Self.fixtures.appendingPathComponent(name + ".h5").path
        let model = try Checkpoint.loadModel(path)
        let f = try HDF5File(path, mode: .read)
        let ids = try f.readInts("golden/input_ids")
        let tokens = TokenBatch(ids: ids.values, batch: ids.shape[0], length: ids.shape[1])
        let (logits, loss) = nextTokenLoss(model, tokens)
        loss.backward()
        let wantLogits = try f.readTensor("golden/logits")
        let wantLoss = try f.readTensor("golden/loss").item
        XCTAssertEqual(logits.shape, wantLogits.shape, "\(name) logits shape", file: file, line: line)
        XCTAssertLessThanOrEqual(relativeError(logits, wantLogits), 1e-4, "\(name) logits", file: file, line: line)
        XCTAssertEqual(loss.item, wantLoss, accuracy: 1e-4 * Swift.abs(wantLoss), "\(name) loss", file: file, line: line)
        let grads = model.parameters.gradientsByKey
        let keys = try f.children("golden/grads")
        XCTAssertEqual(Set(keys), Set(model.parameters.allKeys), "\(name) gradient keys", file: file, line: line)
        for key in keys {
            let want = try f.readTensor("golden/grads/" + key)
            guard let got = grads[key] else { XCTFail("\(name): no gradient for \(key)", file: file, line: line); continue }
            XCTAssertEqual(got.shape, want.shape, "\(name) \(key) shape", file: file, line: line)
            XCTAssertLessThanOrEqual(relativeError(got, want), 1e-3, "\(name) grad \(key)", file: file, line: line)
        }
    }

    func testGPTNeoXSmallMatchesTransformers() throws { try check("gpt_neox_small") }
    func testGPTNeoXOddSizesSequentialResidualMatchesTransformers() throws { try check("gpt_neox_odd") }
    func testMambaSmallMatchesTransformers() throws { try check("mamba_small") }
    func testMambaOddSizesWithBiasesMatchesTransformers() throws { try check("mamba_odd") }
    func testMamba2SmallMatchesTransformers() throws { try check("mamba2_small") }
    /// Two groups, head_dim 10, a clamping time_step_limit, tied embeddings, and transformers'
    /// chunked algorithm over several chunks against ScanLab's recurrence.
    func testMamba2OddSizesGroupsLimitTiedMatchesTransformers() throws { try check("mamba2_odd") }
}
