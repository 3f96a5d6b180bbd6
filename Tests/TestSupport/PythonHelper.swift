import Foundation
import SystemIO
import XCTest

/// A Python for tests that check ScanLab against transformers: $SCANLAB_PYTHON, else the
/// project's .venv-torch or .venv-ci, else python3 on PATH. Tests skip, saying which modules
/// are missing and how to install them, when it lacks what they need.
public enum PythonHelper {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    public static var executable: String {
        if let env = ProcessInfo.processInfo.environment["SCANLAB_PYTHON"], !env.isEmpty { return env }
        for venv in [".venv-torch", ".venv-ci"] where FileManager.default.isExecutableFile(atPath: "\(root)/\(venv)/bin/python") {
            return "\(root)/\(venv)/bin/python"
        }
        return "/usr/bin/env"
    }

    private static var prefix: [String] { executable == "/usr/bin/env" ? ["python3"] : [] }

    /// Skips the test unless the Python imports every module named.
    public static func require(_ modules: [String]) throws {
        let check = try run(["-c", "import " + modules.joined(separator: ", ")])
        if check.status != 0 {
            throw XCTSkip("needs a Python with \(modules.joined(separator: ", ")) (\(executable) \(prefix.joined()) lacks one; " +
                          "Scripts/setup-python-tests installs them into .venv-ci, or set SCANLAB_PYTHON)")
        }
    }

    /// Runs the Python with `arguments`.
    public static func run(_ arguments: [String]) throws -> ChildProcess.Outcome {
        try ChildProcess.run(executable, prefix + arguments)
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
