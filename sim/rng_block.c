/* rng_block.c - per-cycle draws of a block of trajectories, portable and vector paths.
 *
 * The contract (rng_block.h) is the portable path, draw_portable: each trajectory in
 * turn draws its plan with rng.h's rng_normal and rng_uniform.  The vector paths compute
 * the same numbers lane by lane with exact operations only, so they agree bit for bit:
 *
 *   pcg32 step      s' = a s + c (mod 2^64).  AVX-512DQ multiplies 64-bit lanes
 *                   (vpmullq); AVX2 has only 32 x 32 -> 64 (vpmuludq), so with
 *                   s = s_h 2^32 + s_l and a = a_h 2^32 + a_l
 *                       a s = a_l s_l + ((a_l s_h + a_h s_l) mod 2^32) 2^32  (mod 2^64).
 *   XSH RR output   x = ((s >> 18) ^ s) >> 27 (low 32 bits), rot = s >> 59,
 *                   out = x rotated right by rot: AVX-512 rotates 32-bit lanes
 *                   (vprorvd); AVX2 shifts the 64-bit word (x, x) right by rot.
 *   53-bit k        k = bits >> 11 < 2^53 as a double, exactly: AVX-512DQ converts
 *                   unsigned 64-bit lanes (vcvtuqq2pd); AVX2 adds the exact doubles of
 *                   the high 21 and low 32 bits, each made by or-ing the bits into the
 *                   mantissa of 2^84 or 2^52 and subtracting that power of two.
 *   normal          layer = bits & 255, u = k 2^-52 - 1 (exact), fast path if
 *                   |u| < ratio[layer] (two table lookups: vgatherqpd on AVX-512,
 *                   scalar loads on AVX2), z = u x[layer] (one IEEE
 *                   multiply, as the scalar code); a lane that misses the fast path is
 *                   finished by rng_normal_slow(lane's generator, bits), the scalar code,
 *                   and its state is put back into the vector.
 *   uniform         u = k 2^-53 (exact).
 *   mirror          -z by flipping the sign bit, 1 - u (exact).
 * No fused multiply-add anywhere (none is asked for, and the Makefile compiles this file
 * with -ffp-contract=off).  Trajectories beyond the last whole group of lanes go
 * through the portable path.
 */
#include "rng_block.h"

/* No contraction into fused multiply-adds (they would change the bits): GCC has it off
 * in ISO C mode and the Makefile says -ffp-contract=off; Clang contracts by default, and
 * its avx512f target implies FMA, so say it here too (GCC would warn about the pragma). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>

gs_status rng_block_plan_parse(rng_block_plan *plan, const char *spec, gs_error *err)
{
    size_t len = spec ? strlen(spec) : 0;
    GS_RETURN_IF(len == 0 || len > RNG_BLOCK_MAX_DRAWS, err, GS_ERR_INPUT,
                 "draw plan '%s': needs 1 to %d draws", spec ? spec : "(null)",
                 RNG_BLOCK_MAX_DRAWS);
    for (size_t j = 0; j < len; j++)
        GS_RETURN_IF(spec[j] != RNG_DRAW_NORMAL && spec[j] != RNG_DRAW_UNIFORM &&
                         spec[j] != RNG_DRAW_WORD,
                     err, GS_ERR_INPUT, "draw plan '%s': draw %zu is '%c', not N, U or W", spec,
                     j + 1, spec[j]);
    plan->count = (unsigned)len;
    memcpy(plan->kind, spec, len);
    return GS_OK;
}

/* ---------------------------------------------------------------------------------
 * Portable path: the definition.
 * ------------------------------------------------------------------------------ */

/* Trajectories [first, n): rng_normal (written out, to count its slow path) and
 * rng_uniform in plan order, mirrored where asked.  Returns the slow-path count. */
