import NotebookRunner
import Studies
import Tasks

extension CellContext {
    /// Trains a study's runs (finished ones are kept), stores and logs its summary table.
    func train(_ spec: StudySpec) throws {
        let rows = try Study(spec, dataDirectory: dataDirectory).run().map(\.summaryRow)
        store("summary", .text(Study.summaryTable(rows)))
        log(Study.summaryTable(rows))
    }
}
