/* test_rng.c - tests of the rng module (sim/rng.c).
 *
 * Tiers:
 *   exact        pcg32 bit for bit against pcg-cpp (the program tests/pcg_ref.cpp,
 *                path from $PCG_REF, else $BUILD/tests/pcg_ref, else
 *                build/tests/pcg_ref; a missing reference FAILS the test), golden
 *                values embedded here, advance(), rng_stream's documented formula,
 *                the ziggurat tables' defining equations, the GSL adapter;
 *   statistical  uniform and normal moments, tails, chi-square and Kolmogorov-Smirnov
 *                tests, stream independence; fixed seeds, tolerances stated in
 *                standard errors (SE) or as critical values with their level.
 */
#define _POSIX_C_SOURCE 200809L /* popen, pclose, access */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng.h"
#include "testutil.h"

/* Tolerance of the statistical tests, in standard errors. */
#define K_SE 5.0

/* |got - want| <= tol (this cmocka has no assert_double_equal). */
#define assert_close(got, want, tol)                                              \
    do {                                                                         \
        double got_ = (got), want_ = (want);                                     \
        if (!(fabs(got_ - want_) <= (tol)))                                      \
            fail_msg("%s = %.17g, expected %.17g within %g", #got, got_, want_,  \
                     (double)(tol));                                             \
    } while (0)

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------ */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of equal neighbours after sorting v (v is sorted in place). */
static size_t count_duplicates(uint64_t *v, size_t n)
{
    size_t dup = 0;
    qsort(v, n, sizeof *v, compare_u64);
    for (size_t i = 1; i < n; i++)
        dup += v[i] == v[i - 1];
    return dup;
}

/* The documented scheme of rng.c, written out independently of it. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const uint64_t GAMMA = 0x9e3779b97f4a7c15ULL;

static void scheme_seeds(uint64_t seed, uint64_t point, uint64_t traj,
                         uint64_t *initstate, uint64_t *initseq)
{
    uint64_t key = mix(seed ^ mix(point + GAMMA));
    *initstate = mix(key + (2 * traj + 1) * GAMMA);
    *initseq = mix(key + (2 * traj + 2) * GAMMA);
}

/* ---------------------------------------------------------------------------------
 * The reference program
 * ------------------------------------------------------------------------------ */

enum { REF_COUNT = 2000, REF_MAX_DELTAS = 16 };

typedef struct {
    uint64_t inc, state;            /* after seeding */
    uint32_t out[REF_COUNT];        /* first outputs */
    uint32_t after[REF_MAX_DELTAS]; /* first output after advance(delta[k]) */
} ref_result;

static const char *pcg_ref_path(void)
{
    static char buf[4096];
    const char *path = getenv("PCG_REF"), *build = getenv("BUILD");
    if (path && *path)
        return path;
    if (build && *build) {
        snprintf(buf, sizeof buf, "%s/tests/pcg_ref", build);
        return buf;
    }
    return "build/tests/pcg_ref";
}

/* Runs `pcg_ref initstate initseq REF_COUNT delta...` and parses its output into res.
 * Fails the calling test if the program is missing, fails or prints too little. */
