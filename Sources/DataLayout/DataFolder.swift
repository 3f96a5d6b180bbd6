import Foundation

/// The data folder (--data, $SCANLAB_DATA, else ./Data): everything ScanLab generates that is
/// not a figure. Its layout lives here and nowhere else: datasets/, runs/<run>/, studies/<study>/.
public struct DataFolder: OwnedFolder {
    public let path: String

    /// `path` made absolute and standard, so two spellings of one folder are one DataFolder.
    public init(_ path: String) { self.path = URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Generated example sets, one HDF5 file per task, sizes and seed (TaskDataset).
    public var datasets: String { child("datasets") }
    public var runs: String { child("runs") }
    public var studies: String { child("studies") }
    /// Notebook state files, one per notebook and parameter set.
    public var notebooks: String { child("notebooks") }

    public func dataset(_ fileName: String) -> String { datasets + "/" + fileName }
    public func run(_ name: String) -> RunFolder { RunFolder(runs + "/" + name) }
    public func study(_ name: String) -> StudyFolder { StudyFolder(studies + "/" + name) }
    public func notebookState(_ name: String) -> String { notebooks + "/" + name + ".h5" }

    /// Figures/ beside the data folder: where figures go unless --figures or $SCANLAB_FIGURES say otherwise.
    public var siblingFigures: FiguresFolder {
        FiguresFolder(URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("Figures").path)
    }
}
