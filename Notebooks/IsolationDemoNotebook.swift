import Foundation
import NotebookRunner

/// Shows the runner's isolation: the middle cell stops its process with a fatal error unless
/// told otherwise (or, with crash=hang, waits for Ctrl-C); the runner reports it by name and
/// the first cell's stored value survives.
let isolationDemo = Notebook("isolation-demo", summary: "A cell that crashes, and state that survives it", parameters: [
    .choice("crash", default: "yes", help: "whether the middle cell crashes (hang: waits a minute, for trying Ctrl-C)",
            options: ["yes", "no", "hang"]),
], cells: [
    Cell("prepare") { ctx in ctx.store("answer", .number(42)) },
    Cell("crash") { ctx in
        switch ctx.parameter("crash") {
        case "yes": fatalError("isolation-demo: this cell crashes on purpose")
        case "hang": Thread.sleep(forTimeInterval: 60)
        default: break
        }
        ctx.store("survived", .text("the crash cell ran without crashing"))
    },
    Cell("after") { ctx in
        guard case .number(let v) = try ctx.value("answer") else { throw NotebookError("answer is not a number") }
        ctx.store("doubled", .number(2 * v))
    },
])
