import PackagePlugin

/// Generates the Notebooks target's registry (`allNotebooks`) from its Swift files at every
/// build, so a new notebook is one file: the `notebook-registry` tool reads the files, finds
/// each top-level `let NAME = Notebook("name", …)`, and fails the build naming the files when
/// two notebooks share a name or a file outside Notebooks/Support/ declares none.
@main
struct NotebookRegistry: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let inputs = target.sourceFiles(withSuffix: "swift").map(\.path)
        let output = context.pluginWorkDirectory.appending("NotebookRegistry.swift")
        return [.buildCommand(displayName: "Notebook registry for \(target.name)",
                              executable: try context.tool(named: "notebook-registry").path,
                              arguments: [target.directory.string, output.string] + inputs.map(\.string),
                              inputFiles: inputs, outputFiles: [output])]
    }
}
