import CVectorMath

/// Vector helpers for kernels: unaligned SIMD16 loads/stores, exp, log and softplus.
/// They are `@_transparent` because `@inline(__always)` alone did not inline them across
/// modules, which cost a call and a 64-byte spill per vector in the kernels.
public typealias Vec16 = SIMD16<Float>

/// 1 in every lane. Kernels write `one16 + v`, not `1 + v`: mixed scalar–vector operators
/// were seen to compile to partly scalar code.
@_transparent public var one16: Vec16 { Vec16(repeating: 1) }

@_transparent public func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

@_transparent public func load16(_ p: UnsafeMutablePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

@_transparent public func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

/// Asks for the cache lines of count floats from p ahead of reading them (strided gathers).
@_transparent public func prefetch(_ p: UnsafePointer<Float>, count: Int) {
    var d = 0
    while d < count { scanlab_prefetch(p + d); d += 16 }
}

/// a·b + c with one rounding: a single vfmadd through CVectorMath (Swift's `addingProduct`
/// on SIMD16 does not compile to one; README, "Building for speed").
@_transparent public func fma16(_ a: Vec16, _ b: Vec16, _ c: Vec16) -> Vec16 { scanlab_fma16(a, b, c) }

/// The shared core of the exps: x = n·ln2 + r (Cody–Waite), e^r by a degree-6 polynomial.
/// Returns e^r and t = x·log2(e) + 1.5·2^23, whose low mantissa bits hold n.
@_transparent public func expReduced16(_ xc: Vec16) -> (Vec16, Vec16) {
    // Round x·log2(e) to nearest by adding 1.5·2^23: the integer lands in the low mantissa bits.
    let magic = Vec16(repeating: 12582912.0)
    let t = fma16(xc, Vec16(repeating: 1.44269504088896341), magic)
    return (expOfRemainder16(xc, t - magic), t)
}

/// e^r for r = x − n·ln2 (ln2 in two parts, so r is exact to a few ulp), by Cephes' degree-6
/// polynomial; n is x·log2(e) rounded to an integer.
@_transparent public func expOfRemainder16(_ x: Vec16, _ n: Vec16) -> Vec16 {
    var r = fma16(n, Vec16(repeating: -0.693359375), x)
    r = fma16(n, Vec16(repeating: 2.12194440e-4), r)
    var p = Vec16(repeating: 1.9875691500e-4)
    p = fma16(p, r, Vec16(repeating: 1.3981999507e-3))
    p = fma16(p, r, Vec16(repeating: 8.3334519073e-3))
    p = fma16(p, r, Vec16(repeating: 4.1665795894e-2))
    p = fma16(p, r, Vec16(repeating: 1.6666665459e-1))
    p = fma16(p, r, Vec16(repeating: 5.0000001201e-1))
    return fma16(p * r, r, r + Vec16(repeating: 1))
}

/// e^x with AVX-512: n by vrndscaleps, 2^n applied by vscalefps, which also yields the
/// denormals, 0 and ∞ beyond Float32's range; the clamp only keeps ±∞ from becoming ∞ − ∞
/// (NaN passes through). About half the operations of the bit-built scale.
@_transparent public func expScalef16(_ x: Vec16) -> Vec16 {
    let xc = scanlab_clamp16(x, Vec16(repeating: -110), Vec16(repeating: 89))
    let n = scanlab_round16(xc * Vec16(repeating: 1.44269504088896341))
    return scanlab_scalef16(expOfRemainder16(xc, n), n)
}

/// e^x for 16 lanes: Cody–Waite reduction x = n·ln2 + r, a degree-6 polynomial for e^r,
/// and 2^n by vscalefps (AVX-512) or built in the exponent bits. Relative error ≈ 2 ulp;
/// −∞ gives 0 (so masks work), +∞ gives ∞; below −87.3 the result is a denormal or 0
/// (AVX-512) or 0, above 88.7 it is ∞.
@_transparent public func exp16(_ x: Vec16) -> Vec16 {
    if scanlab_has_scalef16() != 0 { return expScalef16(x) }
    let lo = Vec16(repeating: -87.33654)
    let hi = Vec16(repeating: 88.72283)
    // `replacing(where:)` compiles to blends; `clamped`/`pointwiseMin` fall back to scalar code (~60× slower).
    let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    let (y, t) = expReduced16(xc)
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    // 2^n as 2^(n/2)·2^(n−n/2): n = 128 near the top has no single exponent encoding.
    // (Integer lane selects compile to scalar code; shifts and adds stay vectorised.)
    let n1 = ni &>> 1, n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: Vec16.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: Vec16.self)
    var result = y * s1 * s2
    result.replace(with: 0, where: x .< lo)
    result.replace(with: .infinity, where: x .> hi)
    return result
}

