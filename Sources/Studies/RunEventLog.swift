import Foundation
import SystemIO

/// A JSON-lines file of RunEvents, appended one whole line at a time and flushed to disk after
/// each (a reader sees every event written before a crash). A crash can still leave a torn last
/// line; reading tolerates and reports it, and appending first cuts it off (reported too),
/// so the file stays one event per line.
public final class RunEventLog {
    public let path: String
    private let handle: FileHandle
    /// What opening found and repaired (a torn last line cut off), for the run's log.
    public private(set) var repair: String?

    public init(_ path: String) throws {
        self.path = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: nil) else { throw SystemIOError("\(path): cannot create the event log") }
        }
        guard let h = FileHandle(forUpdatingAtPath: path) else { throw SystemIOError("\(path): cannot open the event log for writing") }
        handle = h
        let contents = try h.readToEnd() ?? Data()
        try h.seekToEnd()
        if let last = contents.last, last != UInt8(ascii: "\n") {
            let keep = (contents.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            if RunEvent.decode(line: String(decoding: contents[keep...], as: UTF8.self)) != nil {
                try h.write(contentsOf: Data("\n".utf8))   // a whole event that only lacks its newline
            } else {
                try h.truncate(atOffset: UInt64(keep))
                repair = "\(path): cut off a torn last line (\(contents.count - keep) bytes, from a write that did not finish)"
            }
        }
    }

    deinit { try? handle.close() }

    public func append(_ event: RunEvent) throws {
        do {
            try handle.write(contentsOf: Data((event.jsonLine + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw SystemIOError("\(path): cannot append an event: \(error)")
        }
    }

    /// The events of a file, and a description of its torn last line if it has one. A line
    /// that is not an event anywhere but at the end is an error naming the file and line.
    public static func read(_ path: String) throws -> (events: [RunEvent], torn: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { throw SystemIOError("\(path): cannot read the event log") }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let complete = text.hasSuffix("\n") || text.isEmpty
        let tail = lines.removeLast()
        var events: [RunEvent] = []
        for (i, line) in lines.enumerated() {
            guard let e = RunEvent.decode(line: line) else {
                throw SystemIOError("\(path):\(i + 1): not a run event: \(line.prefix(120))")
            }
            events.append(e)
        }
        if complete { return (events, nil) }
        if let e = RunEvent.decode(line: tail) { return (events + [e], "\(path): the last line has no newline (its event is whole)") }
        return (events, "\(path):\(lines.count + 1): a torn last line (\(tail.utf8.count) bytes, a write that did not finish) was left out")
    }
}