static void run_reference(uint64_t initstate, uint64_t initseq, const uint64_t *delta,
                          size_t n_delta, ref_result *res)
{
    const char *path = pcg_ref_path();
    char cmd[8192];
    int len;

    assert_true(n_delta <= REF_MAX_DELTAS);
    if (access(path, X_OK) != 0)
        fail_msg("reference program '%s' not found or not executable: build it with "
                 "`make build/tests/pcg_ref` (needs libpcg-cpp-dev) or set PCG_REF",
                 path);
    len = snprintf(cmd, sizeof cmd, "exec '%s' %" PRIu64 " %" PRIu64 " %d", path,
                   initstate, initseq, REF_COUNT);
    for (size_t k = 0; k < n_delta; k++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %" PRIu64, delta[k]);
    assert_true(len > 0 && (size_t)len < sizeof cmd);

    FILE *pipe = popen(cmd, "r");
    if (pipe == NULL)
        fail_msg("cannot run '%s'", cmd);
    int ok = fscanf(pipe, "%" SCNu64 " %" SCNu64, &res->inc, &res->state) == 2;
    for (size_t n = 0; ok && n < REF_COUNT; n++)
        ok = fscanf(pipe, "%" SCNu32, &res->out[n]) == 1;
    for (size_t k = 0; ok && k < n_delta; k++)
        ok = fscanf(pipe, "%" SCNu32, &res->after[k]) == 1;
    int status = pclose(pipe);
    if (!ok || status != 0)
        fail_msg("'%s' failed (exit status %d) or printed too little", cmd, status);
}

/* ---------------------------------------------------------------------------------
 * Exact tests
 * ------------------------------------------------------------------------------ */

/* Seeding, outputs and advance() agree bit for bit with pcg-cpp for pairs including
 * 0, 2^64 - 1, a top bit of initseq that seeding drops, and rng_stream's seeds. */
static void test_pcg32_matches_reference(void **unused)
{
    (void)unused;
    uint64_t pairs[][2] = {
        {0u, 0u},
        {42u, 54u},
        {UINT64_MAX, UINT64_MAX},
        {0x853c49e6748fea9bULL, 0xda3e39cb94b95bdbULL},
        {1u, 1ULL << 63},
        {12345678901234567890ULL, 1u},
        {0u, 0u}, /* replaced by rng_stream(2024, 5, 777)'s seeds below */
    };
    const size_t n_pairs = sizeof pairs / sizeof pairs[0];
    const uint64_t delta[] = {0u, 1u, 2u, 999u, 1000u, 123456789u, 1ULL << 32, 1ULL << 63,
                              0xdeadbeefcafebabeULL, UINT64_MAX - 999u, UINT64_MAX};
    const size_t n_delta = sizeof delta / sizeof delta[0];
    static ref_result ref;

    scheme_seeds(2024, 5, 777, &pairs[n_pairs - 1][0], &pairs[n_pairs - 1][1]);
    for (size_t p = 0; p < n_pairs; p++) {
        rng_pcg32 r;
        run_reference(pairs[p][0], pairs[p][1], delta, n_delta, &ref);
        rng_pcg32_seed(&r, pairs[p][0], pairs[p][1]);
        assert_int_equal(r.inc, ref.inc);
        assert_int_equal(r.state, ref.state);
        for (size_t n = 0; n < REF_COUNT; n++) {
            uint32_t got = rng_pcg32_next(&r);
            if (got != ref.out[n])
                fail_msg("pcg32(%" PRIu64 ", %" PRIu64 ") output %zu: got %" PRIu32
                         ", pcg-cpp %" PRIu32,
                         pairs[p][0], pairs[p][1], n, got, ref.out[n]);
        }
        for (size_t k = 0; k < n_delta; k++) {
            rng_pcg32_seed(&r, pairs[p][0], pairs[p][1]);
            rng_pcg32_advance(&r, delta[k]);
            uint32_t got = rng_pcg32_next(&r);
            if (got != ref.after[k])
                fail_msg("pcg32(%" PRIu64 ", %" PRIu64 ") after advance(%" PRIu64
                         "): got %" PRIu32 ", pcg-cpp %" PRIu32,
                         pairs[p][0], pairs[p][1], delta[k], got, ref.after[k]);
        }
    }
    /* The last pair is rng_stream(2024, 5, 777): the same generator. */
    rng_pcg32 s;
    rng_stream(&s, 2024, 5, 777);
    for (size_t n = 0; n < REF_COUNT; n++)
        assert_int_equal(rng_pcg32_next(&s), ref.out[n]);
}

/* Golden values, so regressions are caught even without the reference.  pcg32
 * values are pcg-cpp's (42, 54 is pcg-c's demo); rng_stream and rng_normal values
 * were produced by this implementation when the scheme was fixed: changing them
 * changes the random numbers of every recorded run. */
static void test_golden_values(void **unused)
{
    (void)unused;
    rng_pcg32 r;
    const uint32_t demo[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                              0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    rng_pcg32_seed(&r, 42, 54);
    assert_int_equal(r.inc, 109u);
    assert_int_equal(r.state, 1753877967969059832ULL);
    for (int n = 0; n < 6; n++)
        assert_int_equal(rng_pcg32_next(&r), demo[n]);

    const uint32_t zero[3] = {3837872008u, 932996374u, 1548399547u};
    rng_pcg32_seed(&r, 0, 0);
    assert_int_equal(r.state, 6364136223846793006ULL);
    for (int n = 0; n < 3; n++)
        assert_int_equal(rng_pcg32_next(&r), zero[n]);

    rng_pcg32_seed(&r, 42, 54);
    rng_pcg32_advance(&r, 1000);
    assert_int_equal(rng_pcg32_next(&r), 4025215667u);

    const struct {
        uint64_t seed, point, traj, state, inc;
        uint32_t out[2];
    } streams[] = {
        {1, 0, 0, 0x44718b2884024c9bu, 0x92a5854dc3de16f1u, {0x9c8e3346u, 0x7fee291bu}},
        {1, 0, 1, 0x45169cc542559571u, 0x5a382a62748fdb87u, {0x1ca2d1b0u, 0x6954de73u}},
        {1, 0, 2, 0x903873c67a18a740u, 0x7ed9de901949eb49u, {0xbe4301c2u, 0x9f875383u}},
        {20240601, 3, 123456, 0x1faa8962a70378a1u, 0x4d0308a92170e257u,
         {0x1eaa3a20u, 0x587b2c6bu}},
    };
    for (size_t k = 0; k < sizeof streams / sizeof streams[0]; k++) {
        rng_stream(&r, streams[k].seed, streams[k].point, streams[k].traj);
        assert_int_equal(r.state, streams[k].state);
        assert_int_equal(r.inc, streams[k].inc);
        assert_int_equal(rng_pcg32_next(&r), streams[k].out[0]);
        assert_int_equal(rng_pcg32_next(&r), streams[k].out[1]);
    }

    /* The first normals of rng_stream(1, 0, 0), bit for bit, and a sum over 10^5
     * of them (to 1e-9: allows last-bit differences of libm's exp/log in the rare
     * path, catches any change of the algorithm). */
    const double normals[8] = {0x1.1ad49baaa780dp-1,  0x1.64995be7a5068p-1,
                               -0x1.54a4b533f0db6p-1, -0x1.70f2c8823a7c2p-1,
                               -0x1.a67e68d6dea51p-2, 0x1.0b4672063b4dbp+0,
                               0x1.893a3c6bbdb7dp+0,  0x1.c2617c07f6739p+0};
    rng_stream(&r, 1, 0, 0);
    for (int n = 0; n < 8; n++)
        assert_true(rng_normal(&r) == normals[n]);
    double sum = 0.0, sumsq = 0.0;
    rng_stream(&r, 1, 0, 0);
    for (int n = 0; n < 100000; n++) {
        double z = rng_normal(&r);
        sum += z;
        sumsq += z * z;
    }
    assert_close(sum, -473.39671761482316, 1e-9);
    assert_close(sumsq, 100401.72478725808, 1e-9);
}

/* advance(k) equals k steps; advance(2^64 - k) undoes k steps; jumps compose. */
static void test_advance(void **unused)
{
    (void)unused;
    const uint64_t ks[] = {0u, 1u, 2u, 17u, 1000u, 4097u};
    rng_pcg32 start, stepped, jumped;
    rng_pcg32_seed(&start, 0x0123456789abcdefULL, 0xfedcba9876543210ULL);
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        stepped = jumped = start;
        for (uint64_t n = 0; n < ks[i]; n++)
            (void)rng_pcg32_next(&stepped);
        rng_pcg32_advance(&jumped, ks[i]);
        assert_int_equal(jumped.state, stepped.state);
        assert_int_equal(jumped.inc, stepped.inc);
        rng_pcg32_advance(&jumped, (uint64_t)0 - ks[i]);
        assert_int_equal(jumped.state, start.state);
    }
    const uint64_t a = 0x9e3779b97f4a7c15ULL, b = 0xc2b2ae3d27d4eb4fULL;
    rng_pcg32 ab = start, once = start;
    rng_pcg32_advance(&ab, a);
    rng_pcg32_advance(&ab, b);
    rng_pcg32_advance(&once, a + b); /* mod 2^64 */
    assert_int_equal(ab.state, once.state);
}

/* rng_stream is exactly the formula written in rng.c and rng_scheme, and depends on
 * nothing but its arguments. */
static void test_stream_formula(void **unused)
{
    (void)unused;
    const uint64_t cases[][3] = {{0, 0, 0},          {1, 0, 0},
                                 {1, 0, 999},        {UINT64_MAX, 7, 3},
                                 {42, UINT64_MAX, 0}, {42, 0, UINT64_MAX / 2}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint64_t initstate, initseq;
        rng_pcg32 got, want, again;
        scheme_seeds(cases[k][0], cases[k][1], cases[k][2], &initstate, &initseq);
        rng_pcg32_seed(&want, initstate, initseq);
        rng_stream(&got, cases[k][0], cases[k][1], cases[k][2]);
        assert_int_equal(got.state, want.state);
        assert_int_equal(got.inc, want.inc);
        rng_stream(&again, cases[k][0], cases[k][1], cases[k][2]);
        assert_memory_equal(&again, &got, sizeof got);
    }
    assert_non_null(strstr(rng_scheme, "pcg32"));
    assert_non_null(strstr(rng_scheme, "0x9e3779b97f4a7c15"));
    assert_non_null(strstr(rng_scheme, "0xbf58476d1ce4e5b9"));
    assert_non_null(strstr(rng_scheme, "0x94d049bb133111eb"));
    assert_null(strchr(rng_scheme, '\n'));
}

/* The ziggurat tables satisfy their defining equations (rng.c): x_1 = r, x_N = 0,
 * every layer has area v = r f(r) + int_r^inf f, ratio_i = x_{i+1}/x_i,
 * f_i = exp(-x_i^2/2); checked to 1e-12 relative in double precision. */
static void test_ziggurat_tables(void **unused)
{
    (void)unused;
    const int n = RNG_ZIG_LAYERS;
    const double r = rng_zig_x[1], fr = exp(-0.5 * r * r);
    const double v = r * fr + sqrt(M_PI / 2) * erfc(r / M_SQRT2);
    assert_close(r, 3.6541528853610088, 1e-15);
    assert_true(rng_zig_x[n] == 0.0);
    assert_close(rng_zig_x[0] * fr / v, 1.0, 1e-12);
    for (int i = 0; i < n; i++) {
        assert_true(rng_zig_x[i + 1] < rng_zig_x[i]);
        assert_close(rng_zig_ratio[i], rng_zig_x[i + 1] / rng_zig_x[i], 1e-15);
    }
    for (int i = 1; i <= n; i++) {
        double x = rng_zig_x[i];
        assert_close(rng_zig_f[i] / exp(-0.5 * x * x), 1.0, 1e-15);
    }
    for (int i = 1; i < n; i++) {
        double area = rng_zig_x[i] * (rng_zig_f[i + 1] - rng_zig_f[i]);
        if (fabs(area / v - 1.0) > 1e-12)
            fail_msg("layer %d has area %.17g, want v = %.17g", i, area, v);
    }
}

/* gsl_rng_alloc(rng_gsl_pcg32): gsl_rng_set(g, s) is pcg32(s, 0), gsl_rng_get the
 * 32-bit output, gsl_rng_uniform rng_uniform; GSL distributions work on it. */
static void test_gsl_adapter(void **unused)
{
    (void)unused;
    gsl_rng *g = gsl_rng_alloc(rng_gsl_pcg32);
    assert_non_null(g);
    assert_string_equal(gsl_rng_name(g), "pcg32");
    assert_int_equal(gsl_rng_max(g), 0xffffffffUL);
    assert_int_equal(gsl_rng_min(g), 0);
    assert_int_equal(gsl_rng_size(g), sizeof(rng_pcg32));
    assert_ptr_equal(rng_gsl_state(g), g->state);
    assert_null(rng_gsl_state(NULL));

    rng_pcg32 r;
    gsl_rng_set(g, 42);
    rng_pcg32_seed(&r, 42, 0);
    for (int n = 0; n < 1000; n++)
        assert_int_equal(gsl_rng_get(g), rng_pcg32_next(&r));
    for (int n = 0; n < 1000; n++)
        assert_true(gsl_rng_uniform(g) == rng_uniform(&r));
    assert_memory_equal(rng_gsl_state(g), &r, sizeof r);

    /* The state is the live generator: drawing through it advances g. */
    rng_stream(rng_gsl_state(g), 7, 0, 0);
    rng_stream(&r, 7, 0, 0);
    assert_int_equal(gsl_rng_get(g), rng_pcg32_next(&r));
    gsl_rng *copy = gsl_rng_clone(g);
    assert_non_null(copy);
    assert_int_equal(gsl_rng_get(copy), gsl_rng_get(g));
    gsl_rng_free(copy);

    /* Distributions: gsl_ran_gaussian (polar Box-Muller, uses gsl_rng_uniform),
     * gsl_ran_gaussian_ziggurat (uses gsl_rng_get) and gsl_rng_uniform_int:
     * means within K_SE standard errors for n = 10^5. */
    const int count = 100000;
    double s_polar = 0, s_zig = 0, s_int = 0;
    gsl_rng_set(g, 2718281828u);
    for (int n = 0; n < count; n++) {
        s_polar += gsl_ran_gaussian(g, 2.0);
        s_zig += gsl_ran_gaussian_ziggurat(g, 1.0);
        s_int += (double)gsl_rng_uniform_int(g, 10);
    }
    assert_within_se(s_polar / count, 0.0, 2.0 / sqrt(count), K_SE);
    assert_within_se(s_zig / count, 0.0, 1.0 / sqrt(count), K_SE);
    assert_within_se(s_int / count, 4.5, sqrt(99.0 / 12.0 / count), K_SE);

    gsl_rng *other = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(other);
    assert_null(rng_gsl_state(other));
    gsl_rng_free(other);
    gsl_rng_free(g);
}

/* ---------------------------------------------------------------------------------
 * Streams
 * ------------------------------------------------------------------------------ */

/* Trajectories, seeds and sweep points give distinct generators: the first 64 bits
 * of 1000 trajectories of one seed, of trajectory 0 of 1000 seeds and of 100 points
 * x 10 trajectories are pairwise different (a collision among 1000 random 64-bit
 * words has probability 3e-14), as are the increments of 1000 trajectories. */
static void test_streams_distinct(void **unused)
{
    (void)unused;
    enum { N = 1000 };
    static uint64_t first[N], inc[N];
    rng_pcg32 r;

    for (uint64_t t = 0; t < N; t++) {
        rng_stream(&r, 12345, 0, t);
        inc[t] = r.inc;
        first[t] = rng_pcg32_next64(&r);
    }
    assert_int_equal(count_duplicates(first, N), 0);
    assert_int_equal(count_duplicates(inc, N), 0);

    for (uint64_t s = 0; s < N; s++) {
        rng_stream(&r, s, 0, 0);
        first[s] = rng_pcg32_next64(&r);
    }
    assert_int_equal(count_duplicates(first, N), 0);

    for (uint64_t p = 0; p < 100; p++)
        for (uint64_t t = 0; t < 10; t++) {
            rng_stream(&r, 12345, p, t);
            first[p * 10 + t] = rng_pcg32_next64(&r);
        }
    assert_int_equal(count_duplicates(first, N), 0);

    rng_pcg32 a, b;
    rng_stream(&a, 1, 2, 0);
    rng_stream(&b, 2, 1, 0);
    assert_true(a.state != b.state || a.inc != b.inc);
}

/* Nearby inputs give unrelated generators: the first 64-bit words of (seed, t) and
 * (seed, t+1), and of seeds s and s+1, differ in 32 bits on average (binomial(64,
 * 1/2): SD 4 per pair, SE 4/sqrt(n) for the mean of n pairs); and the uniforms of
 * trajectories 0 and 1 are uncorrelated (SE 1/sqrt(n)). */
static void test_streams_unrelated(void **unused)
{
    (void)unused;
    enum { PAIRS = 2000, DRAWS = 200000 };
    rng_pcg32 a, b;
    double bits_traj = 0, bits_seed = 0;
    for (uint64_t i = 0; i < PAIRS; i++) {
        rng_stream(&a, 99, 0, i);
        rng_stream(&b, 99, 0, i + 1);
        bits_traj += __builtin_popcountll(rng_pcg32_next64(&a) ^ rng_pcg32_next64(&b));
        rng_stream(&a, i, 0, 0);
        rng_stream(&b, i + 1, 0, 0);
        bits_seed += __builtin_popcountll(rng_pcg32_next64(&a) ^ rng_pcg32_next64(&b));
    }
    assert_within_se(bits_traj / PAIRS, 32.0, 4.0 / sqrt(PAIRS), K_SE);
    assert_within_se(bits_seed / PAIRS, 32.0, 4.0 / sqrt(PAIRS), K_SE);

    double cross = 0;
    rng_stream(&a, 99, 0, 0);
    rng_stream(&b, 99, 0, 1);
    for (int n = 0; n < DRAWS; n++)
        cross += (rng_uniform(&a) - 0.5) * (rng_uniform(&b) - 0.5) * 12.0;
    assert_within_se(cross / DRAWS, 0.0, 1.0 / sqrt(DRAWS), K_SE);
}

/* Drawing in parallel threads (one generator per trajectory) gives the same numbers
 * as drawing serially: rng_normal has no hidden shared state. */
static void test_parallel_determinism(void **unused)
{
    (void)unused;
    enum { TRAJ = 64, DRAWS = 4000 };
    static double serial[TRAJ][DRAWS], parallel[TRAJ][DRAWS];
    for (int t = 0; t < TRAJ; t++) {
        rng_pcg32 r;
        rng_stream(&r, 5, 0, (uint64_t)t);
        for (int n = 0; n < DRAWS; n++)
            serial[t][n] = rng_normal(&r);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = TRAJ - 1; t >= 0; t--) {
        rng_pcg32 r;
        rng_stream(&r, 5, 0, (uint64_t)t);
        for (int n = 0; n < DRAWS; n++)
            parallel[t][n] = rng_normal(&r);
    }
    assert_memory_equal(serial, parallel, sizeof serial);
}

/* ---------------------------------------------------------------------------------
 * Distributions
 * ------------------------------------------------------------------------------ */

/* U[0,1): every value in [0, 1) and a multiple of 2^-53; mean 1/2 (SE sqrt(1/12n)),
 * E(u - 1/2)^2 = 1/12 (SE sqrt(1/180n)); for n = 10^6. */
static void test_uniform(void **unused)
{
    (void)unused;
    const int n = 1000000;
    rng_pcg32 r;
    double sum = 0, sum2 = 0;
    rng_stream(&r, 31337, 0, 0);
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        if (!(u >= 0.0 && u < 1.0))
            fail_msg("rng_uniform = %.17g outside [0, 1)", u);
        double scaled = u * 0x1.0p53;
        assert_true(scaled == floor(scaled));
        sum += u;
        sum2 += (u - 0.5) * (u - 0.5);
    }
    assert_within_se(sum / n, 0.5, sqrt(1.0 / 12.0 / n), K_SE);
    assert_within_se(sum2 / n, 1.0 / 12.0, sqrt(1.0 / 180.0 / n), K_SE);
}

