import Foundation
import NotebookRunner
import Plotting

extension CellContext {
    /// Stores each figure under its name (a `.figure`, which reports embed) and logs where it
    /// is; a figure gnuplot could not draw is stored as text saying why. With `folder`, the name
    /// is the figure's path under it with a space for the slash ("mqar-… learning-curves"; a
    /// slash would nest groups in the saved state), so that figures of the same name in a
    /// study's task folders stay apart.
    func store(_ figures: [Figure], under folder: String? = nil) {
        for f in figures {
            var name = f.name
            if let folder, f.png.hasPrefix(folder + "/") {
                name = (String(f.png.dropFirst(folder.count + 1)) as NSString).deletingPathExtension
                    .replacingOccurrences(of: "/", with: " ")
            }
            if f.rendered {
                store(name, .figure(f.png))
                log("figure: \(f.png)")
            } else {
                store(name, .text("not drawn: \(f.problem ?? "")"))
                log("figure not drawn: \(f.problem ?? "")")
            }
        }
    }
}
