import NotebookRunner

/// Every notebook the worker can run, in the order `scanlab notebooks` lists them.
public let allNotebooks: [Notebook] = [retrievalStudy, prefixVersusSuffix, positionAccuracy, hybrid, isolationDemo]