/* N(0,1), n = 10^6: raw moments E z = 0, E z^2 = 1, E z^3 = 0 (skewness),
 * E z^4 = 3 (kurtosis) with SE sqrt(Var z^k / n): Var z = 1, Var z^2 = 2,
 * Var z^3 = 15, Var z^4 = 96; lag-1 correlation 0 with SE 1/sqrt(n). */
static void test_normal_moments(void **unused)
{
    (void)unused;
    const int n = 1000000;
    rng_pcg32 r;
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, lag = 0, prev = 0;
    rng_stream(&r, 8675309, 0, 0);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r), z2 = z * z;
        m1 += z;
        m2 += z2;
        m3 += z2 * z;
        m4 += z2 * z2;
        lag += z * prev;
        prev = z;
    }
    assert_within_se(m1 / n, 0.0, sqrt(1.0 / n), K_SE);
    assert_within_se(m2 / n, 1.0, sqrt(2.0 / n), K_SE);
    assert_within_se(m3 / n, 0.0, sqrt(15.0 / n), K_SE);
    assert_within_se(m4 / n, 3.0, sqrt(96.0 / n), K_SE);
    assert_within_se(lag / (n - 1), 0.0, sqrt(1.0 / (n - 1)), K_SE);
}

/* Tail frequencies for n = 10^7 against Q(x) = P(Z > x), binomial SE
 * sqrt(p(1-p)/n): P(|z| > 3), P(z > r) (the ziggurat's tail algorithm alone),
 * P(z > 4), P(z < -4.5). */
