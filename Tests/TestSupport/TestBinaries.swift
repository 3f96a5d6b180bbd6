import Foundation
import SystemIO

extension ChildProcess {
    /// The `scanlab` executable built beside the test bundle, if any.
    public static var scanlab: String? { builtBesideTests("scanlab") }

    /// An executable product built beside the test bundle, if any.
    public static func builtBesideTests(_ name: String) -> String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
