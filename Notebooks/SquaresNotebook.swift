import NotebookRunner

let squares = Notebook("squares", summary: "The first n squares", parameters: [
    .integers("n", default: "5", help: "how many", range: 1...1000),
], cells: [
    Cell("compute") { ctx in
        let n = ctx.integers("n")[0]
        ctx.store("squares", .table([["k", "k²"]] + (1...n).map { ["\($0)", "\($0 * $0)"] }))
        ctx.log("computed \(n) squares")
    },
])