static void test_normal_tails(void **unused)
{
    (void)unused;
    const int n = 10000000;
    const double r = rng_zig_x[1];
    rng_pcg32 rng;
    long beyond3 = 0, beyond_r = 0, above4 = 0, below45 = 0;
    rng_stream(&rng, 4242, 0, 0);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&rng);
        beyond3 += fabs(z) > 3.0;
        beyond_r += z > r;
        above4 += z > 4.0;
        below45 += z < -4.5;
    }
    const double probs[4] = {2 * gsl_cdf_ugaussian_Q(3.0), gsl_cdf_ugaussian_Q(r),
                             gsl_cdf_ugaussian_Q(4.0), gsl_cdf_ugaussian_Q(4.5)};
    const long counts[4] = {beyond3, beyond_r, above4, below45};
    for (int k = 0; k < 4; k++) {
        double p = probs[k], se = sqrt(p * (1 - p) / n);
        assert_within_se((double)counts[k] / n, p, se, K_SE);
    }
}

/* Pearson's chi-square with bins aligned to the ziggurat's layers: for each sign,
 * [x_{i+1}, x_i) for i = 1..N-1 and the tail [r, inf), i.e. 2N = 512 bins whose
 * probabilities come from gsl_cdf_ugaussian; n = 10^7 (smallest expected count
 * ~1600).  A wrong wedge, rectangle or tail moves mass between exactly these bins.
 * Critical value: the 1 - 10^-4 quantile of chi-square with 2N - 1 df. */
