import Foundation
import TensorCore

/// Where the query sits: after the context (the paper's default) or before it.
public enum QueryPlacement: String, Codable, CaseIterable, Sendable {
    case suffix, prefix
}

/// The synthetic in-context retrieval task of Pantazopoulos et al. (EMNLP 2024) for length L.
///
///   suffix: <bos> perm(<syn_0> … <syn_{L−1}>) <out> <syn_q>      prefix: <out> <syn_q> <bos> perm(…)
/// The answer is <pos_j> where perm[j] = <syn_q>, predicted at the last position (L+3 tokens in
/// all). The token ids come from the layout: compact for from-scratch models, appended after
/// the vocabulary of a pretrained one (see TokenLayout).
public struct RetrievalTask: Equatable, Codable, Sendable {
    public let length: Int
    public let placement: QueryPlacement
    public let layout: TokenLayout

    public init(length: Int, placement: QueryPlacement, layout: TokenLayout? = nil) throws {
        guard length >= 2 else { throw TaskError("sequence length must be at least 2, got \(length)") }
        guard length <= 16_000 else { throw TaskError("sequence length \(length) is too large (at most 16000)") }
        if let layout, layout.length != length {
            throw TaskError("token layout for L = \(layout.length) does not fit a task of length \(length)")
        }
        self.length = length
        self.placement = placement
        self.layout = layout ?? .compact(length: length)
    }

    public var vocabularySize: Int { layout.vocabularySize }
    public var sequenceLength: Int { length + 3 }
    public func content(_ i: Int) -> Int { layout.content(i) }
    public func positionToken(_ i: Int) -> Int { layout.position(i) }

    /// Tokens of one example: `order` is the permutation (order[j] = content index at slot j),
    /// `target` the slot whose content is queried. Returns the tokens and the answer token.
    public func tokens(order: [Int], target: Int) -> (tokens: [Int], answer: Int) {
        let context = order.map(content)
        let q = [layout.query, content(order[target])]
        let tokens = placement == .suffix ? [layout.bos] + context + q : q + [layout.bos] + context
        return (tokens, positionToken(target))
    }
}

/// A set of examples stored as permutations and target slots; tokens follow from the placement.
public struct RetrievalExamples: Equatable {
    public let length: Int
    /// count × length, row-major: the content index at each slot.
    public var orders: [Int32]
    /// The queried slot of each example.
    public var targets: [Int32]
    public var count: Int { targets.count }

    public func order(_ i: Int) -> [Int] { (0..<length).map { Int(orders[i * length + $0]) } }

    /// Generates `count` examples from `seed`. Every slot is the target ⌊count/L⌋ or ⌈count/L⌉
    /// times (exactly equally often when L divides count); examples in `exclude` are redrawn,
    /// and an error says so when (for tiny L) nearly every example is excluded.
    public static func generate(length: Int, count: Int, seed: UInt64, excluding exclude: Set<ExampleKey> = []) throws -> RetrievalExamples {
        var g = RandomGenerator(seed: seed)
        var targets = (0..<count).map { Int32($0 % length) }
        for i in stride(from: count - 1, to: 0, by: -1) { targets.swapAt(i, g.nextInt(below: i + 1)) }
        var orders = [Int32](repeating: 0, count: count * length)
        for i in 0..<count {
            var attempts = 0
            while true {
                let p = g.permutation(length)
                let key = ExampleKey(order: p, target: Int(targets[i]))
                if exclude.contains(key) {
                    attempts += 1
                    if attempts == 10_000 {
                        throw TaskError("cannot draw held-out examples outside the training set: L = \(length) has only \(length)!·\(length) distinct examples; use a smaller --train-size or a larger length")
                    }
                    continue
                }
                for j in 0..<length { orders[i * length + j] = Int32(p[j]) }
                break
            }
        }
        return RetrievalExamples(length: length, orders: orders, targets: targets)
    }

    public var keys: Set<ExampleKey> {
        Set((0..<count).map { ExampleKey(order: orders[($0 * length)..<(($0 + 1) * length)], target: Int(targets[$0])) })
    }
}

/// A 64-bit fingerprint of an example (its permutation and target) for the train/held-out
/// overlap check; 8 bytes per example keeps a million-example set small. A fingerprint
/// collision can only redraw an example that did not need it, never let an overlap through.
public struct ExampleKey: Hashable {
    public let fingerprint: UInt64

    public init<S: Sequence>(order: S, target: Int) where S.Element: BinaryInteger {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: target)
        for v in order {
            h ^= UInt64(truncatingIfNeeded: Int(v)) &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
            h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        }
        fingerprint = h ^ (h >> 29)
    }
}
