import Models
import TensorCore

/// One optimisation step on the retrieval task: forward, cross-entropy at the answer (last)
/// position, backward, optional clipping by global norm, AdamW. Shared by runs and
/// `scanlab bench train`, so the benchmark times exactly what training does.
///
/// `fullForward` takes the logits from the full forward (every layer on every row, as the
/// PyTorch anchor does) instead of the trainer's forward (answer-position last layer, first
/// layer on vocabulary tables); the loss and gradients are the same up to rounding.
public func retrievalTrainingStep(_ model: CausalLM, _ optimizer: AdamW, task: RetrievalTask, tokens: [Int],
                                  answers: [Int], lr: Double, clipNorm: Double?, fullForward: Bool = false) -> Float {
    OpProfiler.mark()
    let logits = answerLogits(model, task: task, tokens: tokens, count: answers.count, fullForward: fullForward)
    let loss = logits.crossEntropy(targets: answers)
    model.parameters.zeroGrad()
    loss.backward()
    if let clipNorm { OpProfiler.measure("clip gradient norm") { clipGradientNorm(model.parameters, maxNorm: clipNorm) } }
    OpProfiler.measure("AdamW update") { optimizer.update(lr: lr) }
    return loss.item
}

/// Logits at the answer (last) position of each of `count` examples, (count, vocab): the
/// trainer's forward, or with `fullForward` the rows of the full forward.
func answerLogits(_ model: CausalLM, task: RetrievalTask, tokens: [Int], count: Int, fullForward: Bool = false) -> Tensor {
    let batch = TokenBatch(ids: tokens, batch: count, length: task.sequenceLength)
    let positions = [Int](repeating: task.sequenceLength - 1, count: count)
    return fullForward ? model.logitsFromFullForward(batch, at: positions) : model.logits(batch, at: positions)
}
