import Foundation
import Tasks
import SystemIO
import TensorCore

/// Where and with what a run was trained: one entry per process that trained it (a resumed
/// run may continue on another machine), kept in the run folder's provenance.json.
public struct RunProvenance: Codable, Equatable, Sendable {
    public struct Session: Codable, Equatable, Sendable {
        public var started: String
        public var host: String
        /// The step the session started from (0 for a fresh run).
        public var fromStep: Int
        public var machine: MachineInfo
        /// ScanLab's git commit (with "-dirty" for uncommitted changes), or "unknown".
        public var scanlab: String
    }

    public var sessions: [Session] = []

    /// The machine types the sessions ran on, in order of first appearance.
    public var machineTypes: [String] {
        var seen: [String] = []
        for s in sessions where !seen.contains(s.machine.machineType) { seen.append(s.machine.machineType) }
        return seen
    }

    /// The record at `path`; nil when there is none or it cannot be read (status lines).
    public static func read(_ path: String) -> RunProvenance? {
        try? JSONRecord.read(RunProvenance.self, from: path)
    }

    /// Appends this process's session to the file at `path` (creating it). A file that does
    /// not decode is never overwritten: it is renamed aside (provenance.json.unreadable-N) and
    /// the returned warning says where, so the earlier sessions stay for a person to recover.
    @discardableResult
    public static func record(at path: String, fromStep: Int) throws -> String? {
        var p = RunProvenance(), warning: String?
        do { p = try JSONRecord.read(RunProvenance.self, from: path) ?? RunProvenance() } catch {
            var aside = path + ".unreadable", n = 1
            while FileManager.default.fileExists(atPath: aside) { aside = path + ".unreadable-\(n)"; n += 1 }
            guard rename(path, aside) == 0 else {
                throw SystemIOError("\(path) cannot be read (\(error)) nor moved aside: \(String(cString: strerror(errno)))")
            }
            warning = "warning: \(error); kept it as \(aside) and started a new provenance.json (the sessions recorded there are not in it)"
        }
        p.sessions.append(Session(started: ISO8601DateFormatter().string(from: Date()), host: ProcessInfo.processInfo.hostName,
                                  fromStep: fromStep, machine: .current, scanlab: ScanLabCommit.current))
        try JSONRecord.write(p, to: path)
        return warning
    }
}

/// ScanLab's commit, read once from the git checkout the running executable was built in.
public enum ScanLabCommit {
    public static let current: String = {
        var dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) {
            dir = dir.deletingLastPathComponent()
        }
        guard dir.path != "/", let head = git(["rev-parse", "--short=12", "HEAD"], in: dir.path) else { return "unknown" }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"], in: dir.path).map { !$0.isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }()

    /// git's trimmed output, or nil when it fails.
    static func git(_ arguments: [String], in directory: String) -> String? {
        guard let r = try? ChildProcess.run("git", ["-C", directory] + arguments), r.succeeded else { return nil }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
