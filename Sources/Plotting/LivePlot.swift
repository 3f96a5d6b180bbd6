import CGnuplotLive
import Foundation
import Studies
import SystemIO
import Tasks

/// Held-out accuracy and training loss drawn in the terminal by one persistent gnuplot process
/// (gnuplot-iostream, through CGnuplotLive): gnuplot's `dumb` terminal sized to the window, or
/// `sixelgd` where the terminal shows sixel images. Each `draw` replaces the previous frame.
public final class LivePlot {
    public enum Terminal: Equatable {
        case dumb(columns: Int, rows: Int)
        case sixel(width: Int, height: Int)

        /// Sixel when SCANLAB_PLOT_TERMINAL=sixel or $TERM names a terminal that shows sixel
        /// images; else dumb, the window's width and up to 30 rows of it.
        public static func forThisTerminal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
            let term = environment["TERM"] ?? ""
            if environment["SCANLAB_PLOT_TERMINAL"] == "sixel" || ["sixel", "mlterm", "foot", "contour", "yaft"].contains(where: term.contains) {
                return .sixel(width: 960, height: 360)
            }
            let (columns, rows) = windowSize(environment: environment)
            return .dumb(columns: max(60, columns), rows: max(12, min(30, rows - 4)))
        }

        var command: String {
            switch self {
            case .dumb(let c, let r): return "set terminal dumb size \(c),\(r)\n"
            case .sixel(let w, let h): return "set terminal sixelgd size \(w),\(h) truecolor\n"
            }
        }
    }

    /// One curve: a run's evaluations.
    public struct Series: Equatable {
        public let label: String
        public var steps: [Double] = [], accuracies: [Double] = [], losses: [Double] = []
        public init(label: String) { self.label = label }
    }

    private let handle: OpaquePointer
    public let terminal: Terminal

    private init(handle: OpaquePointer, terminal: Terminal) { self.handle = handle; self.terminal = terminal }

    deinit { scanlab_live_plot_close(handle) }

    /// Starts gnuplot, or says why it cannot and how to install it.
    public static func start(terminal: Terminal = .forThisTerminal(), gnuplot: String = "gnuplot") -> Result<LivePlot, SystemIOError> {
        guard ChildProcess.findExecutable(gnuplot) != nil else {
            return .failure(SystemIOError("live plots need gnuplot, which is not installed: apt-get install gnuplot-nox (Scripts/setup installs it)"))
        }
        guard let handle = scanlab_live_plot_open(gnuplot) else { return .failure(SystemIOError("gnuplot (\(gnuplot)) did not start")) }
        let plot = LivePlot(handle: handle, terminal: terminal)
        _ = scanlab_live_plot_command(handle, terminal.command)
        return .success(plot)
    }

    /// Draws held-out accuracy and training loss against step, side by side, one line per series.
    public func draw(_ series: [Series], title: String) {
        let drawn = series.filter { !$0.steps.isEmpty }
        guard !drawn.isEmpty else { return }
        let plotCommand = "plot " + drawn.map { "'-' using 1:2 with lines title \(gnuplotQuoted($0.label))" }.joined(separator: ", ") + "\n"
        var setup = terminal.command
        setup += "set multiplot layout 1,2 title \(gnuplotQuoted(title))\n"
        setup += "set xlabel 'step'\nset key top left\nset title 'held-out accuracy'\nset yrange [0:1]\n"
        setup += plotCommand
        /// One panel's data: each series' (step, value) block.
        func send(_ values: KeyPath<Series, [Double]>) {
            for s in drawn { s.steps.withUnsafeBufferPointer { x in s[keyPath: values].withUnsafeBufferPointer { y in
                _ = scanlab_live_plot_series(handle, x.baseAddress, y.baseAddress, x.count)
            } } }
        }
        _ = scanlab_live_plot_command(handle, setup)
        send(\.accuracies)
        _ = scanlab_live_plot_command(handle, "set title 'training loss'\nset key top right\nset autoscale y\n" + plotCommand)
        send(\.losses)
        _ = scanlab_live_plot_command(handle, "unset multiplot\n")
        _ = scanlab_live_plot_flush(handle)
    }

    /// Draws the runs' recorded metrics (`plot RUN`, `plot STUDY`).
    public func draw(_ runs: [RunRecord], title: String) {
        draw(runs.map { r in
            var s = Series(label: r.config.shortLabel)
            s.steps = r.metrics.steps.map(Double.init); s.accuracies = r.metrics.accuracies; s.losses = r.metrics.losses
            return s
        }, title: title)
    }
}

/// The terminal window's columns and rows: the terminal's own (TIOCGWINSZ on standard output),
/// else $COLUMNS and $LINES, else 100 × 34.
func windowSize(environment: [String: String]) -> (Int, Int) {
    var w = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 { return (Int(w.ws_col), Int(w.ws_row)) }
    return (environment["COLUMNS"].flatMap(Int.init) ?? 100, environment["LINES"].flatMap(Int.init) ?? 34)
}
