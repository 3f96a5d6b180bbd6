import Tasks

extension StudySpec {
    /// Every task of the suite at small sizes, Pythia and Mamba, three seeds, within 15 minutes
    /// on 2 cores (README, "The task suite": the calibration and what it measured).
    public static var suiteQuick: StudySpec {
        var base = fromScratchBase(steps: 1_500, evalEvery: 100)
        base.hidden = 64
        base.layers = 2
        base.evalSize = 600
        base.trainSize = 20_000
        let tasks = [
            StudyTask(.positionRetrieval, lengths: [8]),
            StudyTask(.mqar, lengths: [32], options: TaskOptions(vocab: 128, kvPairs: 4), evalLengths: [64]),
            StudyTask(.ngramRetrieval, lengths: [16], options: TaskOptions(vocab: 8, ngram: 3, queryNgram: 2), evalLengths: [32]),
            StudyTask(.selectiveCopying, lengths: [24], options: TaskOptions(vocab: 8, copyTokens: 4), evalLengths: [48]),
            StudyTask(.inductionHeads, lengths: [32], options: TaskOptions(vocab: 16), evalLengths: [64, 128]),
        ]
        var spec = StudySpec(name: "suite-quick", models: [.pythia, .mamba], lengths: [], variants: [], lrs: [1e-3], seeds: [0, 1, 2], base: base)
        spec.tasks = tasks
        return spec
    }

    /// Zoology's Figure 2 on CPU: MQAR at (T, N) ∈ {(64, 4), (128, 8), (256, 16)}, V = 8192,
    /// model widths 32…128, Pythia, Mamba, Mamba-2 and a hybrid (Mamba, Mamba, attention), three
    /// seeds; the question is which width each architecture needs as N grows. The budget leaves
    /// room for Mamba's late jump out of its one-key plateau (README, "The mqar preset").
    public static var mqar: StudySpec {
        var base = fromScratchBase(steps: 12_000, evalEvery: 400)
        base.trainSize = 100_000
        base.evalSize = 3_000
        base.layers = 2
        base.lr = 2.15e-3
        var spec = StudySpec(name: "mqar", models: [.pythia, .mamba, .mamba2, .hybrid], lengths: [], variants: [],
                             lrs: [2.15e-3], seeds: [0, 1, 2], base: base)
        spec.tasks = [(64, 4), (128, 8), (256, 16)].map { StudyTask(.mqar, lengths: [$0.0], options: TaskOptions(vocab: 8192, kvPairs: $0.1)) }
        spec.hiddens = [32, 64, 128]
        return spec
    }
}