static void test_normal_chisq_layers(void **unused)
{
    (void)unused;
    enum { N = RNG_ZIG_LAYERS, BINS = 2 * RNG_ZIG_LAYERS };
    const int n = 10000000;
    static long count[BINS];
    rng_pcg32 rng;
    memset(count, 0, sizeof count);
    rng_stream(&rng, 1618033, 0, 0);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&rng), a = fabs(z);
        /* bin b in 0..N-1: b = 0 the tail a >= x_1, else a in [x_{b+1}, x_b) */
        int lo = 0, hi = N; /* invariant: x_hi <= a < x_lo (x_0 read as +inf) */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (a >= rng_zig_x[mid])
                hi = mid;
            else
                lo = mid;
        }
        count[(z < 0 ? N : 0) + lo]++;
    }
    double chi2 = 0;
    for (int b = 0; b < N; b++) {
        double upper = b == 0 ? 1.0 : gsl_cdf_ugaussian_P(rng_zig_x[b]);
        double p = upper - gsl_cdf_ugaussian_P(rng_zig_x[b + 1]);
        for (int side = 0; side < 2; side++) {
            double expected = n * p, diff = (double)count[side * N + b] - expected;
            chi2 += diff * diff / expected;
        }
    }
    double critical = gsl_cdf_chisq_Qinv(1e-4, BINS - 1);
    if (!(chi2 < critical))
        fail_msg("layer chi-square %.1f >= critical %.1f (df %d, level 1e-4)", chi2,
                 critical, BINS - 1);
}

