/* vmath.h - exp and log that vectorise, for the model's loops over trajectories.
 *
 * glibc's exp and log are function calls the compiler cannot vectorise, and they were a
 * tenth of the run time.  vm_exp and vm_log below are branch-free sequences of IEEE
 * additions, multiplications, one division and integer operations on the bits, so a
 * loop calling them vectorises (two doubles per SSE2 instruction in the portable build,
 * four or eight with -march=native) and computes exactly the same bits in every lane,
 * at every vector width, on every x86-64 (no libm, no table, no fused multiply-add:
 * C17 mode compiles with -ffp-contract=off).  Accuracy: within 1 ulp of the correctly
 * rounded result on normal results (tests/test_model.c measures the largest error
 * against libm on a million arguments).  Special values as C's exp and log (NaN stays
 * NaN, exp(-inf) = 0, exp(+inf) = inf, log(0) = -inf, log(x < 0) = NaN).
 */
#ifndef GAPSIM_VMATH_H
#define GAPSIM_VMATH_H

#include <stdint.h>
#include <string.h>

/* Always inlined: a call cannot be vectorised, and GCC stops inlining plain `inline`
 * functions into a kernel that has grown past its limits (the loop then runs scalar,
 * with the same bits but several times slower). */
#if defined(__GNUC__)
#define VM_INLINE __attribute__((always_inline))
#else
#define VM_INLINE
#endif

static inline uint64_t vm_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double vm_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ln 2 split as in Cody & Waite: VM_LN2_HI has its low 21 bits zero, so k·VM_LN2_HI is
 * exact for |k| < 2^21, and VM_LN2_HI + VM_LN2_LO = ln 2 to about 2^-86. */
#define VM_LN2_HI 0x1.62e42feep-1
#define VM_LN2_LO 0x1.a39ef35793c76p-33
#define VM_ROUND 0x1.8p52 /* adding it rounds |t| < 2^51 to an integer in the low bits */

/* exp(x) = 2^k e^r with k = round(x / ln 2) and r = x − k ln 2, |r| <= ln2/2 = 0.347:
 *   e^r by its Taylor series to r^13 (truncation < r^14/14! < 4e-18 relative), summed
 *   by Horner from the small end so that the last step is 1 + r·q;
 *   2^k as the product of two powers of two 2^k1 2^k2, k1 = ⌊k/2⌋, so that both are
 *   normal doubles over the whole range k in [-1076, 1024] (results that underflow to
 *   subnormals or 0, or overflow to inf, come out of the last multiplication).
 * x is first clamped to [-746, 710], beyond which the result is 0 or inf anyway (NaN
 * fails both comparisons and passes through). */
static inline VM_INLINE double vm_exp(double x)
{
    x = x < -746.0 ? -746.0 : x;
    x = x > 710.0 ? 710.0 : x;
    const double t = x * 0x1.71547652b82fep0 + VM_ROUND; /* x log2(e) + 1.5·2^52 */
    const double kd = t - VM_ROUND;                      /* k, exactly */
    const double r = (x - kd * VM_LN2_HI) - kd * VM_LN2_LO;
    double q = 1.0 / 6227020800.0;                       /* 1/13! */
    q = q * r + 1.0 / 479001600.0;
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    q = q * r + 1.0;
    const double p = 1.0 + r * q; /* e^r */
    /* k + 2048 from the low bits of t (t's bits are those of 1.5·2^52 plus k), then
     * k1 + 1023 = ⌊(k + 2048)/2⌋ − 1 and k2 + 1023 = k + 1023 − k1 as exponent fields;
     * unsigned arithmetic only (no 64-bit arithmetic shift in SSE2). */
    const uint64_t kb = vm_bits(t) - vm_bits(VM_ROUND) + 2048u;
    const uint64_t e1 = (kb >> 1) - 1u;   /* k1 + 1023 */
    const uint64_t e2 = kb - 2048u - e1 + 2046u; /* k2 + 1023 = k − k1 + 1023 */
    return p * vm_double(e1 << 52) * vm_double(e2 << 52);
}

/* log(x) for x > 0: x = 2^e m with m in [√½, √2) (subnormal x scaled by 2^54 first),
 * f = m − 1, s = f / (2 + f), |s| <= 0.1716, w = s²:
 *   log(1 + f) = 2 atanh(s) = 2s + s R,  R = 2w/3 + 2w²/5 + … + 2w^10/21
 * (truncation < 2 w^11/23 < 1e-18), evaluated as f − (f²/2 − s (f²/2 + R)), which is
 * the same number (2s = f − s f and s f = f²/2 − s f²/2) with less rounding error;
 * then log x = e ln 2 + log m with ln 2 in two parts.  Non-positive, infinite and NaN
 * arguments are patched at the end. */
static inline VM_INLINE double vm_log(double x)
{
    const int tiny = x < 0x1p-1022;
    const double xs = tiny ? x * 0x1p54 : x;
    /* e + 1024 = the exponent of xs / √½ (a logical shift of biased bits) */
    const uint64_t u = vm_bits(xs);
    const uint64_t eb = (u - 0x3fe6a09e667f3bcdu + ((uint64_t)1024 << 52)) >> 52;
    const double m = vm_double(u - ((eb - 1024u) << 52)); /* wraps for e < 0, as meant */
    /* e as a double without an int64 conversion (none in SSE2): 2^52 + eb exactly */
    const double e = (vm_double(0x4330000000000000u | eb) - 0x1p52) - (tiny ? 1078.0 : 1024.0);
    const double f = m - 1.0;
    const double s = f / (2.0 + f), w = s * s;
    double q = 2.0 / 21.0;
    q = q * w + 2.0 / 19.0;
    q = q * w + 2.0 / 17.0;
    q = q * w + 2.0 / 15.0;
    q = q * w + 2.0 / 13.0;
    q = q * w + 2.0 / 11.0;
    q = q * w + 2.0 / 9.0;
    q = q * w + 2.0 / 7.0;
    q = q * w + 2.0 / 5.0;
    q = q * w + 2.0 / 3.0;
    const double R = q * w;
    const double hfsq = 0.5 * f * f;
    double y = e * VM_LN2_HI - ((hfsq - (s * (hfsq + R) + e * VM_LN2_LO)) - f);
    y = x == 1.0 / 0.0 ? x : y;                 /* log(inf) = inf */
    y = x == 0.0 ? -1.0 / 0.0 : y;              /* log(±0) = -inf */
    y = x < 0.0 ? 0.0 / 0.0 : y;                /* log(x < 0) = NaN */
    return x != x ? x : y;                      /* NaN stays NaN */
}

#endif
