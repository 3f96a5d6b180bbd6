import Foundation

/// Runs a program for a test and collects its exit status, stdout and stderr. Output goes
/// to files, so a child that writes much to either stream can never block on a full pipe.
public enum ChildProcess {
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let base = NSTemporaryDirectory() + "scanlab-child-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    /// The `scanlab` executable built beside the test bundle, if any.
    public static var scanlab: String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("scanlab").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
