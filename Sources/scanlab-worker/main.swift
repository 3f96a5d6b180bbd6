import Foundation
import NotebookRunner
import Notebooks
import Studies

// A cell's runs also send their events where the REPL's live plot follows them ($SCANLAB_EVENTS).
do { try EventRelay.fromEnvironment() } catch { FileHandle.standardError.write(Data("warning: no live events: \(error)\n".utf8)) }
// Runs one notebook command (one cell at a time) for `scanlab run`; see NotebookRunner.
exit(Worker.main(Array(CommandLine.arguments.dropFirst()), notebooks: allNotebooks))