static size_t draw_portable(const rng_block_plan *plan, rng_pcg32 *rng, size_t first,
                            size_t n, const unsigned char *mirror, double *const *out)
{
    size_t slow = 0;
    for (size_t i = first; i < n; i++) {
        rng_pcg32 *r = &rng[i];
        const int mirrored = mirror != NULL && mirror[i] != 0;
        for (unsigned j = 0; j < plan->count; j++) {
            double x;
            if (plan->kind[j] == RNG_DRAW_NORMAL) {
                /* rng_normal, as in rng.h */
                const uint64_t bits = rng_pcg32_next64(r);
                const unsigned layer = (unsigned)(bits & (RNG_ZIG_LAYERS - 1u));
                const double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
                if (__builtin_expect(fabs(u) < rng_zig_ratio[layer], 1)) {
                    x = u * rng_zig_x[layer];
                } else {
                    slow++;
                    x = rng_normal_slow(r, bits);
                }
                x = mirrored ? -x : x;
            } else if (plan->kind[j] == RNG_DRAW_WORD) {
                x = (double)(rng_pcg32_next(r) ^ (mirrored ? UINT32_MAX : 0u));
            } else {
                x = rng_uniform(r);
                x = mirrored ? 1.0 - x : x;
            }
            out[j][i] = x;
        }
    }
    return slow;
}

/* ---------------------------------------------------------------------------------
 * Vector paths (x86-64 with GCC or Clang: target attributes and <immintrin.h>).
 * ------------------------------------------------------------------------------ */

#if defined(__x86_64__) && defined(__GNUC__)
#define RNG_BLOCK_X86 1
#include <immintrin.h>

#define MULT_LO ((long long)(RNG_PCG32_MULT & 0xffffffffu))
#define MULT_HI ((long long)(RNG_PCG32_MULT >> 32))
#define SIGN_BIT ((long long)0x8000000000000000ULL)

/* Finishes the normals of the lanes not in fast_mask (bit l set = lane l took the fast
 * path) with the scalar slow path: z[l] and state[l] are updated in place. */
__attribute__((noinline, cold)) static size_t finish_slow_lanes(unsigned lanes, unsigned fast_mask, uint64_t *state,
                                const uint64_t *inc, const uint64_t *bits, double *z)
{
    size_t slow = 0;
    for (unsigned l = 0; l < lanes; l++) {
        if (fast_mask >> l & 1u)
            continue;
        rng_pcg32 g = {state[l], inc[l]};
        z[l] = rng_normal_slow(&g, bits[l]);
        state[l] = g.state;
        slow++;
    }
    return slow;
}

/* --- AVX2: 4 lanes --------------------------------------------------------------- */

#define AVX2 ISA_TARGET_AVX2

AVX2 static inline __m256i lcg_step_avx2(__m256i s, __m256i inc)
{
    const __m256i a_lo = _mm256_set1_epi64x(MULT_LO), a_hi = _mm256_set1_epi64x(MULT_HI);
    const __m256i low = _mm256_mul_epu32(s, a_lo);
    const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(s, 32), a_lo),
                                           _mm256_mul_epu32(s, a_hi));
    return _mm256_add_epi64(_mm256_add_epi64(low, _mm256_slli_epi64(cross, 32)), inc);
}

/* XSH RR of s in the low 32 bits of each lane (the high 32 bits are not meaningful). */
AVX2 static inline __m256i xsh_rr_avx2(__m256i s)
{
    const __m256i x = _mm256_srli_epi64(_mm256_xor_si256(_mm256_srli_epi64(s, 18), s), 27);
    const __m256i xx = _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 2, 0, 0)); /* (x, x) */
    return _mm256_srlv_epi64(xx, _mm256_srli_epi64(s, 59));
}

/* Two outputs as one 64-bit word, high word first (rng_pcg32_next64); steps *s twice. */
AVX2 static inline __m256i next64_avx2(__m256i *s, __m256i inc)
{
    const __m256i hi = xsh_rr_avx2(*s);
    *s = lcg_step_avx2(*s, inc);
    const __m256i lo = xsh_rr_avx2(*s);
    *s = lcg_step_avx2(*s, inc);
    return _mm256_blend_epi32(lo, _mm256_slli_epi64(hi, 32), 0xaa);
}

/* One 32-bit output per lane (rng_pcg32_next), flipped in the lanes of flip (all ones
 * there), as an exact double; steps *s once. */
