/* bench_floor.c - the floor: how fast this machine produces the random numbers and the
 * exp/log evaluations that one trajectory-cycle of the model needs, and nothing else.
 *
 * Per trajectory-cycle the model draws 12 pcg32 outputs (five ziggurat normals of two
 * outputs each, two event draws) and evaluates 4 exp and 1 log (H, E, D and S* in
 * model_record, ln X).  Here that work runs in its best vectorised form: the generators
 * of a block of trajectories are stepped side by side as lanes (structure of arrays),
 * normals take the ziggurat's fast path only (table lookup, one multiply; the 1.5% slow
 * path is left out, which only lowers the floor), exp and log are vmath.h's
 * branch-free versions, and all of it sits in one `omp simd` loop.  No state is read or
 * written besides the generators, and no statistics are computed.
 *
 * usage: bench_floor N CYCLES THREADS [1 | 2 | kernels]
 * prints: "floor NS_PER_TRAJECTORY_CYCLE_PER_CORE SECONDS CHECKSUM FORM" (FORM: simd-loop,
 * or the instruction set of the kernels)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "isa.h"
#include "rng.h"
#include "rng_block.h"
#include "vmath.h"
#include "vmath_array.h"

enum { BLOCK = 1024 };

/* pcg32's output permutation of the old state (as rng_pcg32_next). */
static inline uint32_t xsh_rr(uint64_t old)
{
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* The ziggurat's fast path from two outputs (as rng_normal without the rare branch). */
static inline double zig_fast(uint64_t *s, uint64_t c)
{
    const uint64_t hi = xsh_rr(*s);
    *s = *s * RNG_PCG32_MULT + c;
    const uint64_t lo = xsh_rr(*s);
    *s = *s * RNG_PCG32_MULT + c;
    const uint64_t bits = (hi << 32) | lo;
    const double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
    return u * rng_zig_x[bits & (RNG_ZIG_LAYERS - 1u)];
}

/* One cycle of the floor work for trajectories [0, n) of a block. */
static double floor_block(uint64_t *restrict state, const uint64_t *restrict inc, size_t n)
{
    double sink = 0.0;
#pragma omp simd reduction(+ : sink)
    for (size_t i = 0; i < n; i++) {
        uint64_t s = state[i];
        const uint64_t c = inc[i];
        const double z0 = zig_fast(&s, c), z1 = zig_fast(&s, c), z2 = zig_fast(&s, c);
        const double z3 = zig_fast(&s, c), z4 = zig_fast(&s, c);
        const uint32_t ev1 = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        const uint32_t ev2 = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        state[i] = s;
        const double a = vm_exp(z0) + vm_exp(z1) + vm_exp(z2 + 20.0);
        const double d = vm_exp(-z3 * z3) * vm_log(a + z4 * z4);
        sink += d + (double)(ev1 < ev2);
    }
    return sink;
}

/* Model version 2 (`bench_floor N CYCLES THREADS 2`): per trajectory-cycle 18 pcg32
 * outputs (seven normals, four event outputs: model_advance's plan NNNNNNWWNWW), 10 exp
 * (H, E, V, σ(G), σ(G^w), A, D, M, p(Q^o) in model_record, the lab entry or exit in
 * model_advance) and 3 log (M, ln B, ln u) in the same best vectorised form. */
static double floor_block_v2(uint64_t *restrict state, const uint64_t *restrict inc, size_t n)
{
    double sink = 0.0;
#pragma omp simd reduction(+ : sink)
    for (size_t i = 0; i < n; i++) {
        uint64_t s = state[i];
        const uint64_t c = inc[i];
        const double z0 = zig_fast(&s, c), z1 = zig_fast(&s, c), z2 = zig_fast(&s, c);
        const double z3 = zig_fast(&s, c), z4 = zig_fast(&s, c), z5 = zig_fast(&s, c);
        uint32_t ev[4];
        ev[0] = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        ev[1] = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        const double z6 = zig_fast(&s, c);
        ev[2] = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        ev[3] = xsh_rr(s);
        s = s * RNG_PCG32_MULT + c;
        state[i] = s;
        const double a = vm_exp(z0) + vm_exp(z1) + vm_exp(z2 + 20.0) + vm_exp(z3) + vm_exp(-z4);
        const double b = vm_exp(z5) + vm_exp(-z6) + vm_exp(z0 * z1) + vm_exp(z2 * z3) +
                         vm_exp(z4 * z5);
        const double d = vm_log(a) + vm_log(b) + vm_log(a + z6 * z6);
        sink += d + (double)(ev[0] < ev[1]) + (double)(ev[2] < ev[3]);
    }
    return sink;
}

/* Model version 2 on the project's run-time vector kernels (`bench_floor N CYCLES THREADS
 * kernels`): the same numbers as floor_block_v2 (the plan NNNNNNWWNWW of model_advance,
 * the slow path of the ziggurat included, 10 exp and 3 log per trajectory-cycle), made
 * by rng_block_draw and vmath_array_exp / _log on the widest instruction set this CPU
 * runs (GAPSIM_ISA forces one), in chunks of CHUNK trajectories whose arrays stay in
 * L1.  This is the floor the model's kernels could reach if nothing else were done. */
enum { CHUNK = 128, PLAN_DRAWS = 11, EXPS = 10, LOGS = 3 };

static double floor_block_kernels(isa_level isa, const rng_block_plan *plan, rng_pcg32 *rng,
                                  size_t n)
{
    double z[PLAN_DRAWS][CHUNK], x[EXPS][CHUNK], y[EXPS][CHUNK], lx[LOGS][CHUNK],
        ly[LOGS][CHUNK];
    double *out[PLAN_DRAWS];
    for (int j = 0; j < PLAN_DRAWS; j++) out[j] = z[j];
    double sink = 0.0;
    for (size_t c0 = 0; c0 < n; c0 += CHUNK) {
        const size_t m = n - c0 < CHUNK ? n - c0 : CHUNK;
        rng_block_draw(isa, plan, rng + c0, m, NULL, out);
        for (size_t i = 0; i < m; i++) { /* arguments as floor_block_v2 forms them */
            x[0][i] = z[0][i], x[1][i] = z[1][i], x[2][i] = z[2][i] + 20.0;
            x[3][i] = z[3][i], x[4][i] = -z[4][i], x[5][i] = z[5][i], x[6][i] = -z[8][i];
            x[7][i] = z[0][i] * z[1][i], x[8][i] = z[2][i] * z[3][i];
            x[9][i] = z[4][i] * z[5][i];
        }
        for (int e = 0; e < EXPS; e++) vmath_array_exp(isa, y[e], x[e], m);
        for (size_t i = 0; i < m; i++) {
            lx[0][i] = y[0][i] + y[1][i] + y[2][i] + y[3][i] + y[4][i];
            lx[1][i] = y[5][i] + y[6][i] + y[7][i] + y[8][i] + y[9][i];
            lx[2][i] = lx[0][i] + z[8][i] * z[8][i];
        }
        for (int l = 0; l < LOGS; l++) vmath_array_log(isa, ly[l], lx[l], m);
        for (size_t i = 0; i < m; i++)
            sink += ly[0][i] + ly[1][i] + ly[2][i] + (double)(z[6][i] < z[7][i]) +
                    (double)(z[9][i] < z[10][i]);
    }
    return sink;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bench_floor N CYCLES THREADS [MODEL_VERSION]\n");
        return 2;
    }
    const int kernels = argc == 5 && argv[4][0] == 'k';
    const int v2 = argc == 5 && (atoi(argv[4]) == 2 || kernels);
    isa_level isa = ISA_PORTABLE;
    rng_block_plan plan;
    gs_error err;
    if (kernels && (isa_from_env(&isa, &err) != GS_OK ||
                    rng_block_plan_parse(&plan, "NNNNNNWWNWW", &err) != GS_OK)) {
        fprintf(stderr, "bench_floor: %s\n", err.msg);
        return 2;
    }
    isa = isa_runnable(isa);
    const size_t n = strtoull(argv[1], NULL, 10);
    const int cycles = atoi(argv[2]), threads = atoi(argv[3]);
    uint64_t *state = malloc(n * sizeof *state), *inc = malloc(n * sizeof *inc);
    rng_pcg32 *gen = kernels ? malloc(n * sizeof *gen) : NULL;
    if (!state || !inc || (kernels && !gen) || n == 0 || cycles < 1 || threads < 1) return 1;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < n; i++) {
        rng_pcg32 r;
        rng_stream(&r, 1, 0, i);
        state[i] = r.state;
        inc[i] = r.inc;
        if (gen) gen[i] = r;
    }
    double sink = 0.0;
    const double t0 = omp_get_wtime();
    for (int k = 0; k < cycles; k++) {
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : sink)
        for (size_t first = 0; first < n; first += BLOCK) {
            const size_t cnt = n - first < BLOCK ? n - first : BLOCK;
            sink += kernels ? floor_block_kernels(isa, &plan, gen + first, cnt)
                            : (v2 ? floor_block_v2 : floor_block)(state + first, inc + first, cnt);
        }
    }
    const double t = omp_get_wtime() - t0;
    printf("floor %.3f %.4f %.6g %s\n", t * threads / ((double)n * cycles) * 1e9, t, sink,
           kernels ? isa_name(isa) : "simd-loop");
    free(gen);
    free(state);
    free(inc);
    return 0;
}
