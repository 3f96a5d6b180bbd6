import Tasks
import Models
import TensorCore

/// One optimisation step on a task: forward, mean cross-entropy over the batch's labelled
/// rows, backward, optional clipping by global norm, AdamW. Shared by runs and `scanlab bench
/// train`, so the benchmark times exactly what training does.
///
/// `fullForward` takes the logits from the full forward (every layer on every row, as the
/// PyTorch anchor does) instead of the trainer's forward (the last layer's tail and the head at
/// the labelled rows only, the first layer on vocabulary tables); the loss and gradients are the
/// same up to rounding.
///
/// `microBatch` splits the batch into pieces of that many examples (the last may be smaller),
/// each forward and backward on its own with its loss weighted by its share of the labelled
/// rows, so the gradients add up to the full batch's mean-loss gradient: the same update to
/// rounding, with the activations of one piece alive at a time.
///
/// A non-finite loss or gradient skips the update (the parameters stay those of the last good
/// step) and is named in the outcome.
@discardableResult
public func trainingStep(_ model: CausalLM, _ optimizer: AdamW, batch: TaskBatch, lr: Double, clipNorm: Double?,
                         fullForward: Bool = false, microBatch: Int? = nil) -> TrainingStepOutcome {
    OpProfiler.mark()
    model.parameters.zeroGrad()
    let piece = min(microBatch ?? batch.count, batch.count), rows = batch.rows.count
    var total: Float = 0
    for start in stride(from: 0, to: batch.count, by: piece) {
        let part = piece == batch.count ? batch : batch.slice(start, min(batch.count, start + piece))
        guard !part.rows.isEmpty else { continue }
        let logits = answerLogits(model, part, fullForward: fullForward)
        var loss = logits.crossEntropy(targets: part.targets)
        if part.rows.count < rows { loss = loss * (Float(part.rows.count) / Float(rows)) }
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

/// Logits at the batch's labelled rows, (rows, vocab): the trainer's forward, or with
/// `fullForward` those rows of the full forward.
public func answerLogits(_ model: CausalLM, _ batch: TaskBatch, fullForward: Bool = false) -> Tensor {
    let tokens = TokenBatch(ids: batch.tokens, batch: batch.count, length: batch.sequenceLength)
    return fullForward ? model.logitsFromFullForward(tokens, atRows: batch.rows) : model.logits(tokens, atRows: batch.rows)
}