AVX2 static inline __m256d word_avx2(__m256i *s, __m256i inc, __m256i flip)
{
    const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
    const __m256i w = _mm256_and_si256(_mm256_xor_si256(xsh_rr_avx2(*s), flip), low32);
    *s = lcg_step_avx2(*s, inc);
    return _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(w, _mm256_set1_epi64x(0x4330000000000000LL))),
        _mm256_set1_pd(0x1.0p52));
}

/* (double)(bits >> 11), exactly. */
AVX2 static inline __m256d top53_avx2(__m256i bits)
{
    const __m256i k = _mm256_srli_epi64(bits, 11);
    const __m256i low = _mm256_and_si256(k, _mm256_set1_epi64x(0xffffffffLL));
    const __m256d d_low = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(low, _mm256_set1_epi64x(0x4330000000000000LL))),
        _mm256_set1_pd(0x1.0p52));
    const __m256d d_high = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(k, 32),
                                            _mm256_set1_epi64x(0x4530000000000000LL))),
        _mm256_set1_pd(0x1.0p84));
    return _mm256_add_pd(d_high, d_low);
}

/* The ziggurat's fast path on 4 lanes: z = u x[layer], and in *fast the lanes where it
 * is the answer (|u| < ratio[layer]). */
AVX2 static inline __m256d normal_fast_avx2(__m256i bits, unsigned *fast)
{
    const __m256i layer = _mm256_and_si256(bits, _mm256_set1_epi64x(RNG_ZIG_LAYERS - 1));
    const __m256d u = _mm256_sub_pd(_mm256_mul_pd(top53_avx2(bits), _mm256_set1_pd(0x1.0p-52)),
                                    _mm256_set1_pd(1.0));
    const __m256d abs_u = _mm256_andnot_pd(_mm256_set1_pd(-0.0), u);
    /* Table lookups by four scalar loads per table rather than vgatherqpd: 8% faster on
     * AMD Zen 3, whose gathers are slow (measured with bench_rng_block). */
    const __m128i l01 = _mm256_castsi256_si128(layer), l23 = _mm256_extracti128_si256(layer, 1);
    const size_t i0 = (size_t)_mm_cvtsi128_si64(l01), i1 = (size_t)_mm_extract_epi64(l01, 1);
    const size_t i2 = (size_t)_mm_cvtsi128_si64(l23), i3 = (size_t)_mm_extract_epi64(l23, 1);
    const __m256d ratio = _mm256_set_pd(rng_zig_ratio[i3], rng_zig_ratio[i2], rng_zig_ratio[i1],
                                        rng_zig_ratio[i0]);
    *fast = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(abs_u, ratio, _CMP_LT_OQ));
    return _mm256_mul_pd(u, _mm256_set_pd(rng_zig_x[i3], rng_zig_x[i2], rng_zig_x[i1], rng_zig_x[i0]));
}

/* The lanes not in `fast` finish their normal on the scalar slow path: the vectors go
 * through memory to finish_slow_lanes (out of line) and come back, lane by lane (64-bit
 * loads of the 64-bit stores the scalar code made: one 256-bit load of four of them
 * could not be forwarded from the store buffer and would stall the generator chain). */
#define NORMAL_SLOW_AVX2(slow, s, inc, bits, x, fast)                                    \
    do {                                                                                 \
        uint64_t st_[4], in_[4], b_[4];                                                  \
        double z_[4];                                                                    \
        _mm256_storeu_si256((__m256i *)st_, s);                                          \
        _mm256_storeu_si256((__m256i *)in_, inc);                                        \
        _mm256_storeu_si256((__m256i *)b_, bits);                                        \
        _mm256_storeu_pd(z_, x);                                                         \
        slow += finish_slow_lanes(4, fast, st_, in_, b_, z_);                            \
        s = _mm256_set_epi64x((long long)st_[3], (long long)st_[2], (long long)st_[1],   \
                              (long long)st_[0]);                                        \
        x = _mm256_set_pd(z_[3], z_[2], z_[1], z_[0]);                                   \
    } while (0)

