import Models
import NotebookRunner
import Studies
import Tasks

/// The notebook parameters that choose which models a study trains: the tiny models from
/// scratch (both empty), published shapes (`sizes`), or pretrained checkpoints (`init-from`),
/// as `--size` and `--init-from` do on the command line.
let modelSourceParameters: [Parameter] = [
    Parameter("sizes", default: "", help: "published shapes, one per family (e.g. pythia-160m,mamba-130m); empty: the tiny models") { text in
        text.isEmpty ? nil : (try? PerFamily.sizes(text)) == nil ? "sizes: use names among \(PublishedSize.names)" : nil
    },
    Parameter("init-from", default: "", help: "pretrained checkpoints, pythia=FILE,mamba=FILE (converted with Scripts/convert_checkpoint.py); empty: from scratch") { text in
        text.isEmpty ? nil : (try? PerFamily.checkpoints(text)) == nil ? "init-from: use pythia=FILE,mamba=FILE" : nil
    },
]

/// Sets the study's published shapes and checkpoints from the notebook's parameters.
func applyModelSource(_ ctx: CellContext, to spec: inout StudySpec) throws {
    let (initFrom, sizes) = (ctx.parameter("init-from"), ctx.parameter("sizes"))
    try spec.setPerFamily(initFrom: initFrom.isEmpty ? nil : initFrom, sizes: sizes.isEmpty ? nil : sizes)
}
