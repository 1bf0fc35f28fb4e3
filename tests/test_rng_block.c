/* test_rng_block.c - tests of the block draws (sim/rng_block.c) and the ISA choice
 * (sim/isa.c).
 *
 * Exact tier only: every path must give the numbers of sequential rng_normal /
 * rng_uniform calls per trajectory, bit for bit, and leave the same generator states.
 *   - the portable path against sequential calls (values, states, mirrored values);
 *   - each vector path (AVX2, AVX-512) against the portable path on the same seeds:
 *     many blocks, block sizes that are not multiples of the lane width, mirrored
 *     trajectories, and runs long enough that the ziggurat's tail and wedges occur many
 *     times (the test counts them on the sequential reference and asserts a minimum);
 *     skipped, with a message, when this CPU lacks the instruction set;
 *   - isa_choose: names, the error for an unknown name or a missing instruction set.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "rng.h"
#include "rng_block.h"
#include "testutil.h"

/* Bits of a double, so that -0.0 differs from 0.0 and NaNs compare. */
static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

typedef struct {
    size_t tail, wedge; /* normals whose first 64-bit draw missed its rectangle */
} slow_counts;

/* The reference: trajectory by trajectory, the plan with rng_normal / rng_uniform.
 * Before each normal, a copy of the generator classifies its first draw (fast path,
 * tail in layer 0, or a wedge), to show that the slow paths were exercised. */
static void reference_draw(const rng_block_plan *plan, rng_pcg32 *rng, size_t n,
                           const unsigned char *mirror, double *const *out, slow_counts *c)
{
    for (size_t i = 0; i < n; i++) {
        const int mirrored = mirror && mirror[i];
        for (unsigned j = 0; j < plan->count; j++) {
            double x;
            if (plan->kind[j] == RNG_DRAW_NORMAL) {
                rng_pcg32 peek = rng[i];
                uint64_t bits = rng_pcg32_next64(&peek);
                unsigned layer = (unsigned)(bits & (RNG_ZIG_LAYERS - 1u));
                double u = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
                if (!(fabs(u) < rng_zig_ratio[layer])) {
                    if (layer == 0)
                        c->tail++;
                    else
                        c->wedge++;
                }
                x = rng_normal(&rng[i]);
                x = mirrored ? -x : x;
            } else if (plan->kind[j] == RNG_DRAW_WORD) {
                /* the model's event draws: one 32-bit output, 2^32 - 1 - x mirrored */
                const uint32_t w = rng_pcg32_next(&rng[i]);
                x = mirrored ? 4294967295.0 - (double)w : (double)w;
            } else {
                x = rng_uniform(&rng[i]);
                x = mirrored ? 1.0 - x : x;
            }
            out[j][i] = x;
        }
    }
}

typedef struct {
    size_t n;
    unsigned m;
    rng_pcg32 *rng;
    unsigned char *mirror;
    double *buf;
    double *out[RNG_BLOCK_MAX_DRAWS];
} block;

/* A block of n trajectories of seed `seed` (trajectory indices first .. first+n),
 * every trajectory after one whose index is ≡ 0 mod 3 mirrored with a copy of that one's
 * generator (as the engine pairs them), and room for m draws each. */
static void block_make(block *b, uint64_t seed, size_t first, size_t n, unsigned m,
                       int with_mirror)
{
    b->n = n;
    b->m = m;
    b->rng = malloc((n ? n : 1) * sizeof *b->rng);
    b->mirror = with_mirror ? calloc(n ? n : 1, 1) : NULL;
    b->buf = malloc((n ? n : 1) * m * sizeof *b->buf);
    assert_non_null(b->rng);
    assert_non_null(b->buf);
    for (size_t i = 0; i < n; i++) {
        if (with_mirror && i > 0 && (first + i - 1) % 3 == 0) {
            b->rng[i] = b->rng[i - 1];
            b->mirror[i] = (unsigned char)(1 + i % 7); /* any non-zero flag */
        } else {
            rng_stream(&b->rng[i], seed, 0, first + i);
        }
    }
    for (unsigned j = 0; j < m; j++) b->out[j] = b->buf + (size_t)j * n;
}

static void block_free(block *b)
{
    free(b->rng);
    free(b->mirror);
    free(b->buf);
}