/* Loads the states and increments of rng[i .. i+4). */
AVX2 static inline void load_avx2(const rng_pcg32 *rng, __m256i *s, __m256i *inc)
{
    *s = _mm256_set_epi64x((long long)rng[3].state, (long long)rng[2].state,
                           (long long)rng[1].state, (long long)rng[0].state);
    *inc = _mm256_set_epi64x((long long)rng[3].inc, (long long)rng[2].inc,
                             (long long)rng[1].inc, (long long)rng[0].inc);
}

AVX2 static inline void store_avx2(rng_pcg32 *rng, __m256i s)
{
    uint64_t st[4];
    _mm256_storeu_si256((__m256i *)st, s);
    for (unsigned l = 0; l < 4; l++) rng[l].state = st[l];
}

/* All ones in the lanes of mirrored trajectories mirror[0 .. 4). */
AVX2 static inline __m256i mirror_mask_avx2(const unsigned char *mirror)
{
    if (mirror == NULL)
        return _mm256_setzero_si256();
    int32_t flags;
    memcpy(&flags, mirror, sizeof flags);
    const __m256i m = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(flags));
    return _mm256_xor_si256(_mm256_cmpeq_epi64(m, _mm256_setzero_si256()),
                            _mm256_set1_epi64x(-1));
}

/* Groups of 8 trajectories as two independent vectors of 4 (a and b), so that one's
 * generator steps overlap the other's; then one group of 4; the rest portable. */
AVX2 static size_t draw_avx2(const rng_block_plan *plan, rng_pcg32 *rng, size_t n,
                             const unsigned char *mirror, double *const *out)
{
    const __m256i sign = _mm256_set1_epi64x(SIGN_BIT);
    const __m256d one = _mm256_set1_pd(1.0);
    size_t slow = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i sa, inca, sb, incb;
        load_avx2(rng + i, &sa, &inca);
        load_avx2(rng + i + 4, &sb, &incb);
        const __m256i mir_a = mirror_mask_avx2(mirror ? mirror + i : NULL);
        const __m256i mir_b = mirror_mask_avx2(mirror ? mirror + i + 4 : NULL);
        const __m256d flip_a = _mm256_castsi256_pd(_mm256_and_si256(mir_a, sign));
        const __m256d flip_b = _mm256_castsi256_pd(_mm256_and_si256(mir_b, sign));
        for (unsigned j = 0; j < plan->count; j++) {
            if (plan->kind[j] == RNG_DRAW_WORD) {
                _mm256_storeu_pd(out[j] + i, word_avx2(&sa, inca, mir_a));
                _mm256_storeu_pd(out[j] + i + 4, word_avx2(&sb, incb, mir_b));
                continue;
            }
            const __m256i bits_a = next64_avx2(&sa, inca), bits_b = next64_avx2(&sb, incb);
            __m256d xa, xb;
            if (plan->kind[j] == RNG_DRAW_NORMAL) {
                unsigned fast_a, fast_b;
                xa = normal_fast_avx2(bits_a, &fast_a);
                xb = normal_fast_avx2(bits_b, &fast_b);
                if (__builtin_expect((fast_a & fast_b) != 0xfu, 0)) {
                    if (fast_a != 0xfu) NORMAL_SLOW_AVX2(slow, sa, inca, bits_a, xa, fast_a);
                    if (fast_b != 0xfu) NORMAL_SLOW_AVX2(slow, sb, incb, bits_b, xb, fast_b);
                }
                xa = _mm256_xor_pd(xa, flip_a);
                xb = _mm256_xor_pd(xb, flip_b);
            } else {
                const __m256d ua = _mm256_mul_pd(top53_avx2(bits_a), _mm256_set1_pd(0x1.0p-53));
                const __m256d ub = _mm256_mul_pd(top53_avx2(bits_b), _mm256_set1_pd(0x1.0p-53));
                xa = _mm256_blendv_pd(ua, _mm256_sub_pd(one, ua), _mm256_castsi256_pd(mir_a));
                xb = _mm256_blendv_pd(ub, _mm256_sub_pd(one, ub), _mm256_castsi256_pd(mir_b));
            }
            _mm256_storeu_pd(out[j] + i, xa);
            _mm256_storeu_pd(out[j] + i + 4, xb);
        }
        store_avx2(rng + i, sa);
        store_avx2(rng + i + 4, sb);
    }
    for (; i + 4 <= n; i += 4) {
        __m256i s, inc;
        load_avx2(rng + i, &s, &inc);
        const __m256i mir = mirror_mask_avx2(mirror ? mirror + i : NULL);
        const __m256d flip = _mm256_castsi256_pd(_mm256_and_si256(mir, sign));
        for (unsigned j = 0; j < plan->count; j++) {
            if (plan->kind[j] == RNG_DRAW_WORD) {
                _mm256_storeu_pd(out[j] + i, word_avx2(&s, inc, mir));
                continue;
            }
            const __m256i bits = next64_avx2(&s, inc);
            __m256d x;
            if (plan->kind[j] == RNG_DRAW_NORMAL) {
                unsigned fast;
                x = normal_fast_avx2(bits, &fast);
                if (__builtin_expect(fast != 0xfu, 0))
                    NORMAL_SLOW_AVX2(slow, s, inc, bits, x, fast);
                x = _mm256_xor_pd(x, flip);
            } else {
                const __m256d u = _mm256_mul_pd(top53_avx2(bits), _mm256_set1_pd(0x1.0p-53));
                x = _mm256_blendv_pd(u, _mm256_sub_pd(one, u), _mm256_castsi256_pd(mir));
            }
            _mm256_storeu_pd(out[j] + i, x);
        }
        store_avx2(rng + i, s);
    }
    return slow + draw_portable(plan, rng, i, n, mirror, out);
}

