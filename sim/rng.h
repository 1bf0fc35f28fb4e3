/* rng.h - PCG random numbers: one explicit generator per trajectory.
 *
 * Variant: PCG-XSH-RR with 64-bit state and 32-bit output ("pcg32",
 * pcg_setseq_64_xsh_rr_32 in pcg-c, pcg32 in pcg-cpp), selectable stream.
 * (Reason for the choice: see rng.c.)
 *
 * No global state: the caller owns every rng_pcg32.  All functions are thread-safe
 * on distinct generators.
 */
#ifndef GAPSIM_RNG_H
#define GAPSIM_RNG_H

#include <math.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct {
    uint64_t state; /* LCG state */
    uint64_t inc;   /* stream increment, always odd */
} rng_pcg32;

#define RNG_PCG32_MULT 6364136223846793005ULL

/* Seeds exactly as pcg-cpp's `pcg32 rng(initstate, initseq)` and pcg-c's
 * pcg32_srandom_r(&rng, initstate, initseq). */
void rng_pcg32_seed(rng_pcg32 *r, uint64_t initstate, uint64_t initseq);

/* Next 32-bit output (advance, then permute the old state: XSH RR). */
static inline uint32_t rng_pcg32_next(rng_pcg32 *r)
{
    uint64_t old = r->state;
    r->state = old * RNG_PCG32_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Two outputs as one 64-bit word, high word first. */
static inline uint64_t rng_pcg32_next64(rng_pcg32 *r)
{
    uint64_t hi = rng_pcg32_next(r);
    return (hi << 32) | rng_pcg32_next(r);
}

/* Jumps ahead by delta steps in O(log delta) (Brown, "Random number generation with
 * arbitrary strides", 1994), as pcg-cpp's advance(). */
void rng_pcg32_advance(rng_pcg32 *r, uint64_t delta);

/* The generator of trajectory `trajectory` of a run with seed `seed`.  Depends on
 * nothing else (not on thread, block or rank), which makes runs reproducible bit for
 * bit whatever the parallel layout.  `point` selects an independent family of streams
 * (sweep points without common random numbers); 0 for a plain run. */
void rng_stream(rng_pcg32 *r, uint64_t seed, uint64_t point, uint64_t trajectory);

/* One line describing the generator and rng_stream's derivation (for the `rng`
 * attribute of output files). */
extern const char rng_scheme[];

/* Uniform double in [0, 1) with 53 random bits (two outputs, high word first). */
static inline double rng_uniform(rng_pcg32 *r)
{
    return (double)(rng_pcg32_next64(r) >> 11) * 0x1.0p-53;
}

/* Ziggurat tables and the rare path of rng_normal (defined and explained in rng.c).
 * Exported only for the inline fast path below and for the tests. */
enum { RNG_ZIG_LAYERS = 256 };
extern const double rng_zig_x[RNG_ZIG_LAYERS + 1];  /* layer widths x_i */
extern const double rng_zig_ratio[RNG_ZIG_LAYERS];  /* x_{i+1} / x_i */
extern const double rng_zig_f[RNG_ZIG_LAYERS + 1];  /* exp(-x_i^2 / 2) */
double rng_normal_slow(rng_pcg32 *r, uint64_t bits);

/* Standard normal deviate N(0,1): 256-layer ziggurat; 98.5% of calls return after two
 * outputs.  Deterministic given the generator.  The fast path (z inside the
 * rectangle of its layer) is inline; tail and wedges are in rng_normal_slow.
 * Bits of the 64-bit draw: 0..7 the layer, 11..63 the uniform u in [-1, 1). */
static inline double rng_normal(rng_pcg32 *r)
{
    uint64_t bits = rng_pcg32_next64(r);
    unsigned layer = (unsigned)(bits & (RNG_ZIG_LAYERS - 1u));
    double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
    if (__builtin_expect(fabs(u) < rng_zig_ratio[layer], 1))
        return u * rng_zig_x[layer];
    return rng_normal_slow(r, bits);
}

/* pcg32 as a GSL generator type: gsl_rng_alloc(rng_gsl_pcg32) gives a generator whose
 * gsl_rng_set(g, s) seeds it as rng_pcg32_seed(state, s, 0); gsl_rng_get is
 * rng_pcg32_next and gsl_rng_uniform is rng_uniform (two outputs).  Any GSL
 * distribution can draw from it. */
extern const gsl_rng_type *rng_gsl_pcg32;

/* The rng_pcg32 inside a gsl_rng of type rng_gsl_pcg32 (borrowed, owned by g);
 * NULL if g is NULL or of another type. */
rng_pcg32 *rng_gsl_state(gsl_rng *g);

#endif
