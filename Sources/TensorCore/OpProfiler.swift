import Dispatch

/// Where a step's time goes, per op name: forward time (from the previous recorded op to this
/// one, so ops must run one after another, as model code does) and backward time (each
/// vector-Jacobian product, plus "gradient accumulation" for summing gradients that meet).
/// Off by default; `scanlab bench train --profile` switches it on. Not thread-safe: profile
/// one training loop at a time.
public enum OpProfiler {
    public struct Entry: Sendable {
        public var forwardSeconds = 0.0, backwardSeconds = 0.0, calls = 0
    }

    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) public private(set) static var entries: [String: Entry] = [:]
    nonisolated(unsafe) private static var lastMark: UInt64 = 0
    /// Set while backward runs: ops called inside a vjp belong to that vjp's time.
    nonisolated(unsafe) static var inBackward = false

    /// Clears the table and starts timing from now.
    public static func start() {
        entries = [:]
        isEnabled = true
        lastMark = DispatchTime.now().uptimeNanoseconds
    }

    public static func stop() { isEnabled = false }

    /// Restarts the forward clock, so time spent outside ops (data, optimizer) is not charged to the next op.
    public static func mark() { if isEnabled { lastMark = DispatchTime.now().uptimeNanoseconds } }

    static func forwardEnded(_ op: String) {
        if inBackward { return }
        let now = DispatchTime.now().uptimeNanoseconds
        entries[op, default: Entry()].forwardSeconds += Double(now - lastMark) * 1e-9
        entries[op, default: Entry()].calls += 1
        lastMark = now
    }

    static func backward(_ op: String, since started: UInt64) {
        entries[op, default: Entry()].backwardSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
    }

    /// Times work outside the graph (the optimizer, clipping) under `name`, in the backward column.
    @discardableResult
    public static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { backward(name, since: started) }
        return try body()
    }
}
