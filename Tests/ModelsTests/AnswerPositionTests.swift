import Checkpoints
import Foundation
import HDF5
import Models
import TensorCore
import TestSupport
import XCTest

/// `logits(at:)` runs the last layer on the chosen rows only, and with vocabulary tables the
/// first layer's token-wise work once per vocabulary entry; its logits, loss and every gradient
/// must equal those of the full forward's rows, for every fixture architecture (parallel and
/// sequential residual, with and without biases, odd sizes) and for one-layer models, whose
/// first layer is also the pruned last one.
final class AnswerPositionTests: XCTestCase {
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = GoldenFixtureTests.fixtures.appendingPathComponent(name + ".h5").path
        let model = try Checkpoint.loadModel(path)
        let ids = try HDF5File(path, mode: .read).readInts("golden/input_ids")
        let tokens = TokenBatch(ids: ids.values, batch: ids.shape[0], length: ids.shape[1])
        assertTrainerShortcutsMatch(model, tokens, name, file: file, line: line)
    }

    func testGPTNeoXParallelResidual() throws { try check("gpt_neox_small") }
    func testGPTNeoXSequentialResidualOddSizes() throws { try check("gpt_neox_odd") }
    func testMamba() throws { try check("mamba_small") }
    func testMambaWithBiasesOddSizes() throws { try check("mamba_odd") }
    func testMamba2() throws { try check("mamba2_small") }
    func testMamba2GroupsLimitTied() throws { try check("mamba2_odd") }

    func testOneLayerModels() throws {
        // Repeated ids, as in real batches: the tables' gradient sums over every use of an id.
        let tokens = TokenBatch(ids: (0..<3 * 10).map { ($0 * 5 + $0 / 7) % 11 }, batch: 3, length: 10)
        var g = RandomGenerator(seed: 5)
        for json in [#"{"model_type": "gpt_neox", "hidden_size": 24, "num_attention_heads": 3, "num_hidden_layers": 1, "intermediate_size": 40, "vocab_size": 11}"#,
                     #"{"model_type": "gpt_neox", "hidden_size": 24, "num_attention_heads": 3, "num_hidden_layers": 1, "intermediate_size": 40, "vocab_size": 11, "use_parallel_residual": false}"#,
                     #"{"model_type": "mamba", "hidden_size": 20, "num_hidden_layers": 1, "state_size": 5, "vocab_size": 11}"#,
                     #"{"model_type": "mamba2", "hidden_size": 20, "num_hidden_layers": 1, "state_size": 5, "vocab_size": 11, "num_heads": 4, "head_dim": 10, "n_groups": 2}"#] {
            let config = try ModelConfig(json: json)
            assertTrainerShortcutsMatch(makeModel(config, generator: &g), tokens, json)
        }
    }
}

/// The answer-row forward, vocabulary tables, and both: logits and every gradient equal the
/// full forward's rows (every family runs through this), with one answer per sequence (the
/// retrieval task) and with several per sequence, some sequences having none (MQAR, copying).
func assertTrainerShortcutsMatch(_ model: CausalLM, _ tokens: TokenBatch, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    // The last position, the first, and one in between.
    let positions = (0..<tokens.batch).map { [tokens.length - 1, 0, tokens.length / 2][$0 % 3] }
    assertTrainerShortcutsMatch(model, tokens, rows: tokens.rows(at: positions), name + " (one row per sequence)", file: file, line: line)
    // Sequence 0: the first, a middle and the last row; sequence 1 none; the rest two rows each.
    let (n, b) = (tokens.length, tokens.batch)
    var rows = Array(Set([0, n / 2, n - 1])).sorted()
    for s in 2..<max(2, b) { rows += Array(Set([s * n + (s % n), s * n + n - 1])).sorted() }
    assertTrainerShortcutsMatch(model, tokens, rows: rows, name + " (several rows per sequence)", file: file, line: line)
}

func assertTrainerShortcutsMatch(_ model: CausalLM, _ tokens: TokenBatch, rows: [Int], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let vocab = model.config.vocabSize
    let targets = (0..<rows.count).map { ($0 * 7 + 3) % vocab }

    for key in model.parameters.allKeys { model.parameters[key].grad = nil }
    let fullLogits = model.logitsFromFullForward(tokens, atRows: rows)
    fullLogits.crossEntropy(targets: targets).backward()
    let want = model.parameters.gradientsByKey

    // The answer position alone, tables alone (every row), and both together.
    let variants: [(String, (TokenBatch) -> Tensor)] = [
        ("at the answer rows", { model.logits($0, atRows: rows, vocabularyTables: false) }),
        ("full forward with vocabulary tables", {
            model.head(model.hiddenStates($0, atRows: nil, vocabularyTables: true).tokenRows(rows))
        }),
        ("at the answer rows with vocabulary tables", { model.logits($0, atRows: rows, vocabularyTables: true) }),
    ]
    for (variant, forward) in variants {
        let label = "\(name) \(variant)"
        for key in model.parameters.allKeys { model.parameters[key].grad = nil }
        let logits = forward(tokens)
        logits.crossEntropy(targets: targets).backward()
        XCTAssertEqual(logits.shape, [rows.count, vocab], "\(label) logits shape", file: file, line: line)
        XCTAssertLessThanOrEqual(relativeError(logits, fullLogits), 1e-5, "\(label) logits", file: file, line: line)
        let got = model.parameters.gradientsByKey
        for key in model.parameters.allKeys {
            XCTAssertLessThanOrEqual(relativeError(got[key]!, want[key]!), 1e-4, "\(label) grad \(key)", file: file, line: line)
        }
    }
}
