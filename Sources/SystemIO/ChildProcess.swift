import Dispatch
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A program to run and wait for. Its stdout and stderr are read at the same time (through
/// swift-subprocess), so a child that fills one pipe while ScanLab reads the other never
/// blocks; both are collected, and stdout can also be watched as it arrives.
public struct ChildProcess {
    /// The executable `name` resolves to: itself when it is a path, else the first match on
    /// $PATH; nil when there is none.
    public static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = String(dir) + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// An absolute path, or a name looked up in PATH.
    public var executable: String
    public var arguments: [String]
    /// Variables set on top of this process's environment.
    public var environment: [String: String] = [:]
    public var directory: String?
    /// In its own process group, so the terminal's Ctrl-C reaches it only when forwarded.
    public var ownProcessGroup = false

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) {
        self.executable = executable; self.arguments = arguments; self.environment = environment; self.directory = directory
    }

    public struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it (as a shell reports it).
        public let status: Int32
        /// The signal that ended the child, if one did.
        public let signal: Int32?
        public let output: String
        public let errors: String
        public var succeeded: Bool { status == 0 && signal == nil }
    }

    /// Runs `executable` with `arguments` and collects what it printed.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        try ChildProcess(executable, arguments, environment: environment).run()
    }

    /// Which stream a piece of output came from.
    public enum Stream: Sendable { case output, errors }

    /// Runs the child to its end. `onStart` gets its pid; `onText` gets each stream's text as it
    /// arrives, cut at line ends (a trailing partial line comes at the end). Throws when the
    /// program cannot be started, naming it.
    public func run(onStart: ((Int32) -> Void)? = nil, onText: ((Stream, String) -> Void)? = nil) throws -> Outcome {
        // The caller's thread waits here while the child runs on Swift's concurrency pool; the
        // callbacks run one at a time, so they need no locking of their own.
        let callbacks = Callbacks(onStart: onStart, onText: onText)
        let box = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        let job = self
        Task.detached {
            do { box.result = .success(try await job.runAsync(callbacks)) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        switch box.result! {
        case .success(let outcome): return outcome
        case .failure(let error as SystemIOError): throw error
        case .failure(let error): throw SystemIOError("cannot run \(executable): \(error)")
        }
    }

    private func runAsync(_ callbacks: Callbacks) async throws -> Outcome {
        var options = PlatformOptions()
        if ownProcessGroup { options.processGroupID = 0 }
        var updates: [Environment.Key: String?] = [:]
        for (k, v) in environment { updates[Environment.Key(stringLiteral: k)] = v }
        let target: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        if executable.contains("/"), !FileManager.default.isExecutableFile(atPath: executable) {
            throw SystemIOError("\(executable): no such executable")
        }
        let result = try await Subprocess.run(target, arguments: Arguments(arguments), environment: .inherit.updating(updates),
                                              workingDirectory: directory.map { FilePath($0) }, platformOptions: options,
                                              input: .none, output: .sequence, error: .sequence) { execution in
            callbacks.started(execution.processIdentifier.value)
            async let errors = Self.drain(execution.standardError, .errors, callbacks)
            let output = try await Self.drain(execution.standardOutput, .output, callbacks)
            return (output, try await errors)
        }
        let (output, errors) = result.closureResult
        switch result.terminationStatus {
        case .exited(let code): return Outcome(status: code, signal: nil, output: output, errors: errors)
        case .signaled(let signal): return Outcome(status: 128 + signal, signal: signal, output: output, errors: errors)
        }
    }

    /// Reads one stream to its end, passing complete lines on as they arrive.
    private static func drain(_ stream: SubprocessOutputSequence, _ which: Stream, _ callbacks: Callbacks) async throws -> String {
        // `all` holds every byte; `sent` counts those already passed on (up to a line end).
        var all: [UInt8] = [], sent = 0
        for try await buffer in stream {
            let start = all.count
            buffer.withUnsafeBytes { all.append(contentsOf: $0) }
            guard callbacks.wantsText else { continue }
            if let end = all[start...].lastIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                callbacks.text(which, String(decoding: all[sent...end], as: UTF8.self))
                sent = end + 1
            }
        }
        if callbacks.wantsText, sent < all.count { callbacks.text(which, String(decoding: all[sent...], as: UTF8.self)) }
        return String(decoding: all, as: UTF8.self)
    }
}

/// The caller's callbacks, called under one lock from the reading tasks.
private final class Callbacks: @unchecked Sendable {
    let onStart: ((Int32) -> Void)?, onText: ((ChildProcess.Stream, String) -> Void)?
    let lock = NSLock()
    init(onStart: ((Int32) -> Void)?, onText: ((ChildProcess.Stream, String) -> Void)?) { self.onStart = onStart; self.onText = onText }
    var wantsText: Bool { onText != nil }
    func started(_ pid: Int32) { lock.lock(); onStart?(pid); lock.unlock() }
    func text(_ s: ChildProcess.Stream, _ t: String) { lock.lock(); onText?(s, t); lock.unlock() }
}

private final class OutcomeBox: @unchecked Sendable {
    var result: Result<ChildProcess.Outcome, any Error>?
}