/* The draws and states of a and b are identical bit for bit. */
static void assert_same_block(const block *a, const block *b, const char *what, int cycle)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->rng[i].state != b->rng[i].state || a->rng[i].inc != b->rng[i].inc)
            fail_msg("%s, cycle %d: generator %zu differs", what, cycle, i);
        for (unsigned j = 0; j < a->m; j++)
            if (bits_of(a->out[j][i]) != bits_of(b->out[j][i]))
                fail_msg("%s, cycle %d: draw %u of trajectory %zu: %.17g, expected %.17g",
                         what, cycle, j, i, b->out[j][i], a->out[j][i]);
    }
}

/* ---------------------------------------------------------------------------------
 * Plans and the ISA choice
 * ------------------------------------------------------------------------------ */

static void test_plan_parse(void **state)
{
    (void)state;
    rng_block_plan plan;
    gs_error err;
    assert_int_equal(rng_block_plan_parse(&plan, "NNNNNNUUUU", &err), GS_OK);
    assert_int_equal(plan.count, 10);
    assert_int_equal(plan.kind[0], RNG_DRAW_NORMAL);
    assert_int_equal(plan.kind[9], RNG_DRAW_UNIFORM);
    assert_int_equal(rng_block_plan_parse(&plan, "", &err), GS_ERR_INPUT);
    assert_int_equal(rng_block_plan_parse(&plan, NULL, &err), GS_ERR_INPUT);
    assert_int_equal(rng_block_plan_parse(&plan, "NNx", &err), GS_ERR_INPUT);
    assert_int_equal(rng_block_plan_parse(&plan, "NNNNNNWWNWW", &err), GS_OK);
    assert_int_equal(plan.count, 11);
    assert_non_null(strstr(err.msg, "draw 3 is 'x'"));
    char spec[RNG_BLOCK_MAX_DRAWS + 2];
    memset(spec, 'N', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    assert_int_equal(rng_block_plan_parse(&plan, spec, &err), GS_ERR_INPUT);
    spec[RNG_BLOCK_MAX_DRAWS] = '\0';
    assert_int_equal(rng_block_plan_parse(&plan, spec, &err), GS_OK);
    assert_int_equal(plan.count, RNG_BLOCK_MAX_DRAWS);
}

static void test_isa_choose(void **state)
{
    (void)state;
    isa_level isa;
    gs_error err;
    assert_int_equal(isa_choose(NULL, &isa, &err), GS_OK);
    assert_int_equal(isa, isa_best());
    assert_int_equal(isa_choose("", &isa, &err), GS_OK);
    assert_int_equal(isa, isa_best());
    assert_int_equal(isa_choose("portable", &isa, &err), GS_OK);
    assert_int_equal(isa, ISA_PORTABLE);
    assert_int_equal(isa_choose("sse9", &isa, &err), GS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "GAPSIM_ISA=sse9: unknown"));
    assert_string_equal(isa_name(ISA_AVX2), "avx2");
    assert_string_equal(isa_name(ISA_AVX512), "avx512");
    assert_string_equal(isa_name(ISA_COUNT), "?");
    assert_true(isa_supported(ISA_PORTABLE));
    for (int l = ISA_AVX2; l < ISA_COUNT; l++) {
        gs_status st = isa_choose(isa_name((isa_level)l), &isa, &err);
        if (isa_supported((isa_level)l)) {
            assert_int_equal(st, GS_OK);
            assert_int_equal(isa, l);
        } else {
            assert_int_equal(st, GS_ERR_USAGE);
            assert_non_null(strstr(err.msg, "this CPU lacks"));
        }
    }
    print_message("this CPU runs up to %s (rng_block lanes %u)\n", isa_name(isa_best()),
                  rng_block_lanes(isa_best()));
}

/* GAPSIM_ISA forces a level; unset or empty, the widest; a bad name is an error.  The
 * variable is restored afterwards (a run of the tests may set it). */
