// Fused multiply-add for 16 floats. Swift has no FP contraction, so `a * b + c` on SIMD16
// stays a multiply and an add (two roundings, twice the latency); this header gives the
// kernels one vfmadd through clang's elementwise builtin. Swift imports the ext_vector type
// as SIMD16<Float>, and the always-inline body folds into the calling kernel.
#ifndef SCANLAB_VECTOR_MATH_H
#define SCANLAB_VECTOR_MATH_H

typedef float scanlab_float16 __attribute__((ext_vector_type(16)));

static inline __attribute__((always_inline))
scanlab_float16 scanlab_fma16(scanlab_float16 a, scanlab_float16 b, scanlab_float16 c) {
    return __builtin_elementwise_fma(a, b, c);
}

#endif
