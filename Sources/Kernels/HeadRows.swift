import TensorCore

// SIMD loops over one head's row (head size 32–128 floats): short enough that a call to
// memmove or a scalar reduction costs more than the work; shared by the attention kernels.

/// dst[0..<count] = src   (head rows are short: a call to memmove costs more than the copy)
@inline(__always)
func copyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var d = 0
    while d + 16 <= count { store16(load16(src + d), dst + d); d += 16 }
    while d < count { dst[d] = src[d]; d += 1 }
}

/// x[0..<count] *= c
@inline(__always)
func scaleRow(_ x: UnsafeMutablePointer<Float>, count: Int, by c: Float) {
    let cv = Vec16(repeating: c)
    var d = 0
    while d + 16 <= count { store16(load16(x + d) * cv, x + d); d += 16 }
    while d < count { x[d] *= c; d += 1 }
}

/// Σ a[d]·b[d] over count
@inline(__always)
func dotRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc = Vec16()
    var d = 0
    while d + 16 <= count { acc = fma16(load16(a + d), load16(b + d), acc); d += 16 }
    var sum = hsum16(acc)
    while d < count { sum += a[d] * b[d]; d += 1 }
    return sum
}

/// y[0..<count] += a·x
@inline(__always)
func axpyRow(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    let av = Vec16(repeating: a)
    var d = 0
    while d + 16 <= count { store16(fma16(av, load16(x + d), load16(y + d)), y + d); d += 16 }
    while d < count { y[d] += a * x[d]; d += 1 }
}
