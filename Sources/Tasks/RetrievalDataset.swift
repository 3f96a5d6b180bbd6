import Checkpoints
import Foundation
import TensorCore

/// The training and held-out sets for one length, generated from seeds and cached as HDF5
/// (datasets train_orders, train_targets, eval_orders, eval_targets; int32) under
/// <data>/datasets/. Held-out examples never occur in the training set.
public struct RetrievalDataset {
    public let length: Int
    public let train: RetrievalExamples
    public let heldOut: RetrievalExamples

    public static func fileName(length: Int, trainSize: Int, evalSize: Int, seed: UInt64) -> String {
        "retrieval-L\(length)-train\(trainSize)-eval\(evalSize)-seed\(seed).h5"
    }

    /// Loads the cached sets, or generates and caches them.
    public static func load(length: Int, trainSize: Int, evalSize: Int, seed: UInt64, dataDirectory: String) throws -> RetrievalDataset {
        let dir = dataDirectory + "/datasets"
        let path = dir + "/" + fileName(length: length, trainSize: trainSize, evalSize: evalSize, seed: seed)
        if FileManager.default.fileExists(atPath: path) {
            if let cached = try? read(path, length: length, trainSize: trainSize, evalSize: evalSize) { return cached }
            try? FileManager.default.removeItem(atPath: path)   // unreadable cache: regenerate
        }
        let data = try generate(length: length, trainSize: trainSize, evalSize: evalSize, seed: seed)
        try HDF5File.writeAtomically(path) { f in
            try f.setAttribute("length", length)
            try f.setAttribute("seed", Int(seed))
            try f.write("train_orders", int32s: data.train.orders, shape: [trainSize, length])
            try f.write("train_targets", int32s: data.train.targets, shape: [trainSize])
            try f.write("eval_orders", int32s: data.heldOut.orders, shape: [evalSize, length])
            try f.write("eval_targets", int32s: data.heldOut.targets, shape: [evalSize])
        }
        return data
    }

    /// Deterministic in (length, sizes, seed): training from one stream, held-out from another.
    public static func generate(length: Int, trainSize: Int, evalSize: Int, seed: UInt64) throws -> RetrievalDataset {
        let train = try RetrievalExamples.generate(length: length, count: trainSize, seed: seed &* 2 &+ 0x51)
        let heldOut = try RetrievalExamples.generate(length: length, count: evalSize, seed: seed &* 2 &+ 0xE7A1, excluding: train.keys)
        return RetrievalDataset(length: length, train: train, heldOut: heldOut)
    }

    static func read(_ path: String, length: Int, trainSize: Int, evalSize: Int) throws -> RetrievalDataset {
        let f = try HDF5File(path, mode: .read)
        func examples(_ prefix: String, _ count: Int) throws -> RetrievalExamples {
            let o = try f.readInt32s(prefix + "_orders"), t = try f.readInt32s(prefix + "_targets")
            guard o.shape == [count, length], t.shape == [count] else { throw TaskError("\(path): unexpected shapes") }
            return RetrievalExamples(length: length, orders: o.values, targets: t.values)
        }
        return RetrievalDataset(length: length, train: try examples("train", trainSize), heldOut: try examples("eval", evalSize))
    }
}

extension RetrievalExamples {
    /// Token batch, answers and target slots for the examples at `indices`.
    public func batch(_ indices: [Int], task: RetrievalTask) -> (tokens: [Int], answers: [Int], slots: [Int]) {
        var tokens: [Int] = []
        tokens.reserveCapacity(indices.count * task.sequenceLength)
        var answers: [Int] = [], slots: [Int] = []
        for i in indices {
            let (t, a) = task.tokens(order: order(i), target: Int(targets[i]))
            tokens += t; answers.append(a); slots.append(Int(targets[i]))
        }
        return (tokens, answers, slots)
    }
}
