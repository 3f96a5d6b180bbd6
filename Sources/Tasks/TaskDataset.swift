import DataLayout
import Foundation
import HDF5
import TensorCore

/// A task's training and held-out sets, generated from seeds and cached as HDF5 under
/// <data>/datasets/: int32 `train_inputs`, `train_labels`, `train_slots`, `eval_inputs`,
/// `eval_labels`, `eval_slots`, each [count, T] (labels −100 where no loss is taken, slots −1
/// there); root attributes name the task, its parameters and the seed. Held-out examples never
/// occur in the training set. Held-out sets at other lengths (length generalisation) are cached
/// the same way with the eval datasets alone.
public struct TaskDataset {
    public let train: TaskExamples
    public let heldOut: TaskExamples

    public static func fileName(_ task: any SyntheticTask, trainSize: Int, evalSize: Int, seed: UInt64) -> String {
        "\(task.identifier)-train\(trainSize)-eval\(evalSize)-seed\(seed).h5"
    }

    /// The file of a held-out set alone (another length's).
    public static func heldOutFileName(_ task: any SyntheticTask, evalSize: Int, seed: UInt64) -> String {
        "\(task.identifier)-eval\(evalSize)-seed\(seed).h5"
    }

    /// Loads the cached sets, or generates and caches them (a cache that cannot be read is regenerated).
    public static func load(_ task: any SyntheticTask, trainSize: Int, evalSize: Int, seed: UInt64, data: DataFolder) throws -> TaskDataset {
        let path = data.dataset(fileName(task, trainSize: trainSize, evalSize: evalSize, seed: seed))
        if FileManager.default.fileExists(atPath: path) {
            if let f = try? HDF5File(path, mode: .read), let train = try? read(f, "train", task, count: trainSize),
               let heldOut = try? read(f, "eval", task, count: evalSize) {
                return TaskDataset(train: train, heldOut: heldOut)
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        let sets = try generate(task, trainSize: trainSize, evalSize: evalSize, seed: seed)
        try HDF5File.writeAtomically(path) { f in
            try describe(task, seed: seed, in: f)
            try write(sets.train, "train", to: f)
            try write(sets.heldOut, "eval", to: f)
        }
        return sets
    }

    /// Deterministic in (task, sizes, seed): training from one stream, held-out from another.
    public static func generate(_ task: any SyntheticTask, trainSize: Int, evalSize: Int, seed: UInt64) throws -> TaskDataset {
        let train = try task.generate(count: trainSize, seed: seed &* 2 &+ 0x51, excluding: [])
        let heldOut = try task.generate(count: evalSize, seed: seed &* 2 &+ 0xE7A1, excluding: train.keys)
        return TaskDataset(train: train, heldOut: heldOut)
    }

    /// A held-out set of the task at another length (its own seed stream per length), cached.
    public static func heldOut(_ task: any SyntheticTask, evalSize: Int, seed: UInt64, data: DataFolder) throws -> TaskExamples {
        let path = data.dataset(heldOutFileName(task, evalSize: evalSize, seed: seed))
        if FileManager.default.fileExists(atPath: path) {
            if let f = try? HDF5File(path, mode: .read), let cached = try? read(f, "eval", task, count: evalSize) { return cached }
            try? FileManager.default.removeItem(atPath: path)
        }
        let examples = try task.generate(count: evalSize, seed: (seed &* 2 &+ 0x1E46) ^ (UInt64(task.sequenceLength) &* 0x9E37_79B9_7F4A_7C15), excluding: [])
        try HDF5File.writeAtomically(path) { f in
            try describe(task, seed: seed, in: f)
            try write(examples, "eval", to: f)
        }
        return examples
    }

    static func describe(_ task: any SyntheticTask, seed: UInt64, in f: HDF5File) throws {
        try f.setAttribute("task", task.kind.rawValue)
        for (name, value) in task.parameters { try f.setAttribute(name, value) }
        try f.setAttribute("base_vocabulary", task.baseVocabulary)
        try f.setAttribute("vocab_size", task.vocabularySize)
        try f.setAttribute("seed", Int(seed))
    }

    static func write(_ e: TaskExamples, _ prefix: String, to f: HDF5File) throws {
        let shape = [e.count, e.sequenceLength]
        try f.write(prefix + "_inputs", int32s: e.inputs, shape: shape)
        try f.write(prefix + "_labels", int32s: e.labels, shape: shape)
        try f.write(prefix + "_slots", int32s: e.slots, shape: shape)
    }

    static func read(_ f: HDF5File, _ prefix: String, _ task: any SyntheticTask, count: Int) throws -> TaskExamples {
        let path = f.path
        guard try f.stringAttribute("task") == task.kind.rawValue else { throw TaskError("\(path): another task") }
        let shape = [count, task.sequenceLength]
        let i = try f.readInt32s(prefix + "_inputs"), l = try f.readInt32s(prefix + "_labels"), s = try f.readInt32s(prefix + "_slots")
        guard i.shape == shape, l.shape == shape, s.shape == shape else { throw TaskError("\(path): unexpected shapes") }
        return try TaskExamples(sequenceLength: task.sequenceLength, inputs: i.values, labels: l.values, slots: s.values)
    }
}
