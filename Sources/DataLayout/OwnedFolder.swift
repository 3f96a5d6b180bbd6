import Foundation

/// A folder ScanLab makes, known by its path; the type that owns it names what is inside.
public protocol OwnedFolder: Hashable, Sendable, CustomStringConvertible {
    var path: String { get }
}

extension OwnedFolder {
    public var description: String { path }
    /// The folder's own name (for runs in a data folder, the configuration's folder name).
    public var name: String { (path as NSString).lastPathComponent }
    /// A file or folder inside this one.
    func child(_ name: String) -> String { path + "/" + name }
}