/// σ(x) = 1/(1 + e^−x) for 16 lanes.
@_transparent public func sigmoid16(_ x: Vec16) -> Vec16 { one16 / (one16 + exp16(-x)) }

/// silu(x) = x·σ(x) for 16 lanes, as one division.
@_transparent public func silu16(_ x: Vec16) -> Vec16 { x / (one16 + exp16(-x)) }

/// Horizontal sum of 16 lanes by halving (faster than the generic `sum()`).
@_transparent public func hsum16(_ v: Vec16) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}

/// The horizontal sums of 16 consecutive vectors at `p`, as one vector (lane i: the sum of
/// vector i): a transpose-and-add tree of 15 folds instead of 16 separate `hsum16`s.
@_transparent public func hsum16x16(_ p: UnsafePointer<Float>) -> Vec16 {
    @inline(__always) func v(_ i: Int) -> Vec16 { load16(p + 16 * i) }
    /// [a | b] with each 8-lane half the pairwise sum of a's (b's) halves.
    @inline(__always) func fold16(_ a: Vec16, _ b: Vec16) -> Vec16 {
        Vec16(lowHalf: a.lowHalf + a.highHalf, highHalf: b.lowHalf + b.highHalf)
    }
    @inline(__always) func fold8(_ a: SIMD8<Float>) -> SIMD4<Float> { a.lowHalf + a.highHalf }
    @inline(__always) func fold4(_ a: SIMD4<Float>) -> SIMD2<Float> { a.lowHalf + a.highHalf }
    @inline(__always) func fold2(_ a: SIMD2<Float>) -> Float { a[0] + a[1] }
    // Level 1: 8 vectors of two 8-lane partials; level 2: 4 of four 4-lane partials; …
    let l1 = (fold16(v(0), v(1)), fold16(v(2), v(3)), fold16(v(4), v(5)), fold16(v(6), v(7)),
              fold16(v(8), v(9)), fold16(v(10), v(11)), fold16(v(12), v(13)), fold16(v(14), v(15)))
    @inline(__always) func level2(_ x: Vec16, _ y: Vec16) -> Vec16 {
        Vec16(lowHalf: SIMD8(lowHalf: fold8(x.lowHalf), highHalf: fold8(x.highHalf)),
              highHalf: SIMD8(lowHalf: fold8(y.lowHalf), highHalf: fold8(y.highHalf)))
    }
    let l2 = (level2(l1.0, l1.1), level2(l1.2, l1.3), level2(l1.4, l1.5), level2(l1.6, l1.7))
    @inline(__always) func level3(_ x: Vec16, _ y: Vec16) -> Vec16 {
        func half(_ h: SIMD8<Float>) -> SIMD4<Float> { SIMD4(lowHalf: fold4(h.lowHalf), highHalf: fold4(h.highHalf)) }
        return Vec16(lowHalf: SIMD8(lowHalf: half(x.lowHalf), highHalf: half(x.highHalf)),
                     highHalf: SIMD8(lowHalf: half(y.lowHalf), highHalf: half(y.highHalf)))
    }
    let l3 = (level3(l2.0, l2.1), level3(l2.2, l2.3))
    @inline(__always) func level4(_ x: Vec16) -> SIMD8<Float> {
        func quarter(_ q: SIMD4<Float>) -> SIMD2<Float> { SIMD2(fold2(q.lowHalf), fold2(q.highHalf)) }
        func half(_ h: SIMD8<Float>) -> SIMD4<Float> { SIMD4(lowHalf: quarter(h.lowHalf), highHalf: quarter(h.highHalf)) }
        return SIMD8(lowHalf: half(x.lowHalf), highHalf: half(x.highHalf))
    }
    return Vec16(lowHalf: level4(l3.0), highHalf: level4(l3.1))
}

