import ArgumentParser
import Checkpoints
import Foundation
import HDF5
import Models
import TensorCore

/// `scanlab forward`: logits, loss and every gradient of a checkpoint on a batch from HDF5 —
/// a debugging tool, and how ScanLab is held against transformers.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a checkpoint on input_ids from an HDF5 file; write logits, loss and gradients.",
        discussion: """
        Reads input_ids (integer, [batch, seq]) from --input and writes to --output: logits \
        (float32 [batch, seq, vocab]); loss, the mean next-token cross-entropy over batch×(seq−1); \
        grads/<key>, the gradient of that loss for every parameter key of the checkpoint.
        """)

    @Option(help: "A ScanLab checkpoint (.h5).") var checkpoint: String
    @Option(help: "HDF5 file with an integer dataset input_ids [batch, seq].") var input: String
    @Option(help: "HDF5 file to write (replaced if it exists).") var output: String

    func validate() throws {
        // The output is replaced: it must not be one of the inputs (same file by any path).
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        for (flag, path) in [("--checkpoint", checkpoint), ("--input", input)]
            where URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw ValidationError("--output \(output) is the \(flag) file; it would be replaced: write elsewhere")
        }
    }

    func run() throws {
        let model = try Checkpoint.loadModel(checkpoint)
        let f = try HDF5File(input, mode: .read)
        guard try f.exists("input_ids") else { throw HDF5Error("\(input): dataset input_ids is missing") }
        let ids = try f.readInts("input_ids")
        guard ids.shape.count == 2, ids.shape[0] >= 1, ids.shape[1] >= 2 else {
            throw HDF5Error("\(input): input_ids must be [batch, seq] with batch ≥ 1 and seq ≥ 2, got shape \(ids.shape)")
        }
        let vocab = model.config.vocabSize
        if let bad = ids.values.first(where: { $0 < 0 || $0 >= vocab }) {
            throw HDF5Error("\(input): input_ids contains \(bad), outside the checkpoint's vocabulary 0..<\(vocab)")
        }
        let tokens = TokenBatch(ids: ids.values, batch: ids.shape[0], length: ids.shape[1])
        let (logits, loss) = nextTokenLoss(model, tokens)
        loss.backward()
        try HDF5File.writeAtomically(output) { out in
            try out.write("logits", logits)
            try out.write("loss", floats: [loss.item], shape: [])
            for (key, g) in model.parameters.gradientsByKey { try out.write("grads/" + key, g) }
        }
        print(String(format: "loss %.6f; wrote logits %@ and %d gradients to %@", loss.item,
                     "\(logits.shape)", model.parameters.allKeys.count, output))
    }
}
