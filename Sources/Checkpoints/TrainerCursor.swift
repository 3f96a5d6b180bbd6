/// Where training stands between two steps, as a checkpoint records it (the /trainer group's
/// integer attributes): the step, the data order's epoch and position in it, and the training
/// loss summed since the last evaluation, kept bit for bit so a resumed run reports the same mean.
public struct TrainerCursor: Equatable, Sendable {
    public var step = 0
    public var epoch = 0
    public var cursor = 0
    public var lossSum = 0.0
    public var lossCount = 0

    public init(step: Int = 0, epoch: Int = 0, cursor: Int = 0, lossSum: Double = 0, lossCount: Int = 0) {
        (self.step, self.epoch, self.cursor, self.lossSum, self.lossCount) = (step, epoch, cursor, lossSum, lossCount)
    }

    /// The attributes as stored (names unchanged since checkpoints first held them).
    var attributes: [(name: String, value: Int)] {
        [("step", step), ("epoch", epoch), ("cursor", cursor), ("loss_sum_bits", Int(Int64(bitPattern: lossSum.bitPattern))),
         ("loss_count", lossCount)]
    }

    /// From the stored attributes; one a file lacks (older checkpoints have no loss sum) is 0.
    init(attributes: [String: Int]) {
        self.init(step: attributes["step"] ?? 0, epoch: attributes["epoch"] ?? 0, cursor: attributes["cursor"] ?? 0,
                  lossSum: Double(bitPattern: UInt64(bitPattern: Int64(attributes["loss_sum_bits"] ?? 0))),
                  lossCount: attributes["loss_count"] ?? 0)
    }
}