/// Horizontal max of 16 lanes by halving (the generic `max()` compiles to scalar code).
@_transparent public func hmax16(_ v: Vec16) -> Float {
    var a = v.lowHalf; let a2 = v.highHalf; a.replace(with: a2, where: a .< a2)
    var b = a.lowHalf; let b2 = a.highHalf; b.replace(with: b2, where: b .< b2)
    var c = b.lowHalf; let c2 = b.highHalf; c.replace(with: c2, where: c .< c2)
    return Swift.max(c[0], c[1])
}

/// e^x for x ≤ 0 (softmax weights, decay factors): with AVX-512 exp16 itself; otherwise exp16
/// without the upper clamp and with a single exponent scale, about a quarter fewer operations.
/// Positive x is not handled.
@_transparent public func expNonPositive16(_ x: Vec16) -> Vec16 {
    if scanlab_has_scalef16() != 0 { return expScalef16(x) }
    let lo = Vec16(repeating: -87.33654)
    let xc = x.replacing(with: lo, where: x .< lo)
    let (y, t) = expReduced16(xc)
    // n ∈ [−126, 0]: 2^n has a normal encoding, (n + 127) << 23.
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x4B40_0000 - 127)
    let result = y * unsafeBitCast(ni &<< 23, to: Vec16.self)
    return result.replacing(with: Vec16(), where: x .< lo)
}

/// 2^x for x ≤ 0: n = round(x), f = x − n in [−½, ½], 2^f = 1 + f·q(f) with q of degree 4
/// fitted for relative error (1.9e-7 in Float32 arithmetic, about 1.6 ulp). Below −126 the
/// result is the denormal with AVX-512 and 0 without (both below Float32's normal range).
/// Kernels that raise e to a product with a stored factor (the scan's exp(δ·A)) keep that
/// factor premultiplied by log2(e) and call this: no Cody–Waite step, 6 multiplies instead of 11.
@_transparent public func exp2NonPositive16(_ x: Vec16) -> Vec16 {
    let n = scanlab_round16(x)
    let f = x - n
    var p = Vec16(repeating: 1.3264714362793764e-3)
    p = fma16(p, f, Vec16(repeating: 9.671513570568361e-3))
    p = fma16(p, f, Vec16(repeating: 5.550733785869879e-2))
    p = fma16(p, f, Vec16(repeating: 2.402224206507829e-1))
    p = fma16(p, f, Vec16(repeating: 6.931469775695928e-1))
    let y = fma16(p, f, Vec16(repeating: 1))
    // AVX-512: y·2^n in one vscalefps, exact down to denormals and 0.
    if scanlab_has_scalef16() != 0 { return scanlab_scalef16(y, n) }
    // n ∈ [−126, 0]: 2^n has a normal encoding, (n + 127) << 23. Below −126 the lanes computed
    // garbage (no clamp on the way in) that the select drops.
    // n = round(x) sits in the low mantissa bits of x + 1.5·2^23 (the portable round16's sum).
    let t = x + Vec16(repeating: 12582912.0)
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x4B40_0000 - 127)
    let result = y * unsafeBitCast(ni &<< 23, to: Vec16.self)
    return result.replacing(with: Vec16(), where: x .< Vec16(repeating: -126))
}

