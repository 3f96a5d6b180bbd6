import Foundation
import TensorCore
import XCTest

/// Damaged copies of a real file, fed to a reader that must either fail with an error naming
/// the file or load exactly what was saved: never crash, hang, or accept other numbers.
public enum Fuzzing {
    public struct Tally: CustomStringConvertible {
        public var truncations = 0, truncationErrors = 0, flips = 0, flipErrors = 0, exactLoads = 0
        public var description: String {
            "\(truncations) truncations (\(truncationErrors) clear errors), \(flips) bit flips (\(flipErrors) clear errors, " +
            "\(exactLoads) exact loads: the damage hit unused bytes or the checksum trailer)"
        }
    }

    /// Writes each damaged copy of `original` to `path` and calls `load`, which returns a
    /// canonical description of what it read (compared with `expected`) or throws.
    public static func run(_ original: Data, at path: String, truncations: Int, flips: Int, seed: UInt64,
                           expected: String, load: (String) throws -> String,
                           file: StaticString = #filePath, line: UInt = #line) throws -> Tally {
        var tally = Tally()
        var g = RandomGenerator(seed: seed)
        func check(_ damaged: Data, _ what: String, truncated: Bool) throws {
            try damaged.write(to: URL(fileURLWithPath: path))
            if let trace = ProcessInfo.processInfo.environment["SCANLAB_FUZZ_TRACE"] { try? damaged.write(to: URL(fileURLWithPath: trace)) }
            do {
                let got = try load(path)
                if got == expected { tally.exactLoads += 1 } else {
                    let a = expected.split(separator: "\n"), b = got.split(separator: "\n")
                    let first = zip(a, b).first { $0 != $1 }.map { "expected \($0.0.prefix(300)) got \($0.1.prefix(300))" } ?? "lengths differ"
                    XCTFail("\(what): the damaged file loaded with other contents: \(first)", file: file, line: line)
                }
            } catch {
                if truncated { tally.truncationErrors += 1 } else { tally.flipErrors += 1 }
                if !"\(error)".contains(path) { XCTFail("\(what): the error does not name the file: \(error)", file: file, line: line) }
            }
        }
        for k in 0..<truncations {
            let length = original.count * k / truncations
            tally.truncations += 1
            try check(original.prefix(length), "truncated to \(length) of \(original.count) bytes", truncated: true)
        }
        for _ in 0..<flips {
            var damaged = original
            let at = Int(g.next() % UInt64(original.count))
            damaged[at] ^= UInt8(1 << (g.next() % 8))
            tally.flips += 1
            try check(damaged, "bit flipped at byte \(at)", truncated: false)
        }
        return tally
    }

    /// How many of `truncations` evenly spread truncations cut only into the last `tail` bytes
    /// (a checksum trailer: the contents before it are whole and may load).
    public static func truncationsWithin(tail: Int, of count: Int, truncations: Int) -> Int {
        (0..<truncations).filter { count * $0 / truncations >= count - tail }.count
    }

    /// Bit-exact text of floats, for comparing loads.
    public static func exact(_ values: [Float]) -> String { values.map { String($0.bitPattern, radix: 16) }.joined(separator: ",") }
}
