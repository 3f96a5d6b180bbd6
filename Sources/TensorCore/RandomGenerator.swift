import Foundation

/// xoshiro256** seeded through splitmix64: fast, statistically strong, and its whole state is
/// four words, so checkpoints can save and restore it for bit-exact resume.
public struct RandomGenerator: RandomNumberGenerator, Equatable, Sendable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var s = seed
        var words = [UInt64]()
        for _ in 0..<4 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        state = words
    }

    /// Restores a state saved from `state`.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 },
                     "RandomGenerator: state must be 4 words, not all zero (got \(state))")
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform integer in 0..<bound.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt: bound must be positive, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// Box–Muller in pairs; consumes two uniforms per two normals, so the count of draws
    /// (and therefore the state afterwards) depends only on the buffer length.
    public mutating func fillNormal(_ out: UnsafeMutableBufferPointer<Float>, mean: Float, std: Float) {
        var i = 0
        while i < out.count {
            let u1 = 1 - nextDouble()  // (0, 1]
            let u2 = nextDouble()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            out[i] = mean + std * Float(r * cos(2 * .pi * u2))
            if i + 1 < out.count { out[i + 1] = mean + std * Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
    }

    /// Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) }
        }
        return p
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
