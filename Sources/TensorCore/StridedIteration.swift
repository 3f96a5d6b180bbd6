/// Walks an output shape row by row while tracking where each of two broadcast operands
/// stands. Dimensions that can be merged are merged first, so the innermost row is as long
/// as possible; inner strides are 0 (broadcast) or 1 (contiguous).
struct StridedPlan {
    /// Collapsed dimensions, outermost first.
    var sizes: [Int] = []
    var stridesA: [Int] = []
    var stridesB: [Int] = []

    init(outShape: [Int], aShape: [Int], bShape: [Int]) {
        let n = outShape.count
        func strides(_ shape: [Int]) -> [Int] {
            var s = [Int](repeating: 0, count: n)
            var acc = 1
            for i in stride(from: n - 1, through: 0, by: -1) {
                let k = i - (n - shape.count)
                let d = k >= 0 ? shape[k] : 1
                s[i] = d == 1 ? 0 : acc
                acc *= d
            }
            return s
        }
        let sa = strides(aShape), sb = strides(bShape)
        for i in 0..<n where outShape[i] != 1 {
            if let last = sizes.indices.last,
               stridesA[last] == sa[i] * outShape[i], stridesB[last] == sb[i] * outShape[i] {
                sizes[last] *= outShape[i]
                stridesA[last] = sa[i]
                stridesB[last] = sb[i]
            } else {
                sizes.append(outShape[i]); stridesA.append(sa[i]); stridesB.append(sb[i])
            }
        }
        if sizes.isEmpty { sizes = [1]; stridesA = [1]; stridesB = [1] }
    }

    var rowLength: Int { sizes.last! }
    var rowCount: Int { sizes.dropLast().reduce(1, *) }
    var innerStrideA: Int { stridesA.last! }
    var innerStrideB: Int { stridesB.last! }

    /// Offsets of row `r` into A and B.
    @inline(__always) func offsets(row r: Int) -> (Int, Int) {
        var rem = r, oa = 0, ob = 0
        var i = sizes.count - 2
        while i >= 0 {
            let idx = rem % sizes[i]
            rem /= sizes[i]
            oa += idx * stridesA[i]
            ob += idx * stridesB[i]
            i -= 1
        }
        return (oa, ob)
    }
}