static void test_isa_from_env(void **state)
{
    (void)state;
    const char *old = getenv("GAPSIM_ISA");
    char saved[64] = "";
    if (old) snprintf(saved, sizeof saved, "%s", old);
    isa_level isa;
    gs_error err;
    assert_int_equal(setenv("GAPSIM_ISA", "portable", 1), 0);
    assert_int_equal(isa_from_env(&isa, &err), GS_OK);
    assert_int_equal(isa, ISA_PORTABLE);
    assert_int_equal(setenv("GAPSIM_ISA", "AVX2", 1), 0); /* names are lower case */
    assert_int_equal(isa_from_env(&isa, &err), GS_ERR_USAGE);
    assert_int_equal(setenv("GAPSIM_ISA", "", 1), 0);
    assert_int_equal(isa_from_env(&isa, &err), GS_OK);
    assert_int_equal(isa, isa_best());
    assert_int_equal(unsetenv("GAPSIM_ISA"), 0);
    assert_int_equal(isa_from_env(&isa, &err), GS_OK);
    assert_int_equal(isa, isa_best());
    if (old) setenv("GAPSIM_ISA", saved, 1);
}

/* ---------------------------------------------------------------------------------
 * The portable path against sequential calls
 * ------------------------------------------------------------------------------ */

static void test_portable_is_sequential(void **state)
{
    (void)state;
    const char *plans[] = {"NNNNNNUUUU", "N", "U", "UNNUNUUN", "NNNNNNWWNWW", "W", "WUWNW"};
    const size_t sizes[] = {0, 1, 2, 3, 5, 64, 333};
    slow_counts c = {0, 0};
    for (size_t p = 0; p < sizeof plans / sizeof *plans; p++) {
        rng_block_plan plan;
        assert_int_equal(rng_block_plan_parse(&plan, plans[p], NULL), GS_OK);
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            for (int with_mirror = 0; with_mirror < 2; with_mirror++) {
                block want, got;
                block_make(&want, 11u + p, 100, sizes[s], plan.count, with_mirror);
                block_make(&got, 11u + p, 100, sizes[s], plan.count, with_mirror);
                for (int k = 0; k < 20; k++) {
                    slow_counts ck = {0, 0};
                    reference_draw(&plan, want.rng, want.n, want.mirror, want.out, &ck);
                    size_t slow = rng_block_draw(ISA_PORTABLE, &plan, got.rng, got.n,
                                                 got.mirror, got.out);
                    assert_int_equal(slow, ck.tail + ck.wedge);
                    c.tail += ck.tail;
                    c.wedge += ck.wedge;
                    assert_same_block(&want, &got, plans[p], k);
                }
                block_free(&want);
                block_free(&got);
            }
        }
    }
    assert_true(c.wedge > 100);
    assert_true(c.tail > 0);
}

/* A mirrored trajectory's draws are its partner's reflected: -z exactly (sign bit) and
 * 1 - u exactly. */
static void test_mirror_reflects(void **state)
{
    (void)state;
    rng_block_plan plan;
    assert_int_equal(rng_block_plan_parse(&plan, "NNNNNNUUUU", NULL), GS_OK);
    block b;
    block_make(&b, 5, 0, 300, plan.count, 1); /* pairs (0,1), (3,4), ... */
    for (int k = 0; k < 10; k++) {
        rng_block_draw(isa_best(), &plan, b.rng, b.n, b.mirror, b.out);
        for (size_t i = 1; i < b.n; i++) {
            if (!b.mirror[i])
                continue;
            for (unsigned j = 0; j < 6; j++)
                assert_true(bits_of(b.out[j][i]) == (bits_of(b.out[j][i - 1]) ^ (1ull << 63)));
            for (unsigned j = 6; j < 10; j++) {
                assert_true(b.out[j][i] == 1.0 - b.out[j][i - 1]);
                assert_true(b.out[j][i] > 0.0 && b.out[j][i] <= 1.0);
            }
            assert_true(b.rng[i].state == b.rng[i - 1].state);
        }
    }
    block_free(&b);
}

/* ---------------------------------------------------------------------------------
 * Each vector path against the portable one
 * ------------------------------------------------------------------------------ */

/* Runs `cycles` cycles of blocks of several sizes through isa and through the portable
 * path from the same seeds; counts the slow paths the reference met. */
