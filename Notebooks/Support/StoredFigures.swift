import NotebookRunner
import Plotting

extension CellContext {
    /// Stores each figure under its name (a `.figure`, which reports embed) and logs where it
    /// is; a figure gnuplot could not draw is stored as text saying why.
    func store(_ figures: [Figure]) {
        for f in figures {
            if f.rendered {
                store(f.name, .figure(f.png))
                log("figure: \(f.png)")
            } else {
                store(f.name, .text("not drawn: \(f.problem ?? "")"))
                log("figure not drawn: \(f.problem ?? "")")
            }
        }
    }
}
