import Foundation
import SystemIO

extension ChildProcess {
    /// The `scanlab` executable built beside the test bundle, if any.
    public static var scanlab: String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("scanlab").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
