// Vector instructions Swift does not emit, for 16 floats. Fused multiply-add: Swift has no FP
// contraction, so `a * b + c` on SIMD16 stays a multiply and an add (two roundings, twice the
// latency); this header gives the kernels one vfmadd through clang's elementwise builtin.
// Swift imports the ext_vector type as SIMD16<Float>, and always-inline bodies fold into the
// calling kernel.
#ifndef SCANLAB_VECTOR_MATH_H
#define SCANLAB_VECTOR_MATH_H

typedef float scanlab_float16 __attribute__((ext_vector_type(16)));

// Asks for the cache line at p ahead of a read (kernels gathering strided rows).
static inline __attribute__((always_inline)) void scanlab_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

static inline __attribute__((always_inline))
scanlab_float16 scanlab_fma16(scanlab_float16 a, scanlab_float16 b, scanlab_float16 c) {
    return __builtin_elementwise_fma(a, b, c);
}

// Rounding to an integer and scaling by a power of two, for the exponentials: with AVX-512
// each is one instruction (vrndscaleps, vscalefps), and vscalefps also takes any exponent,
// down to denormals and zero, with no clamps or selects around it. Callers branch on
// scanlab_has_scalef16(), a constant the optimiser folds; the portable pair below keeps the
// other branch compiling and is exact only for |x| < 2^22 and n in [−126, 127].
#if defined(__AVX512F__)
#include <immintrin.h>
static inline __attribute__((always_inline)) int scanlab_has_scalef16(void) { return 1; }
static inline __attribute__((always_inline)) scanlab_float16 scanlab_round16(scanlab_float16 x) {
    return (scanlab_float16)_mm512_roundscale_ps((__m512)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline __attribute__((always_inline)) scanlab_float16 scanlab_scalef16(scanlab_float16 y, scanlab_float16 n) {
    return (scanlab_float16)_mm512_scalef_ps((__m512)y, (__m512)n);
}
// x clamped to [lo, hi] in a vmaxps and a vminps; a NaN in x comes through (both return their
// second operand when either is NaN).
static inline __attribute__((always_inline))
scanlab_float16 scanlab_clamp16(scanlab_float16 x, scanlab_float16 lo, scanlab_float16 hi) {
    return (scanlab_float16)_mm512_min_ps((__m512)hi, _mm512_max_ps((__m512)lo, (__m512)x));
}
#else
typedef int scanlab_int16 __attribute__((ext_vector_type(16)));
static inline __attribute__((always_inline)) int scanlab_has_scalef16(void) { return 0; }
static inline __attribute__((always_inline)) scanlab_float16 scanlab_round16(scanlab_float16 x) {
    const scanlab_float16 magic = 12582912.0f;
    return (x + magic) - magic;
}
static inline __attribute__((always_inline)) scanlab_float16 scanlab_scalef16(scanlab_float16 y, scanlab_float16 n) {
    scanlab_int16 e = (__builtin_convertvector(n, scanlab_int16) + 127) << 23;
    return y * (scanlab_float16)e;
}
static inline __attribute__((always_inline))
scanlab_float16 scanlab_clamp16(scanlab_float16 x, scanlab_float16 lo, scanlab_float16 hi) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}
#endif

// The instruction-set level the including code is compiled for (the build's -target-cpu),
// recorded with every run: 2 = AVX-512, 1 = AVX2 + FMA, 0 = baseline.
static inline __attribute__((always_inline)) int scanlab_built_isa_level(void) {
#if defined(__AVX512F__)
    return 2;
#elif defined(__AVX2__) && defined(__FMA__)
    return 1;
#else
    return 0;
#endif
}

#endif
