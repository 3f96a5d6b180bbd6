import Foundation
import SwiftProtobuf
import SystemIO

/// One TensorBoard event file, `<folder>/events.out.tfevents.<seconds>.<host>.<pid>.scanlab`:
/// serialized `Event` protos in TFRecord framing (uint64 length, masked CRC-32C of the length,
/// the bytes, masked CRC-32C of the bytes; little-endian), starting with the file version. Each
/// record is flushed to disk as it is written, so a run stopped at any point leaves a file
/// TensorBoard reads up to its last whole record. A new writer starts a new file, as
/// TensorFlow's writers do; TensorBoard reads every file of a run folder in order.
public final class EventFileWriter {
    public let path: String
    private let handle: FileHandle

    public init(folder: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        try Folders.create(folder)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        var name = "events.out.tfevents.\(Int(wallTime)).\(host).\(getpid()).scanlab"
        var n = 1
        while FileManager.default.fileExists(atPath: folder + "/" + name) { name = "events.out.tfevents.\(Int(wallTime)).\(host).\(getpid()).scanlab\(n)"; n += 1 }
        path = folder + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw SystemIOError("\(path): cannot create the TensorBoard event file")
        }
        handle = h
        var version = Tensorboard_Event()
        version.wallTime = wallTime
        version.fileVersion = "brain.Event:2"
        try write(version)
    }

    deinit { try? handle.close() }

    /// Scalars at one step, one summary value each (tags group in TensorBoard by their prefix up to "/").
    public func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double) throws {
        var summary = Tensorboard_Summary()
        summary.value = values.map { tag, value in
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        }
        try write(summary, step: step, wallTime: wallTime)
    }

    /// Markdown text under `tag` (TensorBoard's text plugin: a string tensor).
    public func text(_ markdown: String, tag: String, step: Int, wallTime: Double) throws {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtString
        tensor.stringVal = [Data(markdown.utf8)]
        var metadata = Tensorboard_SummaryMetadata()
        metadata.pluginData.pluginName = "text"
        metadata.dataClass = .tensor
        var v = Tensorboard_Summary.Value()
        v.tag = tag
        v.metadata = metadata
        v.tensor = tensor
        var summary = Tensorboard_Summary()
        summary.value = [v]
        try write(summary, step: step, wallTime: wallTime)
    }

    private func write(_ summary: Tensorboard_Summary, step: Int, wallTime: Double) throws {
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = Int64(step)
        event.summary = summary
        try write(event)
    }

    private func write(_ event: Tensorboard_Event) throws {
        let payload: Data = try event.serializedBytes()
        try handle.write(contentsOf: Self.record(payload))
        try handle.synchronize()
    }

    /// TFRecord framing of one payload.
    static func record(_ payload: Data) -> Data {
        var length = UInt64(payload.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        var lengthCRC = CRC32C.masked(lengthBytes).littleEndian, dataCRC = CRC32C.masked(payload).littleEndian
        var out = lengthBytes
        withUnsafeBytes(of: &lengthCRC) { out.append(contentsOf: $0) }
        out.append(payload)
        withUnsafeBytes(of: &dataCRC) { out.append(contentsOf: $0) }
        return out
    }
}
