import CZlib
import Foundation

/// A CRC-32 of a whole file, kept in a 16-byte trailer after its contents:
/// crc32 (UInt32 LE) · contents length (UInt64 LE) · "SLck".
///
/// HDF5's own checksums cover datasets and most metadata, but not all of it: fuzzing found
/// bit flips that crash HDF5 itself (h5dump too) before any checksum is looked at. Checking the
/// trailer first means a damaged file is refused before HDF5 parses a byte of it. HDF5, h5py
/// and h5dump ignore bytes past the end of an HDF5 file's data, so the files stay ordinary.
public enum FileChecksum {
    static let magic: [UInt8] = Array("SLck".utf8)
    static let trailerSize = 16

    /// Appends the trailer to a complete file.
    public static func append(to path: String) throws {
        let (crc, length) = try crc32(path, upTo: nil)
        var trailer = [UInt8]()
        withUnsafeBytes(of: UInt32(crc).littleEndian) { trailer += $0 }
        withUnsafeBytes(of: UInt64(length).littleEndian) { trailer += $0 }
        trailer += magic
        guard let h = FileHandle(forWritingAtPath: path) else { throw SystemIOError.errno(path, "opening to add its checksum") }
        defer { try? h.close() }
        do {
            try h.seekToEnd()
            try h.write(contentsOf: Data(trailer))
        } catch { throw SystemIOError("\(path): adding its checksum failed: \(error.localizedDescription)") }
    }

    public enum Verdict: Equatable { case intact, damaged(String), noChecksum }

    /// Whether the file's contents match its trailer; files without one (written elsewhere or
    /// before ScanLab kept checksums) are `.noChecksum`.
    public static func verify(_ path: String) throws -> Verdict {
        guard let h = FileHandle(forReadingAtPath: path) else { throw SystemIOError.errno(path, "opening") }
        defer { try? h.close() }
        let size = Int(try h.seekToEnd())
        guard size >= trailerSize else { return .noChecksum }
        try h.seek(toOffset: UInt64(size - trailerSize))
        let t = [UInt8](try h.read(upToCount: trailerSize) ?? Data())
        guard t.count == trailerSize, Array(t[12..<16]) == magic else { return .noChecksum }
        let stored = t[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let length = t[4..<12].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length == UInt64(size - trailerSize) else {
            return .damaged("its checksum trailer says \(length) bytes of contents, the file holds \(size - trailerSize)")
        }
        let (crc, _) = try crc32(path, upTo: Int(length))
        return crc == stored ? .intact : .damaged("its CRC-32 is \(String(crc, radix: 16)), the trailer says \(String(stored, radix: 16))")
    }

    /// CRC-32 of the first `limit` bytes (all when nil) and how many were read.
    static func crc32(_ path: String, upTo limit: Int?) throws -> (UInt32, Int) {
        guard let h = FileHandle(forReadingAtPath: path) else { throw SystemIOError.errno(path, "opening") }
        defer { try? h.close() }
        var crc = CZlib.crc32(0, nil, 0), total = 0
        while limit.map({ total < $0 }) ?? true {
            let want = min(4 << 20, (limit ?? Int.max) - total)
            guard let chunk = try h.read(upToCount: want), !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { raw in
                crc = CZlib.crc32(crc, raw.bindMemory(to: UInt8.self).baseAddress, uInt(raw.count))
            }
            total += chunk.count
        }
        return (UInt32(truncatingIfNeeded: crc), total)
    }
}
