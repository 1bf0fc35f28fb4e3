/* vmath_array.c - vm_exp and vm_log over arrays, one loop compiled three times
 * (portable, AVX2, AVX-512); see vmath_array.h for why the bits are the same. */
#include "vmath_array.h"

/* No contraction into fused multiply-adds (they would change the bits): GCC has it off
 * in ISO C mode and the Makefile says -ffp-contract=off; Clang contracts by default, and
 * its avx512f target implies FMA, so say it here too (GCC would warn about the pragma). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "vmath.h"

/* The loop of each level: `omp simd` so that the compiler vectorises the inlined
 * vm_exp / vm_log at the width of the function's target.  No restrict: y == x is
 * allowed, and each iteration reads x[i] before it writes y[i]. */
#define VMATH_ARRAY_LOOP(fn)                                                       \
    _Pragma("omp simd") for (size_t i = 0; i < n; i++) y[i] = fn(x[i]);

static void exp_portable(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_exp)
}

static void log_portable(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_log)
}

#if defined(__x86_64__) && defined(__GNUC__)
#define VMATH_ARRAY_X86 1
ISA_TARGET_AVX2 static void exp_avx2(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_exp)
}

ISA_TARGET_AVX2 static void log_avx2(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_log)
}

ISA_TARGET_AVX512 static void exp_avx512(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_exp)
}

ISA_TARGET_AVX512 static void log_avx512(double *y, const double *x, size_t n)
{
    VMATH_ARRAY_LOOP(vm_log)
}
#endif

void vmath_array_exp(isa_level isa, double *y, const double *x, size_t n)
{
    switch (isa_runnable(isa)) {
#ifdef VMATH_ARRAY_X86
    case ISA_AVX512:
        exp_avx512(y, x, n);
        return;
    case ISA_AVX2:
        exp_avx2(y, x, n);
        return;
#endif
    default:
        exp_portable(y, x, n);
    }
}

void vmath_array_log(isa_level isa, double *y, const double *x, size_t n)
{
    switch (isa_runnable(isa)) {
#ifdef VMATH_ARRAY_X86
    case ISA_AVX512:
        log_avx512(y, x, n);
        return;
    case ISA_AVX2:
        log_avx2(y, x, n);
        return;
#endif
    default:
        log_portable(y, x, n);
    }
}
