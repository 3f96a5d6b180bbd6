import CReadline
import Foundation
import NotebookRunner
import SystemIO

/// `scanlab` with no arguments: the notebook REPL. On a terminal it reads lines with GNU
/// readline (editing, history kept in ~/.scanlab_history, tab completion of commands,
/// notebook, cell, parameter and value names); otherwise it runs commands piped on standard
/// input, one per line. Ctrl-C stops a running cell (its worker), never the REPL.
enum Repl {
    /// Completion words for the readline callbacks (C function pointers cannot capture).
    nonisolated(unsafe) static var session: ReplSession?
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var candidateIndex = 0

    static func start(data: DataOptions) {
        let runner = notebookRunner(data, figures: nil)
        let live = LivePlotting(dataDirectory: runner.dataDirectory, output: { Console.output($0) })
        let session = ReplSession(runner: runner, output: { text in
            Console.output(text)
        }, rebuild: rebuildWorker, extraCommands: [live.command], observer: live)
        Repl.session = session
        // Ctrl-C goes to the worker of a running cell (which stops, reported as interrupted);
        // the REPL itself carries on.
        signal(SIGINT) { _ in
            let pid = NotebookRunner.runningWorker
            if pid > 0 { kill(pid, SIGINT) }
        }
        if isatty(STDIN_FILENO) == 1 {
            interactive(session)
        } else {
            while !session.finished, let line = readLine() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                Console.output("scanlab> \(trimmed)\n")
                session.execute(trimmed)
            }
        }
    }

    static func interactive(_ session: ReplSession) {
        print("ScanLab notebooks. Type help for the commands, quit to leave.")
        let history = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.scanlab_history"
        using_history()
        read_history(history)
        rl_attempted_completion_function = { text, start, _ in
            let line = String(cString: rl_line_buffer)
            let prefix = text.map { String(cString: $0) } ?? ""
            let words = line.prefix(Int(start)).split(separator: " ")
            Repl.candidates = (words.isEmpty ? (Repl.session?.commandNames ?? ReplSession.commands.map { String($0.0.split(separator: " ")[0]) })
                               : Repl.session?.completions(for: String(words[0])) ?? []).filter { $0.hasPrefix(prefix) }
            Repl.candidateIndex = 0
            rl_attempted_completion_over = 1
            // "name=" completions continue with the value, not a space.
            rl_completion_append_character = Repl.candidates.count == 1 && Repl.candidates[0].hasSuffix("=") ? 0 : 32
            return rl_completion_matches(text) { _, _ in
                guard Repl.candidateIndex < Repl.candidates.count else { return nil }
                defer { Repl.candidateIndex += 1 }
                return strdup(Repl.candidates[Repl.candidateIndex])
            }
        }
        while !session.finished {
            guard let raw = readline("scanlab> ") else { print(""); break }   // Ctrl-D
            let line = String(cString: raw).trimmingCharacters(in: .whitespaces)
            free(raw)
            if line.isEmpty { continue }
            add_history(line)
            write_history(history)
            session.execute(line)
        }
    }

    /// `reload`: rebuilds scanlab-worker with the configuration this binary was built with.
    static func rebuildWorker() -> String? {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let configuration = exe.deletingLastPathComponent().lastPathComponent == "release" ? "release" : "debug"
        // .build/<triple>/<configuration>/scanlab → the package root is three levels up.
        let root = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) else {
            return "cannot find Package.swift above \(exe.path)"
        }
        let build = ChildProcess("swift", ["build", "-c", configuration, "--product", "scanlab-worker"], directory: root.path)
        let r: ChildProcess.Outcome
        do { r = try build.run() } catch { return "cannot run swift build: \(error)" }
        return r.succeeded ? nil
            : (r.output + r.errors).split(separator: "\n").filter { $0.contains("error") }.prefix(5).joined(separator: "\n")
    }
}
