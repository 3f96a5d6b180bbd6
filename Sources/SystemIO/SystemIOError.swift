import Foundation

/// A file-system or process problem, naming the path or program and the system's reason.
public struct SystemIOError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// "PATH: WHAT failed: REASON" with the reason from errno.
    static func errno(_ path: String, _ what: String, _ code: Int32 = Foundation.errno) -> SystemIOError {
        SystemIOError("\(path): \(what) failed: \(String(cString: strerror(code)))")
    }

    /// A Foundation file error's reason as the system says it ("Permission denied"), without
    /// Foundation's domain and code.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
