import Foundation

/// The figures folder (--figures, $SCANLAB_FIGURES, else Figures/ beside the data folder):
/// a study's or plotted run's figures in <figures>/<name>/, a live-drawn run's in runs/<run>/;
/// each figure with its gnuplot script and data beside it.
public struct FiguresFolder: OwnedFolder {
    public let path: String

    public init(_ path: String) { self.path = path }

    /// The figures of a study, or of a run drawn by `scanlab plot`.
    public func named(_ name: String) -> String { child(name) }
    /// A run's learning curves redrawn while it trains (--plot-live).
    public func live(_ run: String) -> String { path + "/runs/" + run }
    /// A notebook's report (its .ipynb and figures) for one parameter set.
    public func notebookReport(_ name: String) -> String { path + "/notebooks/" + name }
}
