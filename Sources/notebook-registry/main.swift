import Foundation

// notebook-registry ROOT OUTPUT FILE…: writes OUTPUT, a Swift file listing every notebook the
// files declare (`allNotebooks`, by name), for the NotebookRegistry build-tool plugin. A
// notebook is a top-level `let NAME = Notebook("name", …)` (optionally `public`). Files under
// ROOT/Support/ hold shared helpers and may declare none; any other file must declare one.
// Problems are printed as `FILE:LINE: error: …` (the compiler's format, so they show beside the
// source) and end the build.

struct Declaration { let variable, name, file: String; let line: Int }

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: notebook-registry ROOT OUTPUT FILE…\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: args[1]).standardizedFileURL.path, output = args[2]
let pattern = try! NSRegularExpression(pattern: #"^(?:public\s+)?let\s+(\w+)\s*(?::\s*Notebook\s*)?=\s*Notebook\(\s*"([^"]+)""#,
                                       options: [.anchorsMatchLines])
var declarations: [Declaration] = [], problems: [String] = []
for file in args.dropFirst(3).sorted() {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { problems.append("\(file):1: error: cannot read the file"); continue }
    let ns = text as NSString
    let found = pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
        Declaration(variable: ns.substring(with: m.range(at: 1)), name: ns.substring(with: m.range(at: 2)), file: file,
                    line: ns.substring(to: m.range.location).filter { $0 == "\n" }.count + 1)
    }
    let support = URL(fileURLWithPath: file).standardizedFileURL.path.hasPrefix(root + "/Support/")
    if found.isEmpty && !support {
        problems.append("\(file):1: error: this file declares no notebook; a notebook file declares `let name = Notebook(\"name\", …)` at top level, and shared helpers go in \(root)/Support/")
    }
    declarations += found
}
for (name, group) in Dictionary(grouping: declarations, by: \.name) where group.count > 1 {
    let places = group.map { "\($0.file):\($0.line)" }
    for d in group {
        problems.append("\(d.file):\(d.line): error: notebook \"\(name)\" is declared \(group.count) times: \(places.joined(separator: ", "))")
    }
}
guard problems.isEmpty else {
    FileHandle.standardError.write(Data((problems.sorted().joined(separator: "\n") + "\n").utf8))
    exit(1)
}
let sorted = declarations.sorted { $0.name < $1.name }
let source = """
// Generated at build time by the NotebookRegistry plugin from the Swift files of Notebooks/; do not edit.
import NotebookRunner

/// Every notebook declared in Notebooks/, by name.
public let allNotebooks: [Notebook] = [\(sorted.map(\.variable).joined(separator: ", "))]

/// The file that declares each notebook, by notebook name.
public let notebookFiles: [String: String] = [\(sorted.isEmpty ? ":" : sorted.map { "\"\($0.name)\": \"\($0.file)\"" }.joined(separator: ", "))]

"""
// Written only when it changes, so an unchanged registry does not recompile the target.
if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
    do { try source.write(toFile: output, atomically: true, encoding: .utf8) } catch {
        FileHandle.standardError.write(Data("notebook-registry: cannot write \(output): \(error)\n".utf8))
        exit(1)
    }
}
