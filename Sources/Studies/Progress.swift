import Foundation
import Tasks
import SystemIO

/// Reports training progress: a live line redrawn in place on a terminal, plain log lines
/// otherwise (CI, pipes, files).
public final class ProgressReporter {
    public let interactive: Bool
    private var lastDraw = Date.distantPast
    private let output: (String) -> Void

    public init(interactive: Bool = isatty(STDOUT_FILENO) == 1, output: @escaping (String) -> Void = { Console.output($0) }) {
        self.interactive = interactive
        self.output = output
    }

    /// A status update; on a terminal redrawn at most 10 times a second.
    public func update(_ name: String, step: Int, steps: Int, loss: Double, accuracy: Double?, stepsPerSecond: Double) {
        guard interactive, Date().timeIntervalSince(lastDraw) > 0.1 || step == steps else { return }
        lastDraw = Date()
        let eta = stepsPerSecond > 0 ? Double(steps - step) / stepsPerSecond : 0
        let acc = accuracy.map { String(format: "%.3f", $0) } ?? "-"
        output(String(format: "\r\u{1B}[K%@  step %d/%d  loss %.4f  acc %@  %.1f steps/s  ETA %@",
                      name, step, steps, loss, acc, stepsPerSecond, formatDuration(eta)))
    }

    /// A line that stays (evaluations, run start and end).
    public func log(_ line: String) {
        output((interactive ? "\r\u{1B}[K" : "") + line + "\n")
    }
}

public func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
