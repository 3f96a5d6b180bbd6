import Tasks
import Models
import TensorCore

/// One optimisation step on the retrieval task: forward, cross-entropy at the answer (last)
/// position, backward, optional clipping by global norm, AdamW. Shared by runs and
/// `scanlab bench train`, so the benchmark times exactly what training does.
///
/// `fullForward` takes the logits from the full forward (every layer on every row, as the
/// PyTorch anchor does) instead of the trainer's forward (answer-position last layer, first
/// layer on vocabulary tables); the loss and gradients are the same up to rounding.
///
/// `microBatch` splits the batch into pieces of that many examples (the last may be smaller),
/// each forward and backward on its own with its loss weighted by its share of the batch, so
/// the gradients add up to the full batch's mean-loss gradient: the same update to rounding,
/// with the activations of one piece alive at a time.
///
/// A non-finite loss or gradient skips the update (the parameters stay those of the last good
/// step) and is named in the outcome.
@discardableResult
public func retrievalTrainingStep(_ model: CausalLM, _ optimizer: AdamW, task: RetrievalTask, tokens: [Int],
                                  answers: [Int], lr: Double, clipNorm: Double?, fullForward: Bool = false,
                                  microBatch: Int? = nil) -> TrainingStepOutcome {
    OpProfiler.mark()
    model.parameters.zeroGrad()
    let batch = answers.count, piece = min(microBatch ?? batch, batch), width = task.sequenceLength
    var total: Float = 0
    for start in stride(from: 0, to: batch, by: piece) {
        let end = min(batch, start + piece)
        let logits = answerLogits(model, task: task, tokens: Array(tokens[(start * width)..<(end * width)]),
                                  count: end - start, fullForward: fullForward)
        var loss = logits.crossEntropy(targets: Array(answers[start..<end]))
        if end - start < batch { loss = loss * (Float(end - start) / Float(batch)) }
        loss.backward()
        total += loss.item
    }
    guard total.isFinite else { return TrainingStepOutcome(loss: total, nonFinite: "the loss (\(total))") }
    // The global norm is not finite exactly when a gradient is not; without clipping, look.
    let norm = clipNorm.map { maxNorm in OpProfiler.measure("clip gradient norm") { clipGradientNorm(model.parameters, maxNorm: maxNorm) } }
    if norm.map({ !$0.isFinite }) ?? true, let key = firstNonFiniteGradient(model.parameters) {
        return TrainingStepOutcome(loss: total, nonFinite: "the gradient of \(key)")
    }
    OpProfiler.measure("AdamW update") { optimizer.update(lr: lr) }
    return TrainingStepOutcome(loss: total, nonFinite: nil)
}

/// The mean loss of one step, and the first non-finite value it met, if any (then no update).
public struct TrainingStepOutcome: Equatable {
    public let loss: Float
    public let nonFinite: String?
}

/// Logits at the answer (last) position of each of `count` examples, (count, vocab): the
/// trainer's forward, or with `fullForward` the rows of the full forward.
func answerLogits(_ model: CausalLM, task: RetrievalTask, tokens: [Int], count: Int, fullForward: Bool = false) -> Tensor {
    let batch = TokenBatch(ids: tokens, batch: count, length: task.sequenceLength)
    let positions = [Int](repeating: task.sequenceLength - 1, count: count)
    return fullForward ? model.logitsFromFullForward(batch, at: positions) : model.logits(batch, at: positions)
}
