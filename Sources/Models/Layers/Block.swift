import TensorCore

/// What a block reads. In the plain forward only `x`. The trainer's two shortcuts add:
/// `table`, in the first layer, when x's rows are embedding rows, so token-wise work may run
/// once per vocabulary entry (TokenwiseInput); and `rows`, in the last layer, when only the
/// answer rows are read afterwards.
public struct BlockInput {
    /// The residual stream, (B, L, hidden).
    public let x: Tensor
    public let tokens: TokenBatch
    /// The embedding matrix x was looked up in (first layer with vocabulary tables).
    public let table: Tensor?
    /// Flat row indices b·L + t whose outputs are all that is needed (last layer): distinct,
    /// ascending within each sequence.
    public let rows: [Int]?

    public init(x: Tensor, tokens: TokenBatch, table: Tensor? = nil, rows: [Int]? = nil) {
        self.x = x; self.tokens = tokens; self.table = table; self.rows = rows
    }

    /// The plain forward's input: x alone (its token ids are never read without a table).
    init(plain x: Tensor) {
        self.init(x: x, tokens: TokenBatch(ids: [Int](repeating: 0, count: x.shape[0] * x.shape[1]), batch: x.shape[0], length: x.shape[1]))
    }

    /// x as the input of token-wise work: table rows when there is a table.
    var tokenwise: TokenwiseInput { table.map { .table($0, tokens) } ?? .rows(x, tokens) }
}

/// One residual block of a model: its parameters as fields, the plain forward as its whole
/// requirement. A block may also refine `forward(_: BlockInput)` to use the trainer's shortcuts;
/// the default derives it from the plain forward, so a new block trains at once.
public protocol Block: Layer {
    /// (B, L, hidden) → (B, L, hidden): every row, as transformers computes it.
    func forward(_ x: Tensor) -> Tensor

    /// The same function as `forward(input.x)`, or its rows at `input.rows` ((rows, hidden)).
    func forward(_ input: BlockInput) -> Tensor

    /// Forward multiply-adds ×2 of one block, split by where the work runs (FLOPCount).
    func flops(sequence: Int, refined: BlockRefinement) -> FLOPCount
}

extension Block {
    public func forward(_ input: BlockInput) -> Tensor {
        let y = forward(input.x)
        return input.rows.map { y.tokenRows($0) } ?? y
    }
}

/// A block that implements the shortcuts itself (`forward(_: BlockInput)`): its plain forward
/// is that one without them.
public protocol RefiningBlock: Block {}

extension RefiningBlock {
    public func forward(_ x: Tensor) -> Tensor { forward(BlockInput(plain: x)) }
}

/// Which of the trainer's shortcuts a block's forward takes.
public struct BlockRefinement: Equatable {
    /// The first layer runs its token-wise work on vocabulary tables.
    public var tables = false
    /// The last layer computes what follows its sequence mixing at the answer rows only.
    public var answerOnly = false
    public init(tables: Bool = false, answerOnly: Bool = false) { self.tables = tables; self.answerOnly = answerOnly }
    public static let none = BlockRefinement()
}

/// Forward FLOPs (2 per multiply-add) of one block: `perToken` for every token of the batch,
/// `perSequence` once per answer row (answer-only work; one per sequence on the retrieval task),
/// `perEntry` once per vocabulary-table entry.
public struct FLOPCount: Equatable {
    public var perToken = 0.0, perSequence = 0.0, perEntry = 0.0
    public init(perToken: Double = 0, perSequence: Double = 0, perEntry: Double = 0) {
        self.perToken = perToken; self.perSequence = perSequence; self.perEntry = perEntry
    }

    /// Adds token-wise work on the block's input: on the tables when the block uses them, at the
    /// answer only when it reaches the output there (`reachesAnswer`) and the block is pruned.
    public mutating func tokenwise(_ f: Double, reachesAnswer: Bool, _ r: BlockRefinement) {
        if r.answerOnly && reachesAnswer { perSequence += f } else if r.tables { perEntry += f } else { perToken += f }
    }

    /// Adds work after the sequence mixing: once per sequence when pruned, else per token.
    public mutating func afterMixing(_ f: Double, _ r: BlockRefinement) {
        if r.answerOnly { perSequence += f } else { perToken += f }
    }
}
