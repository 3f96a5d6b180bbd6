import Foundation

/// Creating folders with the system's own reason on failure ("Not a directory", "Read-only
/// file system"): Foundation's createDirectory often reports only "NSCocoaErrorDomain error 512".
public enum Folders {
    /// Creates `path` and any missing parents (like mkdir -p); an existing folder is fine.
    public static func create(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SystemIOError("\(path): cannot create the folder: a file of that name exists") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try create(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw SystemIOError("\(path): cannot create the folder: \(String(cString: strerror(errno)))")
        }
    }
}
