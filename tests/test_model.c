/* test_model.c - the vectorised pieces of the model: vmath.h's exp and log, and
 * model_record's vectorised loop.
 *
 * - vm_exp and vm_log are within 2 ulp of glibc's exp and log (measured: 1 ulp) on a
 *   million arguments over their whole range, give C's special values, and give the
 *   same bits in a vectorised loop as in a scalar call;
 * - model_record and model_advance give the same bits whether a block is processed
 *   whole (vector lanes) or split into pieces of 1, 3, 5, ... trajectories (scalar
 *   epilogues): each trajectory's numbers do not depend on its position in a vector.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "model.h"
#include "rng.h"
#include "scenario.h"
#include "vmath.h"

/* |got - want| in units of the spacing of doubles at want. */
static double ulps(double got, double want)
{
    if (got == want) return 0.0;
    const double spacing = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / spacing;
}

/* The vectorised forms (the loops the model uses). */
static void exp_loop(const double *x, double *y, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = vm_exp(x[i]);
}

static void log_loop(const double *x, double *y, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = vm_log(x[i]);
}

static void test_vmath_accuracy(void **state)
{
    (void)state;
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_true(x && y);
    rng_pcg32 r;
    rng_stream(&r, 42, 0, 0);
    /* exp over [-745, 709], where results are normal or subnormal */
    for (size_t i = 0; i < N; i++) x[i] = -745.0 + 1454.0 * rng_uniform(&r);
    exp_loop(x, y, N);
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        if (y[i] != vm_exp(x[i])) fail_msg("vm_exp(%a): vector %a, scalar %a", x[i], y[i], vm_exp(x[i]));
        if (exp(x[i]) >= 0x1p-1022) worst = fmax(worst, ulps(y[i], exp(x[i])));
    }
    print_message("vm_exp: largest error %.3f ulp\n", worst);
    assert_true(worst <= 2.0);
    /* log over the whole positive range, and near 1 where cancellation is worst */
    for (size_t i = 0; i < N / 2; i++) x[i] = exp(-744.0 + 1453.0 * rng_uniform(&r));
    for (size_t i = N / 2; i < N; i++) x[i] = 1.0 + 0.02 * (rng_uniform(&r) - 0.5);
    log_loop(x, y, N);
    worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        if (y[i] != vm_log(x[i])) fail_msg("vm_log(%a): vector %a, scalar %a", x[i], y[i], vm_log(x[i]));
        worst = fmax(worst, ulps(y[i], log(x[i])));
    }
    print_message("vm_log: largest error %.3f ulp\n", worst);
    assert_true(worst <= 2.0);
    free(x);
    free(y);
}

static void test_vmath_special(void **state)
{
    (void)state;
    assert_true(vm_exp(0.0) == 1.0 && vm_exp(-0.0) == 1.0);
    assert_true(vm_exp(INFINITY) == (double)INFINITY && vm_exp(1000.0) == (double)INFINITY);
    assert_true(vm_exp(-INFINITY) == 0.0 && vm_exp(-1000.0) == 0.0);
    assert_true(isnan(vm_exp(NAN)));
    assert_true(vm_exp(-745.0) > 0.0 && vm_exp(-745.0) == exp(-745.0)); /* subnormal */
    assert_true(vm_log(1.0) == 0.0);
    assert_true(vm_log(0.0) == -(double)INFINITY && vm_log(-0.0) == -(double)INFINITY);
    assert_true(isnan(vm_log(-1.0)) && isnan(vm_log(-INFINITY)) && isnan(vm_log(NAN)));
    assert_true(vm_log(INFINITY) == (double)INFINITY);
    assert_true(ulps(vm_log(0x1p-1074), log(0x1p-1074)) <= 1.0); /* subnormal argument */
    assert_true(ulps(vm_log(0x1.fffffffffffffp1023), log(0x1.fffffffffffffp1023)) <= 1.0);
}

/* One block of n trajectories with its own state arrays. */
typedef struct {
    double *mem;
    gs_block b;
    rng_pcg32 *rng;
    double *rec;
} test_block;

