/* bench_rng_block.c - speed of the block draws (sim/rng_block.c) on each instruction set
 * this CPU runs, against today's scalar loop.
 *
 * N trajectories, each with its own pcg32 stream (rng_stream), draw CYCLES cycles of a
 * plan (default "NNNNNNUUUU": six normals and four uniforms per trajectory-cycle, the
 * version 2 model's draws), block by block of BLOCK trajectories into a scratch buffer
 * of plan-length x BLOCK doubles, as a model loop would use it.  Compared with
 *   scalar: the loop of model_advance today, trajectory by trajectory, rng_normal and
 *           rng_uniform inline into locals (summed so that the compiler keeps them).
 * Each figure is the best of REPS runs, on THREADS threads (OpenMP, blocks shared
 * statically), timed in CPU seconds of the process (all threads), so that "per core"
 * is draws per CPU second and other work on a shared machine distorts it less than
 * wall time would (it still shares caches and memory bandwidth).
 *
 * usage: bench_rng_block [N [CYCLES [THREADS [PLAN [BLOCK]]]]]
 *        defaults 1000000 16 1 NNNNNNUUUU 512
 * prints one line per path: "NAME Mdraws/s/core  ns/draw  x-scalar" and the ISA
 * that runs by default (GAPSIM_ISA, else the widest this CPU has); then, per level,
 * vmath_array's exp and log in ns per element (arrays of BLOCK doubles, in cache, one
 * thread).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <omp.h>

#include "isa.h"
#include "rng.h"
#include "rng_block.h"
#include "vmath_array.h"

enum { REPS = 3 };

/* CPU seconds used by the process so far (every thread). */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    size_t n, block;
    int cycles, threads;
    rng_block_plan plan;
    rng_pcg32 *rng;
} bench;

static void reseed(const bench *b)
{
    for (size_t i = 0; i < b->n; i++) rng_stream(&b->rng[i], 1, 0, i);
}

/* Today's loop: per trajectory the plan's draws in order, into locals. */
static double run_scalar(const bench *b, double *sink_out)
{
    reseed(b);
    double sink = 0.0;
    const double t0 = cpu_seconds();
    for (int k = 0; k < b->cycles; k++) {
#pragma omp parallel for schedule(static) num_threads(b->threads) reduction(+ : sink)
        for (size_t i = 0; i < b->n; i++) {
            rng_pcg32 *r = &b->rng[i];
            double s = 0.0;
            for (unsigned j = 0; j < b->plan.count; j++)
                s += b->plan.kind[j] == RNG_DRAW_NORMAL ? rng_normal(r)
                     : b->plan.kind[j] == RNG_DRAW_WORD ? (double)rng_pcg32_next(r)
                                                        : rng_uniform(r);
            sink += s;
        }
    }
    const double t = cpu_seconds() - t0;
    *sink_out = sink;
    return t;
}

/* The block draws with isa; returns seconds, or -1 if the scratch cannot be had. */
static double run_block(const bench *b, isa_level isa, double *sink_out)
{
    reseed(b);
    double sink = 0.0;
    int ok = 1;
    const double t0 = cpu_seconds();
#pragma omp parallel num_threads(b->threads) reduction(+ : sink) reduction(&& : ok)
    {
        double *scratch = malloc(b->block * b->plan.count * sizeof *scratch);
        double *out[RNG_BLOCK_MAX_DRAWS];
        ok = scratch != NULL;
        for (unsigned j = 0; ok && j < b->plan.count; j++) out[j] = scratch + j * b->block;
        for (int k = 0; ok && k < b->cycles; k++) {
#pragma omp for schedule(static)
            for (size_t first = 0; first < b->n; first += b->block) {
                const size_t len = b->n - first < b->block ? b->n - first : b->block;
                rng_block_draw(isa, &b->plan, b->rng + first, len, NULL, out);
                sink += out[0][0] + out[b->plan.count - 1][len - 1];
            }
        }
        free(scratch);
    }
    const double t = cpu_seconds() - t0;
    *sink_out = sink;
    return ok ? t : -1.0;
}

