/// A set of examples as the task contract stores them: inputs, labels and slots, each
/// count × T row-major int32 (the HDF5 datasets `*_inputs`, `*_labels`, `*_slots`).
public struct TaskExamples: Equatable {
    /// The label of a position where no loss is taken (PyTorch's ignore_index).
    public static let noLabel: Int32 = -100

    public let sequenceLength: Int
    public private(set) var inputs: [Int32] = []
    public private(set) var labels: [Int32] = []
    /// The answer's slot at each labelled position, −1 elsewhere.
    public private(set) var slots: [Int32] = []
    public var count: Int { inputs.count / max(1, sequenceLength) }

    public init(sequenceLength: Int, reserving capacity: Int = 0) {
        self.sequenceLength = sequenceLength
        inputs.reserveCapacity(capacity * sequenceLength)
        labels.reserveCapacity(capacity * sequenceLength)
        slots.reserveCapacity(capacity * sequenceLength)
    }

    /// Examples read back from storage, checked for shape and label/slot agreement.
    public init(sequenceLength: Int, inputs: [Int32], labels: [Int32], slots: [Int32]) throws {
        guard sequenceLength > 0, inputs.count % sequenceLength == 0, labels.count == inputs.count, slots.count == inputs.count else {
            throw TaskError("examples of \(inputs.count) inputs, \(labels.count) labels and \(slots.count) slots do not form rows of \(sequenceLength)")
        }
        for i in 0..<labels.count where (labels[i] == Self.noLabel) != (slots[i] < 0) {
            throw TaskError("example \(i / sequenceLength), position \(i % sequenceLength): a label without a slot or a slot without a label")
        }
        self.sequenceLength = sequenceLength
        self.inputs = inputs; self.labels = labels; self.slots = slots
    }

    public mutating func append(inputs i: [Int32], labels l: [Int32], slots s: [Int32]) {
        inputs += i; labels += l; slots += s
    }

    public func inputs(_ i: Int) -> ArraySlice<Int32> { inputs[(i * sequenceLength)..<((i + 1) * sequenceLength)] }
    public func labels(_ i: Int) -> ArraySlice<Int32> { labels[(i * sequenceLength)..<((i + 1) * sequenceLength)] }
    public func slots(_ i: Int) -> ArraySlice<Int32> { slots[(i * sequenceLength)..<((i + 1) * sequenceLength)] }

    /// Fingerprints of every example, for keeping held-out sets apart from training sets.
    public var keys: Set<ExampleKey> {
        Set((0..<count).map { ExampleKey(inputs: inputs($0), labels: labels($0)) })
    }

    /// The examples at `indices` as one batch: their tokens, and the labelled rows (flat
    /// indices b·T + t, ascending) with their targets, slots and the batch example they belong to.
    public func batch(_ indices: [Int]) -> TaskBatch {
        let T = sequenceLength
        var b = TaskBatch(sequenceLength: T, count: indices.count)
        b.tokens.reserveCapacity(indices.count * T)
        for (k, i) in indices.enumerated() {
            for t in 0..<T {
                let at = i * T + t
                b.tokens.append(Int(inputs[at]))
                if labels[at] != Self.noLabel {
                    b.rows.append(k * T + t); b.targets.append(Int(labels[at])); b.slots.append(Int(slots[at])); b.example.append(k)
                }
            }
        }
        return b
    }
}

/// One batch: `count` sequences of `sequenceLength` tokens and the rows the loss is taken at.
public struct TaskBatch: Equatable {
    public let sequenceLength: Int
    public let count: Int
    public var tokens: [Int] = []
    /// Flat indices b·T + t of the labelled positions, ascending.
    public var rows: [Int] = []
    public var targets: [Int] = []
    public var slots: [Int] = []
    /// The batch example (0..<count) each row belongs to.
    public var example: [Int] = []

    /// The sequences start..<end as a batch of their own (micro-batches), rows renumbered.
    public func slice(_ start: Int, _ end: Int) -> TaskBatch {
        let T = sequenceLength
        var out = TaskBatch(sequenceLength: T, count: end - start)
        out.tokens = Array(tokens[(start * T)..<(end * T)])
        for (r, e) in example.enumerated() where e >= start && e < end {
            out.rows.append(rows[r] - start * T); out.targets.append(targets[r]); out.slots.append(slots[r]); out.example.append(e - start)
        }
        return out
    }
}

/// A 64-bit fingerprint of an example (its inputs and labels) for the train/held-out overlap
/// check; 8 bytes per example keeps a million-example set small. A fingerprint collision can
/// only redraw an example that did not need it, never let an overlap through.
public struct ExampleKey: Hashable {
    public let fingerprint: UInt64

    public init<S: Sequence, L: Sequence>(inputs: S, labels: L) where S.Element == Int32, L.Element == Int32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        func mix(_ v: Int32) {
            h ^= UInt64(truncatingIfNeeded: Int(v)) &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
            h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        }
        for v in inputs { mix(v) }
        mix(Int32.min)   // separates inputs from labels
        for v in labels { mix(v) }
        fingerprint = h ^ (h >> 29)
    }
}
