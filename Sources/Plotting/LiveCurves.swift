import DataLayout
import Foundation
import Studies

/// The REPL's live plot while a cell trains: held-out accuracy and loss of every run the cell
/// trains, redrawn in the terminal after each evaluation event. The events come from the file
/// the cell's worker relays them to ($SCANLAB_EVENTS), read as they grow.
public final class LiveCurves {
    public let plot: LivePlot
    private var history: RunHistory
    private let data: DataFolder
    private var follower: RunEventFollower?

    public init(plot: LivePlot, data: DataFolder) {
        self.plot = plot
        self.data = data
        history = RunHistory(folder: data.run)
    }

    /// Forgets the curves and follows a new events file (a new cell starts).
    public func reset(following path: String) {
        history = RunHistory(folder: data.run)
        follower = RunEventFollower(path)
    }

    /// Reads the events written since the last call; redraws when one changed a curve.
    public func refresh() {
        guard let follower else { return }
        var changed = false
        for event in follower.newEvents() where history.take(event) { changed = true }
        guard changed else { return }
        let runs = history.runs
        let title = runs.count == 1 ? runs[0].config.folderName : "\(runs.count) runs"
        plot.draw(runs, title: "live: \(title)")
    }
}
