import TensorCore

/// The first parameter, in the model's order (embedding first), whose gradient holds a NaN or an infinity: what a
/// diverging run reports. A sum over the gradient is non-finite exactly when one of its
/// entries is (or when finite entries near Float's limit overflow, which is divergence too).
public func firstNonFiniteGradient(_ parameters: ParameterStore) -> String? {
    for (key, p) in parameters.all {
        guard let g = p.grad else { continue }
        if !laneSum(g.data, count: g.count).isFinite { return key }
    }
    return nil
}

/// Σ x in sixteen lanes: the order does not matter for finiteness, and a serial sum would wait
/// on each add (this runs over every gradient each step without clipping).
func laneSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc0 = Vec16(), acc1 = Vec16()
    var i = 0
    while i + 32 <= count { acc0 += load16(x + i); acc1 += load16(x + i + 16); i += 32 }
    var sum = hsum16(acc0 + acc1)
    while i < count { sum += x[i]; i += 1 }
    return sum
}
