import Checkpoints
import Foundation
import HDF5
import Models
import SystemIO
import TensorCore
import TestSupport
import XCTest

/// Fletcher-32 on every dataset ScanLab writes: a flipped byte is an error naming the file and
/// the dataset, never numbers silently accepted.
final class ChecksumTests: TemporaryDirectoryTestCase {
    func smallMamba() -> CausalLM {
        var g = RandomGenerator(seed: 3)
        return makeModel(.mamba(MambaConfig(vocabSize: 11, hiddenSize: 16, layers: 2, stateSize: 4)), generator: &g)
    }

    /// Offset in `file` of the first byte of `tensor`'s data (ScanLab writes raw float32).
    func offset(of tensor: Tensor, in file: Data) -> Int? {
        let needle = Data(bytes: tensor.data, count: min(64, tensor.count * 4))
        return file.range(of: needle)?.lowerBound
    }

    func testEveryArrayInACheckpointCarriesAChecksum() throws {
        let path = dir + "/m.h5"
        let model = smallMamba()
        var state = Checkpoint.TrainingState(optimizer: AdamW(model.parameters, hyper: .init(weightDecay: 0)))
        state.metrics = ["loss": ([1, 2, 3], [3])]
        try Checkpoint.save(model, to: path, training: state)
        let f = try HDF5File(path, mode: .read)
        for key in model.parameters.allKeys {
            XCTAssertTrue(try f.isChecksummed("params/" + key), key)
            XCTAssertTrue(try f.isChecksummed("optimizer/m/" + (model.parameters.aliases[key] ?? key)), key)
        }
        XCTAssertTrue(try f.isChecksummed("metrics/loss"))
    }

    func testAFlippedByteInAParameterIsAnErrorNamingTheFileAndDataset() throws {
        let path = dir + "/m.h5"
        let model = smallMamba()
        try Checkpoint.save(model, to: path)
        let key = "backbone.layers.0.mixer.in_proj.weight"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = try XCTUnwrap(offset(of: model.parameters[key], in: bytes), "the parameter's bytes are in the file")
        bytes[start + 4 * 100 + 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        // The whole-file CRC-32 catches it before HDF5 reads anything.
        XCTAssertThrowsError(try Checkpoint.loadModel(path)) { error in
            XCTAssertTrue("\(error)".contains(path + ": the file is damaged (its CRC-32 is"), "\(error)")
        }
        // Without the trailer (cut off), HDF5's Fletcher-32 names the dataset.
        try bytes.dropLast(16).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.loadModel(path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), text)
            XCTAssertTrue(text.contains("params/" + key), text)
            XCTAssertTrue(text.contains("Fletcher-32 checksum"), text)
        }
    }

    func testTheTrailerLeavesTheFileAnOrdinaryHDF5File() throws {
        let path = dir + "/m.h5"
        try Checkpoint.save(smallMamba(), to: path)
        XCTAssertEqual(try FileChecksum.verify(path), .intact)
        guard let h5dump = ["/usr/bin/h5dump", "/usr/local/bin/h5dump"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("h5dump is not installed (hdf5-tools; Scripts/setup installs it)")
        }
        let r = try ChildProcess.run(h5dump, ["-H", path])
        XCTAssertEqual(r.status, 0, r.errors)
        XCTAssertTrue(r.output.contains("backbone.embeddings.weight"), r.output)
    }

    /// h5py's files (converted weights, the golden fixtures) have no checksums and still load.
    func testFilesWithoutChecksumsStillLoad() throws {
        let fixture = PythonHelper.root + "/Tests/ModelsTests/Fixtures/mamba_small.h5"
        let f = try HDF5File(fixture, mode: .read)
        let first = try XCTUnwrap(try f.children("params").first)
        XCTAssertFalse(try f.isChecksummed("params/" + first))
        XCTAssertGreaterThan(try f.readTensor("params/" + first).count, 0)
        XCTAssertNoThrow(try Checkpoint.loadModel(fixture))
    }
}
