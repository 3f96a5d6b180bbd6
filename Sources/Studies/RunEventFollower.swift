import Foundation

/// Reads a growing events file from where it last stopped: the whole lines written since,
/// as events (a line still being written waits for the next call).
public final class RunEventFollower {
    public let path: String
    private var offset: UInt64 = 0
    private var partial = Data()

    public init(_ path: String) { self.path = path }

    public func newEvents() -> [RunEvent] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        partial.append(data)
        guard let lastNewline = partial.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = partial[partial.startIndex...lastNewline]
        partial = Data(partial[(lastNewline + 1)...])
        return String(decoding: complete, as: UTF8.self).split(separator: "\n").compactMap { RunEvent.decode(line: $0) }
    }
}
