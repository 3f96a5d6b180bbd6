import DataLayout
import Foundation
import TensorBoard

/// A run's events as TensorBoard reads them, in <run>/tensorboard/: per evaluation the training
/// loss, held-out accuracy and exact match, one scalar per slot (grouped under slot_accuracy/)
/// and per evaluation length (length_accuracy/); at every start the run's configuration as text.
/// `tensorboard --logdir <data>/runs` shows a study's runs side by side, one per run folder.
final class TensorBoardLog {
    let folder: RunFolder
    let config: RunConfig
    private var writer: EventFileWriter?

    init(folder: RunFolder, config: RunConfig) {
        self.folder = folder
        self.config = config
    }

    /// Tag of slot `i` ("slot_accuracy/target position 07"): zero-padded, so TensorBoard lists them in order.
    static func slotTag(_ slotName: String, _ i: Int, of count: Int) -> String {
        let digits = String(max(0, count - 1)).count
        return "slot_accuracy/\(slotName) " + String(repeating: "0", count: max(0, digits - String(i).count)) + String(i)
    }

    static func lengthTag(_ length: Int) -> String { "length_accuracy/length \(length)" }

    func record(_ event: RunEvent) throws {
        switch event.kind {
        case .started:
            try open(event.time).text("```json\n" + config.json + "\n```\n\n" + config.taskLabel, tag: "config", step: event.step, wallTime: event.time)
        case .evaluated(let e):
            var values: [(tag: String, value: Double)] = [("loss/train", e.loss), ("accuracy/held-out", e.accuracy),
                                                          ("accuracy/exact_match", e.exactMatch)]
            values += e.slotAccuracy.enumerated().map { (Self.slotTag(e.slotName, $0, of: e.slotAccuracy.count), $1) }
            values += zip(e.evalLengths, e.lengthAccuracy).map { (Self.lengthTag($0), $1) }
            try open(event.time).scalars(values, step: e.step, wallTime: event.time)
        case .checkpointed, .finished, .diverged, .interrupted:
            break
        }
    }

    private func open(_ time: Double) throws -> EventFileWriter {
        if let writer { return writer }
        let w = try EventFileWriter(folder: folder.tensorboard, wallTime: time)
        writer = w
        return w
    }
}
