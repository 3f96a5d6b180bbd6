import XCTest
import TensorCore

/// Central finite differences against backward(). The scalar probed is Σ w·f(x) with fixed
/// random weights w, so every output element contributes with a different weight.
public func assertGradientsMatch(_ inputs: [Tensor], eps: Float = 1e-2, tolerance: Float = 1e-2,
                          maxProbes: Int = 48, seed: UInt64 = 7,
                          file: StaticString = #filePath, line: UInt = #line,
                          _ f: ([Tensor]) -> Tensor) {
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let out = f(inputs)
    var gen = RandomGenerator(seed: seed)
    let w = Tensor.randomUniform(out.shape, low: -1, high: 1, generator: &gen)
    (out * w).sum().backward()
    // The probe below reads raw elements; `Tensor.data` is public.

    func probe() -> Double {
        withNoGrad {
            let y = f(inputs)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(w.data[i]) }
            return s
        }
    }
    for (k, x) in inputs.enumerated() {
        guard let grad = x.grad else {
            XCTFail("input \(k) of shape \(x.shape) received no gradient", file: file, line: line); continue
        }
        XCTAssertEqual(grad.shape, x.shape, "gradient shape of input \(k)", file: file, line: line)
        let scale = max(1, grad.values.map { Swift.abs($0) }.max() ?? 0)
        var indices = Array(0..<x.count)
        if indices.count > maxProbes { indices.shuffle(using: &gen); indices = Array(indices.prefix(maxProbes)) }
        for i in indices {
            let orig = x.data[i]
            x.data[i] = orig + eps; let plus = probe()
            x.data[i] = orig - eps; let minus = probe()
            x.data[i] = orig
            let numeric = Float((plus - minus) / Double(2 * eps))
            let analytic = grad.data[i]
            if Swift.abs(numeric - analytic) > tolerance * scale {
                XCTFail("input \(k) shape \(x.shape) element \(i): analytic \(analytic) vs numeric \(numeric)",
                        file: file, line: line)
                return
            }
        }
    }
}

public func randn(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomNormal(shape, std: std, generator: &g)
}

public func uniform(_ shape: [Int], seed: UInt64, _ low: Float, _ high: Float) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, generator: &g)
}

/// Elementwise closeness relative to the reference's largest magnitude.
public func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "element counts differ", file: file, line: line)
    let scale = max(1e-12, b.map { Swift.abs($0) }.max() ?? 0)
    for i in 0..<min(a.count, b.count) where !(Swift.abs(a[i] - b[i]) <= tolerance * max(1, scale)) {
        XCTFail("element \(i): \(a[i]) vs reference \(b[i])", file: file, line: line)
        return
    }
}

/// Row-major multi-index → flat index.
public func flatIndex(_ idx: [Int], _ shape: [Int]) -> Int {
    var f = 0
    for (i, d) in zip(idx, shape) { f = f * d + i }
    return f
}

/// All multi-indices of a shape, in row-major order.
public func allIndices(_ shape: [Int]) -> [[Int]] {
    var out: [[Int]] = [[]]
    for d in shape { out = out.flatMap { p in (0..<d).map { p + [$0] } } }
    return out
}

/// Largest |a − b| relative to the largest |b| (0 when b is all zeros and a equals it).
public func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "relativeError: shapes \(a.shape) and \(b.shape) differ")
    var num: Float = 0, den: Float = 0
    for i in 0..<a.count { num = max(num, Swift.abs(a.data[i] - b.data[i])); den = max(den, Swift.abs(b.data[i])) }
    return den == 0 ? num : num / den
}

/// A fused op against its reference on the same inputs: both outputs are weighted by the same
/// random tensor and summed, then backpropagated. Returns the forward's relative error and
/// each input's gradient relative error (inputs are left with no gradient).
public func compareWithReference(_ inputs: [Tensor], seed: UInt64 = 99, _ fused: ([Tensor]) -> Tensor,
                                 _ reference: ([Tensor]) -> Tensor) -> (forward: Float, gradients: [Float]) {
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let yF = fused(inputs)
    let w = randn(yF.shape, seed: seed)
    (yF * w).sum().backward()
    let gradsF = inputs.map { $0.grad ?? Tensor.zeros($0.shape) }
    for x in inputs { x.grad = nil }
    let yR = reference(inputs)
    (yR * w).sum().backward()
    let gradients = inputs.enumerated().map { i, x in relativeError(gradsF[i], x.grad ?? Tensor.zeros(x.shape)) }
    for x in inputs { x.grad = nil }
    return (relativeError(yF, yR), gradients)
}

/// `compareWithReference`, asserted: the forward within `forward` and every input's gradient
/// within `gradients` (relative errors); failures name the input (`names`) and the case (`label`).
public func assertMatchesReference(_ inputs: [Tensor], names: [String], _ label: String, forward: Float = 1e-4,
                                   gradients: Float = 1e-3, file: StaticString = #filePath, line: UInt = #line,
                                   _ fused: ([Tensor]) -> Tensor, _ reference: ([Tensor]) -> Tensor) {
    let (f, g) = compareWithReference(inputs, fused, reference)
    XCTAssertLessThanOrEqual(f, forward, "forward, \(label)", file: file, line: line)
    for (i, e) in g.enumerated() {
        XCTAssertLessThanOrEqual(e, gradients, "d\(i < names.count ? names[i] : "input \(i)"), \(label)", file: file, line: line)
    }
}
