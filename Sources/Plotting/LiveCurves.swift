import Foundation

/// Follows what a running cell prints and redraws the live plot after every evaluation a
/// training run reports ("RUN  step S  loss X  held-out accuracy A", TaskRun's line), one
/// curve per run. The cell runs in a worker process; its output is all the REPL sees of it.
public final class LiveCurves {
    public let plot: LivePlot
    private var series: [String: LivePlot.Series] = [:]
    private var order: [String] = []
    private var partial = ""

    static let evaluation = try! NSRegularExpression(
        pattern: #"^(\S+)  step (\d+)  loss ([^ ]+)  held-out accuracy ([0-9.]+)$"#)

    public init(plot: LivePlot) { self.plot = plot }

    /// "pythia L8 suffix s0" for the run folder pythia-L8-suffix-lr0.001-s0-e0-05630cd9: short
    /// enough for the key of a terminal-sized panel.
    static func shortLabel(_ run: String) -> String {
        let parts = run.split(separator: "-").map(String.init)
        guard let l = parts.firstIndex(where: { $0.hasPrefix("L") && Int($0.dropFirst()) != nil }), l > 0, parts.count > l + 3 else { return run }
        let seed = parts.first { $0.hasPrefix("s") && Int($0.dropFirst()) != nil } ?? ""
        return ([parts[..<l].joined(separator: "-"), parts[l], parts[l + 1]] + (seed.isEmpty ? [] : [seed])).joined(separator: " ")
    }

    /// Forgets the curves (a new cell starts).
    public func reset() { series = [:]; order = []; partial = "" }

    /// Takes a chunk of output; redraws when it completed an evaluation line.
    public func feed(_ text: String) {
        partial += text
        var lines = partial.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        partial = lines.removeLast()
        var changed = false
        for line in lines {
            let ns = line as NSString
            guard let m = Self.evaluation.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)),
                  let step = Double(ns.substring(with: m.range(at: 2))), let loss = Double(ns.substring(with: m.range(at: 3))),
                  let accuracy = Double(ns.substring(with: m.range(at: 4))) else { continue }
            let run = ns.substring(with: m.range(at: 1))
            if series[run] == nil { series[run] = LivePlot.Series(label: Self.shortLabel(run)); order.append(run) }
            series[run]!.steps.append(step); series[run]!.losses.append(loss); series[run]!.accuracies.append(accuracy)
            changed = true
        }
        guard changed else { return }
        let title = order.count == 1 ? order[0] : "\(order.count) runs"
        plot.draw(order.map { series[$0]! }, title: "live: \(title)")
    }
}
