import Dispatch
import Foundation
import SystemIO

/// Times `body` repeatedly for about `seconds` (after one warm-up call) and returns the
/// median seconds per call: the median resists the other core's noise better than the mean.
/// A call slower than the whole budget is timed once more and no further.
public func medianSeconds(seconds: Double = 0.3, minRuns: Int = 5, _ body: () -> Void) -> Double {
    let w0 = DispatchTime.now().uptimeNanoseconds
    body()
    let warmup = Double(DispatchTime.now().uptimeNanoseconds - w0) * 1e-9
    let minRuns = warmup > seconds ? 1 : minRuns
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < minRuns || Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < seconds {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        if samples.count >= 10_000 { break }
    }
    return median(samples)
}

/// The middle value (the upper of the two middle ones for an even count).
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of no values")
    return values.sorted()[values.count / 2]
}

/// Writes benchmark rows as a JSON array (keys sorted, so files diff cleanly).
public func writeJSON<T: Encodable>(_ rows: [T], to path: String) throws {
    try JSONRecord.write(rows, to: path)   // a SystemIOError names the path and the reason
}

/// The line under a table that names the machine its figures came from (one line per distinct
/// machine, should rows of several be printed together).
public func machineFooter(_ machines: [String]) -> String {
    var seen: [String] = []
    for m in machines where !seen.contains(m) { seen.append(m) }
    return seen.map { "\nmachine: \($0)" }.joined()
}

/// Pads columns for a plain-text table.
public func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
        .joined(separator: "\n")
}
