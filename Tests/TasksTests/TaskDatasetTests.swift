import DataLayout
import Foundation
import HDF5
import Tasks
import TestSupport
import XCTest

/// The cached dataset is the contract's file: int32 inputs, labels and slots of [count, T] per
/// split, the task and its parameters as root attributes; read back equal, regenerated when damaged.
final class TaskDatasetTests: TemporaryDirectoryTestCase {
    func testCacheHoldsTheContractsDatasetsAndReadsBackWhatWasGenerated() throws {
        let task = try MQARTask(length: 16, vocab: 64, kvPairs: 2)
        let fresh = try TaskDataset.load(task, trainSize: 50, evalSize: 20, seed: 3, data: DataFolder(dir))
        let path = dir + "/datasets/" + TaskDataset.fileName(task, trainSize: 50, evalSize: 20, seed: 3)
        let f = try HDF5File(path, mode: .read)
        for (name, count) in [("train", 50), ("eval", 20)] {
            for part in ["inputs", "labels", "slots"] {
                let d = try f.readInt32s("\(name)_\(part)")
                XCTAssertEqual(d.shape, [count, 16], "\(name)_\(part)")
            }
        }
        XCTAssertEqual(try f.readInt32s("train_labels").values, fresh.train.labels)
        XCTAssertEqual(try f.stringAttribute("task"), "mqar")
        XCTAssertEqual(try f.stringAttribute("kv-pairs"), "2")
        XCTAssertEqual(try f.stringAttribute("vocab"), "64")
        try f.close()
        let cached = try TaskDataset.load(task, trainSize: 50, evalSize: 20, seed: 3, data: DataFolder(dir))
        XCTAssertEqual(cached.train, fresh.train)
        XCTAssertEqual(cached.heldOut, fresh.heldOut)
        try Data("broken".utf8).write(to: URL(fileURLWithPath: path))
        let regenerated = try TaskDataset.load(task, trainSize: 50, evalSize: 20, seed: 3, data: DataFolder(dir))
        XCTAssertEqual(regenerated.train, fresh.train)
    }

    /// Every task: the held-out set shares no example with the training set, and a seed gives
    /// the same sets while another seed gives others.
    func testEveryTaskIsSeededAndKeepsHeldOutApart() throws {
        let tasks: [any SyntheticTask] = [
            try PositionRetrievalTask(length: 5, placement: .prefix), try MQARTask(length: 16, vocab: 32, kvPairs: 2),
            try NgramRetrievalTask(length: 12, vocab: 4, ngram: 4, queryNgram: 2), try SelectiveCopyingTask(length: 12, vocab: 5, copyTokens: 3),
            try InductionHeadsTask(length: 6, vocab: 4),
        ]
        for task in tasks {
            let a = try TaskDataset.generate(task, trainSize: 200, evalSize: 50, seed: 7)
            XCTAssertEqual(a.train, try TaskDataset.generate(task, trainSize: 200, evalSize: 50, seed: 7).train, task.identifier)
            XCTAssertNotEqual(a.train, try TaskDataset.generate(task, trainSize: 200, evalSize: 50, seed: 8).train, task.identifier)
            XCTAssertTrue(a.train.keys.isDisjoint(with: a.heldOut.keys), task.identifier)
            XCTAssertEqual(a.train.count, 200)
        }
    }

    func testHeldOutSetsAtOtherLengthsAreCachedByLength() throws {
        let task = try MQARTask(length: 16, vocab: 128, kvPairs: 2)
        let longer = try task.atLength(32)
        let e = try TaskDataset.heldOut(longer, evalSize: 10, seed: 1, data: DataFolder(dir))
        XCTAssertEqual(e.sequenceLength, 32)
        XCTAssertEqual(try TaskDataset.heldOut(longer, evalSize: 10, seed: 1, data: DataFolder(dir)), e)
        XCTAssertNotEqual(try TaskDataset.heldOut(try task.atLength(48), evalSize: 10, seed: 1, data: DataFolder(dir)).inputs, e.inputs)
    }
}
