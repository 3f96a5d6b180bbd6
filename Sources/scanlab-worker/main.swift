import Foundation
import NotebookRunner
import Notebooks

// Runs one notebook command (one cell at a time) for `scanlab run`; see NotebookRunner.
exit(Worker.main(Array(CommandLine.arguments.dropFirst()), notebooks: allNotebooks))
