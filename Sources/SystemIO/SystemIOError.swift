import Foundation

/// A file-system or process problem, naming the path or program and the system's reason.
public struct SystemIOError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// "PATH: WHAT failed: REASON" with the reason from errno.
    static func errno(_ path: String, _ what: String, _ code: Int32 = Foundation.errno) -> SystemIOError {
        SystemIOError("\(path): \(what) failed: \(String(cString: strerror(code)))")
    }
}