static void block_make(test_block *t, const gs_model *m, size_t n)
{
    t->mem = calloc(MODEL_STATE_ARRAYS * n, sizeof(double));
    t->rng = malloc(n * sizeof *t->rng);
    t->rec = malloc(VAR_COUNT * n * sizeof(double));
    assert_true(t->mem && t->rng && t->rec);
    t->b = (gs_block){.n = n};
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) t->b.x[s] = t->mem + (size_t)s * n;
    for (size_t i = 0; i < n; i++) rng_stream(&t->rng[i], 11, 0, i);
    model_start(m, &t->b);
}

static void block_free(test_block *t)
{
    free(t->mem);
    free(t->rng);
    free(t->rec);
}

/* The sub-block [first, first + count) of t. */
static gs_block sub_block(const test_block *t, size_t first, size_t count)
{
    gs_block b = {.n = count};
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b.x[s] = t->b.x[s] + first;
    return b;
}

static void test_record_lane_independent(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    sc.params.demand_value_elasticity = 1.3; /* the ν ≠ 1 path too */
    gs_model m;
    assert_int_equal(model_init(&m, &sc.params, &err), GS_OK);
    enum { N = 1000 };
    test_block whole, split;
    block_make(&whole, &m, N);
    block_make(&split, &m, N);
    for (int k = 0; k <= m.cycles; k++) {
        double *out[VAR_COUNT];
        for (int v = 0; v < VAR_COUNT; v++) out[v] = whole.rec + (size_t)v * N;
        model_record(&m, &whole.b, k, out);
        if (k < m.cycles) model_advance(&m, &whole.b, k, whole.rng);
        /* pieces of 1, 3, 5, 7, ... trajectories */
        for (size_t first = 0, len = 1; first < N; first += len, len += 2) {
            if (len > N - first) len = N - first;
            gs_block b = sub_block(&split, first, len);
            for (int v = 0; v < VAR_COUNT; v++) out[v] = split.rec + (size_t)v * N + first;
            model_record(&m, &b, k, out);
            if (k < m.cycles) model_advance(&m, &b, k, split.rng + first);
        }
        assert_memory_equal(whole.rec, split.rec, VAR_COUNT * N * sizeof(double));
        assert_memory_equal(whole.mem, split.mem, MODEL_STATE_ARRAYS * N * sizeof(double));
    }
    block_free(&whole);
    block_free(&split);
    scenario_free(&sc);
}

/* Uncertain parameters as columns (model_record_columns / model_advance_columns): every
 * trajectory given the point model's constants, the column run agrees with the
 * point-valued run to 1e-11 relative on every recorded value and state variable of
 * every cycle (the cycle-dependent constants come from vmath.h's exp instead of libm's,
 * so the last bits may differ) and exactly at cycle 0 (τ = 0: no exp differs); and a
 * block run whole or in pieces of 1, 3, 5, ... gives the same bits. */
