import Foundation
import SystemIO

/// One figure on disk: the PNG and SVG, and the gnuplot script and data that draw them.
public struct Figure: Equatable {
    public let name: String
    public let folder: String
    /// Whether gnuplot ran and produced both images.
    public let rendered: Bool
    /// Why not, when it did not (with how to fix it).
    public let problem: String?

    public var png: String { folder + "/" + name + ".png" }
    public var svg: String { folder + "/" + name + ".svg" }
    public var script: String { folder + "/" + name + ".gp" }
    public var data: String { folder + "/" + name + ".dat" }
}

/// Drives the gnuplot program the way gnuplot-iostream does: ScanLab writes a script and its
/// data beside each other and runs gnuplot on them, so every figure can be redrawn by hand
/// (`gnuplot Figures/<study>/<name>.gp`, from any folder) or restyled by editing the script.
public struct Gnuplot {
    /// The gnuplot executable (found on PATH unless given).
    public var executable: String?
    public var width = 1000, height = 600

    public init(executable: String? = nil) { self.executable = executable ?? ChildProcess.findExecutable("gnuplot") }

    /// Writes <name>.dat and <name>.gp into `folder` and renders <name>.png and <name>.svg.
    /// `body` draws the figure (it runs once per terminal) and reads data as `datafile`;
    /// data blocks are separated by two blank lines and selected with `index N`.
    public func draw(name: String, in folder: String, title: String, data: String, body: String,
                     width: Int? = nil, height: Int? = nil) throws -> Figure {
        try Folders.create(folder)
        let (w, h) = (width ?? self.width, height ?? self.height)
        let script = """
        # \(title)
        # Drawn by ScanLab. Redraw with: gnuplot \(name).gp  (from any folder; paths are relative to this file)
        cd system("dirname '".ARG0."'")
        datafile = '\(name).dat'
        set terminal pngcairo size \(w),\(h) enhanced font 'Sans,12' linewidth 1.5
        set output '\(name).png'
        \(body)
        unset multiplot
        set terminal svg size \(w),\(h) enhanced font 'Sans,12' background '#ffffff'
        set output '\(name).svg'
        \(body)
        unset multiplot
        set output

        """
        try AtomicFile.write(folder + "/" + name + ".dat", text: data)
        try AtomicFile.write(folder + "/" + name + ".gp", text: script)
        guard let executable else {
            return Figure(name: name, folder: folder, rendered: false,
                          problem: "gnuplot is not installed: install it (apt-get install gnuplot-nox), then run gnuplot \(folder)/\(name).gp")
        }
        let r: ChildProcess.Outcome
        do { r = try ChildProcess.run(executable, [folder + "/" + name + ".gp"]) } catch {
            return Figure(name: name, folder: folder, rendered: false, problem: "\(error); the script is \(folder)/\(name).gp")
        }
        let message = r.errors
        let ok = r.succeeded && FileManager.default.fileExists(atPath: folder + "/" + name + ".png")
            && FileManager.default.fileExists(atPath: folder + "/" + name + ".svg")
        return Figure(name: name, folder: folder, rendered: ok,
                      problem: ok ? nil : "gnuplot failed on \(folder)/\(name).gp: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// Quotes a string for a gnuplot single-quoted literal.
func gnuplotQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
