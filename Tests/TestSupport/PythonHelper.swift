import Foundation
import SystemIO
import XCTest

/// A Python for tests that check ScanLab against transformers: $SCANLAB_PYTHON, else the first
/// of the project's .venv-torch, .venv-ci and python3 on PATH that has the modules a test
/// requires (a benchmark-only .venv-torch must not hide .venv-ci's h5py). Tests skip, saying
/// which modules are missing and how to install them, when none has them.
public enum PythonHelper {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Candidates in order of preference: an executable path, or "/usr/bin/env" for python3 on PATH.
    static var candidates: [String] {
        if let env = ProcessInfo.processInfo.environment["SCANLAB_PYTHON"], !env.isEmpty { return [env] }
        return [".venv-torch", ".venv-ci"].map { "\(root)/\($0)/bin/python" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) } + ["/usr/bin/env"]
    }

    /// The Python the last `require` chose (tests run one at a time), else the first candidate.
    nonisolated(unsafe) private static var chosen: String?

    public static var executable: String { chosen ?? candidates[0] }

    private static func prefix(_ executable: String) -> [String] { executable == "/usr/bin/env" ? ["python3"] : [] }

    /// Chooses the first candidate that imports every module named; skips the test when none does.
    public static func require(_ modules: [String]) throws {
        for candidate in candidates {
            let check = try ChildProcess.run(candidate, prefix(candidate) + ["-c", "import " + modules.joined(separator: ", ")])
            if check.status == 0 { chosen = candidate; return }
        }
        throw XCTSkip("needs a Python with \(modules.joined(separator: ", ")) (none of \(candidates) has them; " +
                      "Scripts/setup-python-tests installs them into .venv-ci, or set SCANLAB_PYTHON)")
    }

    /// Runs the Python with `arguments`.
    public static func run(_ arguments: [String]) throws -> ChildProcess.Outcome {
        try ChildProcess.run(executable, prefix(executable) + arguments)
    }

    /// Runs a script and fails the test (with its stderr) unless it exits 0; returns its stdout.
    @discardableResult
    public static func script(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try run(arguments)
        guard r.status == 0 else {
            XCTFail("\(arguments.first ?? "") exited \(r.status): \(r.errors)", file: file, line: line)
            throw XCTSkip("script failed")
        }
        return r.output
    }
}