static int close_rel(double a, double b, double tol)
{
    if (a == b || (a != a && b != b)) return 1;
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

static void columns_match_point(int cycles)
{
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    sc.params.demand_value_elasticity = 1.3;
    sc.params.run_cycles = cycles;
    gs_model m;
    assert_int_equal(model_init(&m, &sc.params, &err), GS_OK);
    enum { N = 700 };
    test_block point, whole, split;
    block_make(&point, &m, N);
    block_make(&whole, &m, N);
    block_make(&split, &m, N);
    double *cols = malloc(2 * MODEL_COLUMNS * N * sizeof(double));
    assert_non_null(cols);
    const gs_columns cw = {cols, N, 0, NULL}, cs = {cols + MODEL_COLUMNS * N, N, 0, NULL};
    for (size_t i = 0; i < N; i++) model_columns_store(&cw, i, &m), model_columns_store(&cs, i, &m);
    double worst = 0.0;
    for (int k = 0; k <= m.cycles; k++) {
        double *out[VAR_COUNT];
        for (int v = 0; v < VAR_COUNT; v++) out[v] = point.rec + (size_t)v * N;
        model_record(&m, &point.b, k, out);
        if (k < m.cycles) model_advance(&m, &point.b, k, point.rng);
        for (int v = 0; v < VAR_COUNT; v++) out[v] = whole.rec + (size_t)v * N;
        model_record_columns(&m, &cw, &whole.b, k, out);
        if (k < m.cycles) model_advance_columns(&m, &cw, &whole.b, k, whole.rng);
        for (size_t first = 0, len = 1; first < N; first += len, len += 2) {
            if (len > N - first) len = N - first;
            gs_block b = sub_block(&split, first, len);
            const gs_columns c1 = {cs.base + first, N, 0, NULL};
            for (int v = 0; v < VAR_COUNT; v++) out[v] = split.rec + (size_t)v * N + first;
            model_record_columns(&m, &c1, &b, k, out);
            if (k < m.cycles) model_advance_columns(&m, &c1, &b, k, split.rng + first);
        }
        assert_memory_equal(whole.rec, split.rec, VAR_COUNT * N * sizeof(double));
        assert_memory_equal(whole.mem, split.mem, MODEL_STATE_ARRAYS * N * sizeof(double));
        if (k == 0) assert_memory_equal(whole.rec, point.rec, VAR_COUNT * N * sizeof(double));
        for (size_t j = 0; j < VAR_COUNT * N; j++) {
            if (!close_rel(whole.rec[j], point.rec[j], 1e-11))
                fail_msg("cycle %d, variable %s: %.17g vs %.17g", k, model_vars[j / N].name,
                         whole.rec[j], point.rec[j]);
            if (whole.rec[j] != point.rec[j])
                worst = fmax(worst, fabs(whole.rec[j] - point.rec[j]) / fabs(point.rec[j]));
        }
        for (size_t j = 0; j < MODEL_STATE_ARRAYS * N; j++)
            assert_true(close_rel(whole.mem[j], point.mem[j], 1e-11));
    }
    assert_true(worst > 0.0); /* the kernels do differ from libm: the check has teeth */
    free(cols);
    block_free(&point);
    block_free(&whole);
    block_free(&split);
    scenario_free(&sc);
}

/* at the default 20 cycles, and at 150 (k up to 8 bits: the powers' longest chains) */
static void test_columns_match_point(void **state)
{
    (void)state;
    columns_match_point(20);
    columns_match_point(150);
}

/* A plan (model_columns_plan) changes no bit: trajectories with their own constants for
 * a few parameters (a correlation among them, so each has its own factor, most of whose
 * entries the plan finds uniform), run with columns without a plan, with the plan of the
 * whole block (record and advance chunk by chunk, model_step_columns, as the engine
 * runs them), and in pieces of 1, 3, 5, ... each with its own plan, give the same
 * records and states in every cycle.  Variant 0 keeps ν, ω, η and every input of the
 * cycle-dependent constants common (the point-valued forms, the n^{−η} table, the
 * constants computed for the first chunk only); variant 1 varies them too; variant 2
 * keeps ν = 1 common and varies ω (0 for some trajectories). */
static void test_columns_plan_same_bits(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    gs_model m;
    assert_int_equal(model_init(&m, &sc.params, &err), GS_OK);
    enum { N = 700 };
    for (int variant = 0; variant < 3; variant++) {
        test_block a, whole, split;
        block_make(&a, &m, N);
        block_make(&whole, &m, N);
        block_make(&split, &m, N);
        double *cols = malloc(3 * MODEL_COLUMNS * N * sizeof(double));
        assert_non_null(cols);
        const gs_columns ca = {cols, N, 1, NULL}, cw0 = {cols + MODEL_COLUMNS * N, N, 1, NULL};
        const gs_columns cs0 = {cols + 2 * MODEL_COLUMNS * N, N, 1, NULL};
        for (size_t i = 0; i < N; i++) {
            gs_params q = sc.params;
            const double f = 1.0 + 0.05 * ((double)(i % 7) / 7.0 - 0.5); /* neighbours share */
            q.capability_catch_up *= f;
            q.training_reinvest *= f;
            q.correlation_hardware_power *= f;
            if (variant == 2) /* ν = 1 for all, ω differs (0 for some): V_k's form 1 */
                q.demand_value_dilution = i % 7 == 3 ? 0.0 : q.demand_value_dilution * f;
            if (variant == 1) {
                q.demand_value_elasticity *= f;
                q.demand_value_dilution *= f;
                q.pricing_competition_exponent *= f;
                q.energy_trend *= f;
                q.training_growth_halflife *= f;
                q.demand_growth *= f;
            }
            double L[SHOCK_COUNT * SHOCK_COUNT];
            assert_int_equal(params_cholesky(&q, L), GS_OK);
            gs_model mi;
            assert_int_equal(model_init_factor(&mi, &q, L, &err), GS_OK);
            model_columns_store(&ca, i, &mi);
            model_columns_store(&cw0, i, &mi);
            model_columns_store(&cs0, i, &mi);
            test_block *t[3] = {&a, &whole, &split};
            for (int j = 0; j < 3; j++) {
                gs_block b1 = sub_block(t[j], i, 1);
                model_start(&mi, &b1);
            }
        }
        uint64_t plan_w[MODEL_COLUMN_WORDS], plans[N][MODEL_COLUMN_WORDS];
        model_columns_plan(&cw0, N, plan_w);
        const gs_columns cw = {cw0.base, N, 1, plan_w};
        int uniform = 0;
        for (int c = 0; c < MODEL_COLUMNS; c++) uniform += (int)((plan_w[c / 64] >> (c % 64)) & 1u);
        assert_true(uniform > 20 && uniform < MODEL_COLUMNS - 2); /* the plan has teeth */
        for (size_t first = 0, len = 1; first < N; first += len, len += 2) {
            if (len > N - first) len = N - first;
            const gs_columns c1 = {cs0.base + first, N, 1, NULL};
            model_columns_plan(&c1, len, plans[first]);
        }
        for (int k = 0; k <= m.cycles; k++) {
            double *out[VAR_COUNT];
            for (int v = 0; v < VAR_COUNT; v++) out[v] = a.rec + (size_t)v * N;
            model_record_columns(&m, &ca, &a.b, k, out);
            if (k < m.cycles) model_advance_columns(&m, &ca, &a.b, k, a.rng);
            for (int v = 0; v < VAR_COUNT; v++) out[v] = whole.rec + (size_t)v * N;
            model_step_columns(&m, &cw, &whole.b, k, out, k < m.cycles ? whole.rng : NULL);
            for (size_t first = 0, len = 1; first < N; first += len, len += 2) {
                if (len > N - first) len = N - first;
                gs_block b = sub_block(&split, first, len);
                const gs_columns c1 = {cs0.base + first, N, 1, plans[first]};
                for (int v = 0; v < VAR_COUNT; v++) out[v] = split.rec + (size_t)v * N + first;
                model_record_columns(&m, &c1, &b, k, out);
                if (k < m.cycles) model_advance_columns(&m, &c1, &b, k, split.rng + first);
            }
            assert_memory_equal(a.rec, whole.rec, VAR_COUNT * N * sizeof(double));
            assert_memory_equal(a.rec, split.rec, VAR_COUNT * N * sizeof(double));
            assert_memory_equal(a.mem, whole.mem, MODEL_STATE_ARRAYS * N * sizeof(double));
            assert_memory_equal(a.mem, split.mem, MODEL_STATE_ARRAYS * N * sizeof(double));
        }
        free(cols);
        block_free(&a);
        block_free(&whole);
        block_free(&split);
    }
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmath_accuracy),
        cmocka_unit_test(test_vmath_special),
        cmocka_unit_test(test_record_lane_independent),
        cmocka_unit_test(test_columns_match_point),
        cmocka_unit_test(test_columns_plan_same_bits),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
