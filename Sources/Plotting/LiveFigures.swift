import DataLayout
import Foundation
import Studies

/// `--plot-live`: each run's learning curves (<figures>/runs/<run>/learning-curves.png)
/// redrawn after every evaluation event, whether the run trains in this process or in a
/// child (`study --jobs`). A drawing problem is reported once and never stops training.
public final class LiveFigures {
    let figures: FiguresFolder
    let history: RunHistory
    private var warned = false
    private let lock = NSLock()

    public init(figures: FiguresFolder, configs: [RunConfig], folder: @escaping (String) -> RunFolder?) {
        self.figures = figures
        history = RunHistory(configs: configs, folder: folder)
    }

    /// Takes one event (from any thread).
    public func draw(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        let changed = history.take(event)
        guard changed, event.evaluation != nil, let record = history.record(event.run) else { return }
        let folder = figures.live(event.run)
        let f = try? StudyFigures.learningCurves([record], in: folder)
        if let f, f.rendered { return }
        if !warned {
            warned = true
            FileHandle.standardError.write(Data("warning: live figure not drawn: \(f?.problem ?? "cannot write to \(folder)")\n".utf8))
        }
    }
}