/* ns per element of vmath_array_exp and _log on isa (best of REPS), over n values. */
static void run_vmath(isa_level isa, size_t block, double *ns_exp, double *ns_log)
{
    enum { TOTAL = 20000000 };
    double *x = malloc(block * sizeof *x), *y = malloc(block * sizeof *y);
    *ns_exp = *ns_log = -1.0;
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    rng_pcg32 r;
    rng_stream(&r, 2, 0, 0);
    for (size_t i = 0; i < block; i++) x[i] = 0.05 + 10.0 * rng_uniform(&r);
    const size_t rounds = TOTAL / block + 1;
    for (int f = 0; f < 2; f++) {
        double best = 1e300;
        for (int rep = 0; rep < REPS; rep++) {
            const double t0 = cpu_seconds();
            for (size_t k = 0; k < rounds; k++) {
                if (f == 0)
                    vmath_array_exp(isa, y, x, block);
                else
                    vmath_array_log(isa, y, x, block);
                x[k % block] += y[(k * 7) % block] * 1e-300; /* keeps every round */
            }
            const double t = cpu_seconds() - t0;
            best = t < best ? t : best;
        }
        *(f == 0 ? ns_exp : ns_log) = best / ((double)rounds * (double)block) * 1e9;
    }
    free(x);
    free(y);
}

int main(int argc, char **argv)
{
    bench b;
    b.n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000u;
    b.cycles = argc > 2 ? atoi(argv[2]) : 16;
    b.threads = argc > 3 ? atoi(argv[3]) : 1;
    const char *spec = argc > 4 ? argv[4] : "NNNNNNUUUU";
    b.block = argc > 5 ? strtoull(argv[5], NULL, 10) : 512u;
    gs_error err;
    if (rng_block_plan_parse(&b.plan, spec, &err) != GS_OK) {
        fprintf(stderr, "bench_rng_block: %s\n", err.msg);
        return 2;
    }
    isa_level chosen;
    if (isa_from_env(&chosen, &err) != GS_OK) {
        fprintf(stderr, "bench_rng_block: %s\n", err.msg);
        return 2;
    }
    if (b.n == 0 || b.cycles < 1 || b.threads < 1 || b.block == 0) {
        fprintf(stderr, "usage: bench_rng_block [N [CYCLES [THREADS [PLAN [BLOCK]]]]]\n");
        return 2;
    }
    b.rng = malloc(b.n * sizeof *b.rng);
    if (!b.rng) return 1;
    const double draws = (double)b.n * b.cycles * b.plan.count;
    printf("rng_block: %zu trajectories x %d cycles, plan %s (%u draws), block %zu, %d thread%s;"
           " runs by default: %s (widest on this CPU: %s)\n",
           b.n, b.cycles, spec, b.plan.count, b.block, b.threads, b.threads > 1 ? "s" : "",
           isa_name(chosen), isa_name(isa_best()));

    double sink, best = 1e300;
    for (int r = 0; r < REPS; r++) {
        double t = run_scalar(&b, &sink);
        best = t < best ? t : best;
    }
    const double scalar = best;
    printf("%-9s %8.1f Mdraws/s/core %7.2f ns/draw %6.2fx scalar   (checksum %.6g)\n", "scalar",
           draws / scalar / 1e6, scalar / draws * 1e9, 1.0, sink);
    for (int l = ISA_PORTABLE; l < ISA_COUNT; l++) {
        if (!isa_supported((isa_level)l)) {
            printf("%-9s not run: this CPU lacks it\n", isa_name((isa_level)l));
            continue;
        }
        best = 1e300;
        for (int r = 0; r < REPS; r++) {
            double t = run_block(&b, (isa_level)l, &sink);
            if (t < 0) return 1;
            best = t < best ? t : best;
        }
        printf("%-9s %8.1f Mdraws/s/core %7.2f ns/draw %6.2fx scalar   (checksum %.6g)\n",
               isa_name((isa_level)l), draws / best / 1e6,
               best / draws * 1e9, scalar / best, sink);
    }
    for (int l = ISA_PORTABLE; l < ISA_COUNT; l++) {
        if (!isa_supported((isa_level)l))
            continue;
        double ns_exp, ns_log;
        run_vmath((isa_level)l, b.block, &ns_exp, &ns_log);
        printf("vmath_array %-9s exp %6.2f ns, log %6.2f ns per element (1 thread)\n",
               isa_name((isa_level)l), ns_exp, ns_log);
    }
    free(b.rng);
    return 0;
}
