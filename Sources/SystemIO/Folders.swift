import Foundation

/// Creating folders with the system's own reason on failure ("Not a directory", "Read-only
/// file system"): Foundation's createDirectory often reports only "NSCocoaErrorDomain error 512".
public enum Folders {
    /// Creates `path` and any missing parents (like mkdir -p); an existing folder is fine. The
    /// error names `path` and, when a parent is the problem, that parent.
    public static func create(_ path: String) throws {
        if let problem = make(path) {
            throw SystemIOError("\(path): cannot create the folder: " + (problem.at == path ? problem.why : "\(problem.at) \(problem.why)"))
        }
    }

    private static func make(_ path: String) -> (at: String, why: String)? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : (path, "is a file, not a folder")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path, let problem = make(parent) { return problem }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { return (path, String(cString: strerror(errno))) }
        return nil
    }
}
