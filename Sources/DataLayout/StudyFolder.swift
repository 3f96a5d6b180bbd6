import Foundation

/// One study's folder, <data>/studies/<name>: the definition its name is bound to
/// (study.json), the table of its runs (summary.csv) and the Slurm backend's files (slurm/). Its runs live in the data folder's runs/.
public struct StudyFolder: OwnedFolder {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var spec: String { child("study.json") }
    public var summary: String { child("summary.csv") }
    /// The Slurm backend's array script and task logs.
    public var slurm: String { child("slurm") }
    public var slurmScript: String { slurm + "/array.sbatch" }
    public var slurmLogs: String { slurm + "/logs" }
    /// The id of the job array last submitted.
    public var slurmJobID: String { slurm + "/job-id" }

    /// The data folder that holds this study (and its runs).
    public var data: DataFolder { DataFolder(URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path) }

    /// Whether the folder holds a study (its study.json).
    public var exists: Bool { FileManager.default.fileExists(atPath: spec) }
}
