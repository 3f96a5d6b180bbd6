import Foundation

/// One training run's folder: what it was asked to train (config.json), the task's token ids
/// (tokens.json), the machines that trained it (provenance.json), its metrics (metrics.h5), its
/// event stream (events.jsonl), TensorBoard's view of it (tensorboard/) and its checkpoints.
public struct RunFolder: OwnedFolder {
    public let path: String

    public init(_ path: String) { self.path = path }


    public var config: String { child("config.json") }
    public var tokens: String { child("tokens.json") }
    public var provenance: String { child("provenance.json") }
    public var metrics: String { child("metrics.h5") }
    public var events: String { child("events.jsonl") }
    public var tensorboard: String { child("tensorboard") }
    public var checkpoints: String { child("checkpoints") }
    /// Checkpoints that could not be used, kept for a person to look at.
    public var unusableCheckpoints: String { checkpoints + "/unusable" }

    public func checkpoint(step: Int) -> String { checkpointFile(String(format: "step-%08d.h5", step)) }
    public func checkpointFile(_ name: String) -> String { checkpoints + "/" + name }
    public func unusableCheckpoint(_ name: String) -> String { unusableCheckpoints + "/" + name }

    /// The step of a file name in checkpoints/ (step-NNNNNNNN.h5), nil for any other name.
    public static func checkpointStep(_ fileName: String) -> Int? {
        guard fileName.hasPrefix("step-"), fileName.hasSuffix(".h5") else { return nil }
        return Int(fileName.dropFirst(5).dropLast(3))
    }

    /// Whether the folder holds a run (its config.json).
    public var exists: Bool { FileManager.default.fileExists(atPath: config) }
}