/// ln x for 16 lanes, x > 0 and finite: x = m·2^e with m in [√½, √2), then a degree-9
/// polynomial in m−1 (Cephes' logf). Relative error ≈ 2 ulp.
@_transparent public func log16(_ x: Vec16) -> Vec16 {
    // Integer-only range reduction (lane selects split the vector into scalar code here):
    // subtracting the bits of √½ makes the exponent field count from √½, so the rebuilt
    // mantissa m lands in [√½, √2) with no comparison.
    let bits = unsafeBitCast(x, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x3F35_04F3)
    let eInt = bits &>> 23
    let mBits = (bits & SIMD16<Int32>(repeating: 0x007F_FFFF)) &+ SIMD16<Int32>(repeating: 0x3F35_04F3)
    let m = unsafeBitCast(mBits, to: Vec16.self) - Vec16(repeating: 1)
    // Int32 → Float through the 1.5·2^23 magic (|e| < 2^22).
    let e = unsafeBitCast(eInt &+ SIMD16<Int32>(repeating: 0x4B40_0000), to: Vec16.self) - Vec16(repeating: 12582912)
    let z = m * m
    // Coefficients as explicit vectors: `vector ± Float literal` compiled to scalar code here.
    var p = Vec16(repeating: 7.0376836292e-2)
    p = fma16(p, m, Vec16(repeating: -1.1514610310e-1))
    p = fma16(p, m, Vec16(repeating: 1.1676998740e-1))
    p = fma16(p, m, Vec16(repeating: -1.2420140846e-1))
    p = fma16(p, m, Vec16(repeating: 1.4249322787e-1))
    p = fma16(p, m, Vec16(repeating: -1.6668057665e-1))
    p = fma16(p, m, Vec16(repeating: 2.0000714765e-1))
    p = fma16(p, m, Vec16(repeating: -2.4999993993e-1))
    p = fma16(p, m, Vec16(repeating: 3.3333331174e-1))
    var y = p * m * z
    y = fma16(e, Vec16(repeating: -2.12194440e-4), y)
    y = fma16(Vec16(repeating: -0.5), z, y)
    return fma16(e, Vec16(repeating: 0.693359375), m + y)
}

/// PyTorch's softplus (β = 1, threshold 20) for 16 lanes: max(x,0) + log1p(e^−|x|).
/// log1p(y) for y = e^−|x| in (0, 1] as 2·atanh(s), s = y/(2+y) in (0, ⅓]: an odd series in s
/// to s¹⁵, relative error below 1e-7 and exact to first order for tiny y. (log16's bit-level
/// range reduction, used here before, was split by the optimiser into partly scalar code.)
@_transparent public func softplus16(_ x: Vec16) -> Vec16 {
    let zero = Vec16()
    let ax = x.replacing(with: -x, where: x .< zero)
    let y = expNonPositive16(-ax)
    let s = y / (Vec16(repeating: 2) + y)
    let s2 = s * s
    var p = Vec16(repeating: 2.0 / 15)
    p = fma16(p, s2, Vec16(repeating: 2.0 / 13))
    p = fma16(p, s2, Vec16(repeating: 2.0 / 11))
    p = fma16(p, s2, Vec16(repeating: 2.0 / 9))
    p = fma16(p, s2, Vec16(repeating: 2.0 / 7))
    p = fma16(p, s2, Vec16(repeating: 2.0 / 5))
    p = fma16(p, s2, Vec16(repeating: 2.0 / 3))
    p = fma16(p, s2, Vec16(repeating: 2))
    let result = x.replacing(with: zero, where: x .< zero) + p * s
    return result.replacing(with: x, where: x .> Vec16(repeating: 20))
}

/// erf for 16 lanes (Abramowitz & Stegun 7.1.26): 1 − (a₁t + … + a₅t⁵)·e^(−x²) with
/// t = 1/(1 + p|x|), odd symmetry; absolute error below 1.5·10⁻⁷ in exact arithmetic, 5·10⁻⁷ in Float32.
@_transparent public func erf16(_ x: Vec16) -> Vec16 {
    let one = Vec16(repeating: 1)
    let ax = x.replacing(with: -x, where: x .< Vec16())
    let t = one / fma16(ax, Vec16(repeating: 0.3275911), one)
    var p = Vec16(repeating: 1.061405429)
    p = fma16(p, t, Vec16(repeating: -1.453152027))
    p = fma16(p, t, Vec16(repeating: 1.421413741))
    p = fma16(p, t, Vec16(repeating: -0.284496736))
    p = fma16(p, t, Vec16(repeating: 0.254829592))
    let y = one - p * t * exp16(-ax * ax)
    return y.replacing(with: -y, where: x .< Vec16())
}