static void check_isa(isa_level isa)
{
    if (!isa_supported(isa)) {
        print_message("[  SKIPPED ] %s: this CPU lacks it, so the %s path is not tested here\n",
                      isa_name(isa), isa_name(isa));
        skip();
    }
    const char *plans[] = {"NNNNNNUUUU", "N", "UNUNNNUU", "U", "NNNNNNWWNWW", "WWN"};
    const size_t sizes[] = {1, 3, 4, 7, 8, 9, 15, 17, 31, 1023};
    slow_counts c = {0, 0};
    size_t normals = 0;
    for (size_t p = 0; p < sizeof plans / sizeof *plans; p++) {
        rng_block_plan plan;
        assert_int_equal(rng_block_plan_parse(&plan, plans[p], NULL), GS_OK);
        unsigned n_normal = 0;
        for (unsigned j = 0; j < plan.count; j++) n_normal += plan.kind[j] == RNG_DRAW_NORMAL;
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            const int cycles = sizes[s] >= 1000 ? 200 : 60;
            for (int with_mirror = 0; with_mirror < 2; with_mirror++) {
                block want, got, seq;
                const uint64_t seed = 1000u + 10u * p + s;
                block_make(&want, seed, 7 * s, sizes[s], plan.count, with_mirror);
                block_make(&got, seed, 7 * s, sizes[s], plan.count, with_mirror);
                block_make(&seq, seed, 7 * s, sizes[s], plan.count, with_mirror);
                for (int k = 0; k < cycles; k++) {
                    slow_counts ck = {0, 0};
                    size_t slow_want = rng_block_draw(ISA_PORTABLE, &plan, want.rng, want.n,
                                                      want.mirror, want.out);
                    size_t slow_got = rng_block_draw(isa, &plan, got.rng, got.n, got.mirror,
                                                     got.out);
                    reference_draw(&plan, seq.rng, seq.n, seq.mirror, seq.out, &ck);
                    assert_same_block(&want, &got, isa_name(isa), k);
                    assert_same_block(&seq, &got, "sequential calls", k);
                    assert_int_equal(slow_got, slow_want);
                    assert_int_equal(slow_got, ck.tail + ck.wedge);
                    c.tail += ck.tail;
                    c.wedge += ck.wedge;
                    normals += n_normal * sizes[s];
                }
                block_free(&want);
                block_free(&got);
                block_free(&seq);
            }
        }
    }
    print_message("%s: %zu normals, %zu wedge and %zu tail draws on the slow path\n",
                  isa_name(isa), normals, c.wedge, c.tail);
    /* Expected: wedges 1.4% and tails 0.026% of normals (rng.c); 5 SE below those. */
    assert_true((double)c.wedge > 0.014 * (double)normals - 5.0 * sqrt(0.014 * (double)normals));
    assert_true(c.tail > 100);
}

static void test_avx2_equals_portable(void **state)
{
    (void)state;
    check_isa(ISA_AVX2);
}

static void test_avx512_equals_portable(void **state)
{
    (void)state;
    check_isa(ISA_AVX512);
}

/* A level the CPU lacks runs as the widest it has (never an illegal instruction). */
static void test_unsupported_level_steps_down(void **state)
{
    (void)state;
    rng_block_plan plan;
    assert_int_equal(rng_block_plan_parse(&plan, "NU", NULL), GS_OK);
    block a, b;
    block_make(&a, 3, 0, 37, plan.count, 1);
    block_make(&b, 3, 0, 37, plan.count, 1);
    rng_block_draw(ISA_PORTABLE, &plan, a.rng, a.n, a.mirror, a.out);
    rng_block_draw(ISA_COUNT, &plan, b.rng, b.n, b.mirror, b.out);
    assert_same_block(&a, &b, "ISA_COUNT", 0);
    assert_int_equal(rng_block_lanes(ISA_COUNT), rng_block_lanes(isa_best()));
    block_free(&a);
    block_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_parse),
        cmocka_unit_test(test_isa_choose),
        cmocka_unit_test(test_isa_from_env),
        cmocka_unit_test(test_portable_is_sequential),
        cmocka_unit_test(test_mirror_reflects),
        cmocka_unit_test(test_avx2_equals_portable),
        cmocka_unit_test(test_avx512_equals_portable),
        cmocka_unit_test(test_unsupported_level_steps_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
