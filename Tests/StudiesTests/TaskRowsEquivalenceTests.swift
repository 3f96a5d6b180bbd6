import Foundation
import Models
import Studies
import Tasks
import TensorCore
import TestSupport
import XCTest

/// The trainer's forward at each task's labelled rows (the last layer's tail and the head at
/// those rows only, vocabulary tables where they pay) gives the logits, loss and every gradient
/// of the full forward's rows, for every task and family.
final class TaskRowsEquivalenceTests: XCTestCase {
    func testEveryTaskAndFamilyMatchesTheFullForward() throws {
        let tasks: [any SyntheticTask] = [
            try PositionRetrievalTask(length: 6, placement: .prefix), try MQARTask(length: 16, vocab: 40, kvPairs: 3),
            try NgramRetrievalTask(length: 10, vocab: 5, ngram: 4, queryNgram: 2, placement: .suffix),
            try SelectiveCopyingTask(length: 14, vocab: 6, copyTokens: 3), try InductionHeadsTask(length: 10, vocab: 6),
        ]
        for task in tasks {
            let batch = try task.generate(count: 5, seed: 3, excluding: []).batch([4, 0, 2, 1, 3])
            for family in ModelFamily.allCases {
                var c = RunConfig(model: family, length: 8)
                c.hidden = 16; c.heads = 2; c.stateSize = 4; c.headDim = 8
                if family == .hybrid { c.pattern = "MST" } else { c.layers = 2 }
                var g = RandomGenerator(seed: 9)
                let config = try c.modelConfig().withVocabulary(task.vocabularySize)
                let model = makeModel(config, generator: &g)
                func run(_ full: Bool) -> (logits: [Float], loss: Float, grads: [String: [Float]]) {
                    model.parameters.zeroGrad()
                    let logits = answerLogits(model, batch, fullForward: full)
                    let loss = logits.crossEntropy(targets: batch.targets)
                    loss.backward()
                    return (logits.values, loss.item, Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.key, $0.tensor.grad!.values) }))
                }
                let (full, trainer) = (run(true), run(false))
                let label = "\(task.kind.rawValue) \(family.rawValue)"
                XCTAssertEqual(full.logits.count, batch.rows.count * task.vocabularySize, label)
                XCTAssertEqual(trainer.loss, full.loss, accuracy: 1e-5 * max(1, abs(full.loss)), label)
                XCTAssertLessThanOrEqual(maxRelative(trainer.logits, full.logits), 1e-4, "\(label) logits")
                for (key, want) in full.grads {
                    XCTAssertLessThanOrEqual(maxRelative(trainer.grads[key]!, want), 1e-3, "\(label) grad \(key)")
                }
            }
        }
    }

    /// max |a − b| over max |b| (a scale-free comparison of whole tensors).
    func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-12)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }
}
