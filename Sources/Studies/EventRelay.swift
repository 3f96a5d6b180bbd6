import Foundation
import SystemIO

/// Where this process's runs send their events besides their own folders: standard output
/// (`scanlab train --events -`, read by the local jobs backend) or the file $SCANLAB_EVENTS
/// names (set by the REPL for a cell's worker, whose live plot follows it). Runs trained in
/// child processes reach it through the parent's relay, so a child is started without it.
public enum EventRelay {
    public static let environmentVariable = "SCANLAB_EVENTS"

    public enum Destination {
        case standardOutput
        case log(RunEventLog)
    }

    nonisolated(unsafe) private static var destination: Destination?
    private static let lock = NSLock()

    /// Sends events to standard output from now on.
    public static func toStandardOutput() {
        lock.lock(); defer { lock.unlock() }
        destination = .standardOutput
    }

    /// Sends events to the file $SCANLAB_EVENTS names, if it names one.
    public static func fromEnvironment() throws {
        guard let path = ProcessInfo.processInfo.environment[environmentVariable], !path.isEmpty else { return }
        let log = try RunEventLog(path)
        lock.lock(); defer { lock.unlock() }
        destination = .log(log)
    }

    static func send(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        switch destination {
        case .standardOutput: Console.output(event.jsonLine + "\n")
        // A relay that cannot be written costs only a live view; the run's own log has the event.
        case .log(let log): try? log.append(event)
        case nil: break
        }
    }
}