/* Chi-square on 1000 equiprobable bins of Phi(z) (n = 4 10^6, 4000 per bin) and a
 * Kolmogorov-Smirnov test of n = 10^5 draws against Phi, whose critical value
 * sqrt(n) D < 1.9495 is the asymptotic level 10^-3. */
static void test_normal_cdf(void **unused)
{
    (void)unused;
    enum { BINS = 1000, KS_N = 100000 };
    const int n = 4000000;
    static long count[BINS];
    static double sample[KS_N];
    rng_pcg32 rng;
    memset(count, 0, sizeof count);
    rng_stream(&rng, 27182818, 0, 0);
    for (int i = 0; i < n; i++) {
        int b = (int)(gsl_cdf_ugaussian_P(rng_normal(&rng)) * BINS);
        count[b < BINS ? b : BINS - 1]++;
    }
    double chi2 = 0, expected = (double)n / BINS;
    for (int b = 0; b < BINS; b++)
        chi2 += ((double)count[b] - expected) * ((double)count[b] - expected) / expected;
    double critical = gsl_cdf_chisq_Qinv(1e-4, BINS - 1);
    if (!(chi2 < critical))
        fail_msg("chi-square %.1f >= critical %.1f (df %d, level 1e-4)", chi2, critical,
                 BINS - 1);

    for (int i = 0; i < KS_N; i++)
        sample[i] = rng_normal(&rng);
    qsort(sample, KS_N, sizeof sample[0], compare_double);
    double d = 0;
    for (int i = 0; i < KS_N; i++) {
        double cdf = gsl_cdf_ugaussian_P(sample[i]);
        d = fmax(d, fmax((double)(i + 1) / KS_N - cdf, cdf - (double)i / KS_N));
    }
    if (!(sqrt((double)KS_N) * d < 1.9495))
        fail_msg("Kolmogorov-Smirnov sqrt(n) D = %.4f >= 1.9495 (level 1e-3)",
                 sqrt((double)KS_N) * d);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcg32_matches_reference),
        cmocka_unit_test(test_golden_values),
        cmocka_unit_test(test_advance),
        cmocka_unit_test(test_stream_formula),
        cmocka_unit_test(test_ziggurat_tables),
        cmocka_unit_test(test_gsl_adapter),
        cmocka_unit_test(test_streams_distinct),
        cmocka_unit_test(test_streams_unrelated),
        cmocka_unit_test(test_parallel_determinism),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_normal_tails),
        cmocka_unit_test(test_normal_chisq_layers),
        cmocka_unit_test(test_normal_cdf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
