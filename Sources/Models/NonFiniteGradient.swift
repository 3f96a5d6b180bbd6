import TensorCore

/// The first parameter, in the model's order (embedding first), whose gradient holds a NaN or an infinity: what a
/// diverging run reports. A sum over the gradient is non-finite exactly when one of its
/// entries is (or when finite entries near Float's limit overflow, which is divergence too).
public func firstNonFiniteGradient(_ parameters: ParameterStore) -> String? {
    for (key, p) in parameters.all {
        guard let g = p.grad else { continue }
        var sum: Float = 0
        for i in 0..<g.count { sum += g.data[i] }
        if !sum.isFinite { return key }
    }
    return nil
}