/* --- AVX-512 F + DQ: 8 lanes ------------------------------------------------------ */

#define AVX512 ISA_TARGET_AVX512

/* Two outputs as one 64-bit word, high word first; steps *s twice.  The XSH RR output
 * sits in the low 32 bits of each lane after the 32-bit rotate. */
AVX512 static inline __m512i next64_avx512(__m512i *s, __m512i inc)
{
    const __m512i mult = _mm512_set1_epi64((long long)RNG_PCG32_MULT);
    __m512i x = _mm512_srli_epi64(_mm512_xor_si512(_mm512_srli_epi64(*s, 18), *s), 27);
    const __m512i hi = _mm512_rorv_epi32(x, _mm512_srli_epi64(*s, 59));
    *s = _mm512_add_epi64(_mm512_mullo_epi64(*s, mult), inc);
    x = _mm512_srli_epi64(_mm512_xor_si512(_mm512_srli_epi64(*s, 18), *s), 27);
    const __m512i lo = _mm512_rorv_epi32(x, _mm512_srli_epi64(*s, 59));
    *s = _mm512_add_epi64(_mm512_mullo_epi64(*s, mult), inc);
    return _mm512_mask_blend_epi32(0xaaaa, lo, _mm512_slli_epi64(hi, 32));
}

/* One gather of table[index] per lane.  Without optimisation GCC's avx512fintrin.h
 * defines _mm512_i64gather_pd as a macro that passes the mask (__mmask8)0xFF to a `char`
 * parameter of the builtin, which -Wsign-conversion (part of -Wconversion) reports at
 * every use; the warning is the header's, so it is silenced here, at one use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
AVX512 static inline __m512d gather_avx512(__m512i index, const double *table)
{
    return _mm512_i64gather_pd(index, table, 8);
}
#pragma GCC diagnostic pop

AVX512 static size_t draw_avx512(const rng_block_plan *plan, rng_pcg32 *rng, size_t n,
                                 const unsigned char *mirror, double *const *out)
{
    size_t slow = 0, i = 0;
    const __m512i lane_pair = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    for (; i + 8 <= n; i += 8) {
        /* rng[i .. i+8) is (state, inc) x 8: even words are states, odd ones increments */
        const __m512i w0 = _mm512_loadu_si512((const void *)&rng[i]);
        const __m512i w1 = _mm512_loadu_si512((const void *)&rng[i + 4]);
        __m512i s = _mm512_permutex2var_epi64(w0, lane_pair, w1);
        const __m512i inc = _mm512_permutex2var_epi64(
            w0, _mm512_add_epi64(lane_pair, _mm512_set1_epi64(1)), w1);
        __mmask8 mirrored = 0;
        if (mirror != NULL) {
            const __m512i m = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(mirror + i)));
            mirrored = _mm512_test_epi64_mask(m, m);
        }
        for (unsigned j = 0; j < plan->count; j++) {
            if (plan->kind[j] == RNG_DRAW_WORD) {
                /* one output: XSH RR in the low 32 bits, flipped where mirrored */
                const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
                const __m512i xs = _mm512_srli_epi64(_mm512_xor_si512(_mm512_srli_epi64(s, 18), s), 27);
                __m512i w = _mm512_and_si512(_mm512_rorv_epi32(xs, _mm512_srli_epi64(s, 59)), low32);
                w = _mm512_mask_xor_epi64(w, mirrored, w, low32);
                s = _mm512_add_epi64(_mm512_mullo_epi64(s, _mm512_set1_epi64((long long)RNG_PCG32_MULT)), inc);
                _mm512_storeu_pd(out[j] + i, _mm512_cvtepu64_pd(w));
                continue;
            }
            const __m512i bits = next64_avx512(&s, inc);
            const __m512d k = _mm512_cvtepu64_pd(_mm512_srli_epi64(bits, 11));
            __m512d x;
            if (plan->kind[j] == RNG_DRAW_NORMAL) {
                const __m512i layer = _mm512_and_si512(bits, _mm512_set1_epi64(RNG_ZIG_LAYERS - 1));
                const __m512d u = _mm512_sub_pd(_mm512_mul_pd(k, _mm512_set1_pd(0x1.0p-52)),
                                                _mm512_set1_pd(1.0));
                const __m512d abs_u = _mm512_andnot_pd(_mm512_set1_pd(-0.0), u);
                const __m512d ratio = gather_avx512(layer, rng_zig_ratio);
                const unsigned fast = (unsigned)_mm512_cmp_pd_mask(abs_u, ratio, _CMP_LT_OQ);
                x = _mm512_mul_pd(u, gather_avx512(layer, rng_zig_x));
                if (__builtin_expect(fast != 0xffu, 0)) {
                    uint64_t st[8], in[8], b[8];
                    double z[8];
                    _mm512_storeu_si512((void *)st, s);
                    _mm512_storeu_si512((void *)in, inc);
                    _mm512_storeu_si512((void *)b, bits);
                    _mm512_storeu_pd(z, x);
                    slow += finish_slow_lanes(8, fast, st, in, b, z);
                    s = _mm512_loadu_si512((const void *)st);
                    x = _mm512_loadu_pd(z);
                }
                x = _mm512_castsi512_pd(_mm512_mask_xor_epi64(
                    _mm512_castpd_si512(x), mirrored, _mm512_castpd_si512(x),
                    _mm512_set1_epi64(SIGN_BIT)));
            } else {
                const __m512d u = _mm512_mul_pd(k, _mm512_set1_pd(0x1.0p-53));
                x = _mm512_mask_sub_pd(u, mirrored, _mm512_set1_pd(1.0), u);
            }
            _mm512_storeu_pd(out[j] + i, x);
        }
        uint64_t st[8];
        _mm512_storeu_si512((void *)st, s);
        for (unsigned l = 0; l < 8; l++) rng[i + l].state = st[l];
    }
    return slow + draw_portable(plan, rng, i, n, mirror, out);
}
#endif /* x86-64 */

/* ---------------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------------ */

unsigned rng_block_lanes(isa_level isa)
{
    static const unsigned lanes[ISA_COUNT] = {1u, 4u, 8u};
    return lanes[isa_runnable(isa)];
}

size_t rng_block_draw(isa_level isa, const rng_block_plan *plan, rng_pcg32 *rng, size_t n,
                      const unsigned char *mirror, double *const *out)
{
    switch (isa_runnable(isa)) {
#ifdef RNG_BLOCK_X86
    case ISA_AVX512:
        return draw_avx512(plan, rng, n, mirror, out);
    case ISA_AVX2:
        return draw_avx2(plan, rng, n, mirror, out);
#endif
    default:
        return draw_portable(plan, rng, 0, n, mirror, out);
    }
}
