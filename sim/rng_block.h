/* rng_block.h - a block of trajectories draws its per-cycle random numbers at once.
 *
 * Each trajectory i of a block owns its generator rng[i] (rng.h); per cycle it draws a
 * fixed sequence of m numbers, the *plan*, e.g. "NNNNNNUUUU" for six normals then four
 * uniforms.  rng_block_draw writes draw j of trajectory i to out[j][i] (structure of
 * arrays) and leaves every generator as if the trajectory had called, in plan order,
 *     out[j][i] = rng_normal(&rng[i])    for kind N,
 *     out[j][i] = rng_uniform(&rng[i])   for kind U,
 *     out[j][i] = rng_pcg32_next(&rng[i]) for kind W (as a double; one generator step),
 * bit for bit, values and generator states, whatever isa_level runs it.  The AVX2 and
 * AVX-512 paths step 4 or 8 trajectories' pcg32 streams side by side in vector
 * registers and take the ziggurat's fast path as vector operations; a lane whose
 * normal misses the rectangle of its layer (1.5% of normals: the tail or a wedge) is
 * finished by rng_normal_slow on that lane's generator, so the numbers are the same.
 *
 * Antithetic variates: mirror is NULL, or mirror[i] != 0 marks trajectory i as an
 * antithetic partner; the caller has made rng[i] a copy of its partner's generator (as
 * the engine does today), so it draws exactly the same bits, and it writes
 *     -z      for a normal z   (exact negation: the sign bit flipped; +0 becomes -0),
 *     1 - u   for a uniform u  (exact: u = k 2^-53, 1 - u = (2^53 - k) 2^-53, in (0, 1]).
 *
 * Integration into a model loop: draw the block's cycle with one call into a scratch
 * buffer of m x n doubles (m pointers in out), then run the vectorised model loop over
 * out[0..m)[i].  With a block of 1024 trajectories and m = 10 the scratch is 80 KB.
 */
#ifndef GAPSIM_RNG_BLOCK_H
#define GAPSIM_RNG_BLOCK_H

#include <stddef.h>

#include "error.h"
#include "isa.h"
#include "rng.h"

enum { RNG_BLOCK_MAX_DRAWS = 64 };

typedef enum {
    RNG_DRAW_NORMAL = 'N',  /* rng_normal: N(0, 1) by the 256-layer ziggurat */
    RNG_DRAW_UNIFORM = 'U', /* rng_uniform: [0, 1) with 53 random bits */
    RNG_DRAW_WORD = 'W',    /* one 32-bit output x of rng_pcg32_next, as the double x
                               (exact); mirrored: 2^32 - 1 - x (x with its bits flipped) */
} rng_draw_kind;

/* The draws of one trajectory-cycle, in order: kind[0 .. count). */
typedef struct {
    unsigned count;
    unsigned char kind[RNG_BLOCK_MAX_DRAWS]; /* rng_draw_kind values */
} rng_block_plan;

/* Sets plan from a string of 'N', 'U' and 'W' ("NNNNNNUUUU"); GS_ERR_INPUT (plan
 * unchanged) if the string is empty, longer than RNG_BLOCK_MAX_DRAWS or holds
 * another character. */
gs_status rng_block_plan_parse(rng_block_plan *plan, const char *spec, gs_error *err);

/* Draws plan->count numbers for each of the n trajectories with generators rng[0..n)
 * into out[j][0..n) (out holds plan->count pointers to arrays of n doubles, owned by
 * the caller; the arrays must not overlap each other or rng) and advances the
 * generators, as described above, with the kernels of `isa`.  isa must be one the CPU
 * runs (isa_supported; isa_choose or isa_from_env give one); a level beyond the
 * kernels compiled in falls back to the widest one below it.  Returns the number of
 * normals that left the ziggurat's fast path (tail or wedge; the same for every isa),
 * for tests and statistics. */
size_t rng_block_draw(isa_level isa, const rng_block_plan *plan, rng_pcg32 *rng, size_t n,
                      const unsigned char *mirror, double *const *out);

/* The number of trajectories the kernels of isa step side by side (1, 4 or 8). */
unsigned rng_block_lanes(isa_level isa);

#endif
