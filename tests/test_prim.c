/* test_prim.c - PRIM scenario discovery (sim/prim.c).
 *
 * Data come from GSL's mt19937 with fixed seeds, so every check is deterministic; the
 * tolerances of the known-box test are those the issue states (limits within 0.03).
 * The agreement with an independent NumPy PRIM is tests/e2e_prim.sh.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen, pthread_barrier */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "testutil.h"

#include "comm.h"
#include "prim.h"

enum { KB_ROWS = 20000, KB_DIMS = 5 };

/* Uniform [0,1]^d, target 1 inside [0.2,0.6] x [0.5,0.9] on columns 0 and 1, 0 outside,
 * then each label flipped with probability 0.05. */
static void known_box_d(size_t n, size_t d, float *x, uint8_t *y, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) x[j * n + i] = (float)gsl_rng_uniform(r);
        const int in = x[i] >= 0.2f && x[i] <= 0.6f && x[n + i] >= 0.5f && x[n + i] <= 0.9f;
        y[i] = (uint8_t)(gsl_rng_uniform(r) < 0.05 ? !in : in);
    }
    gsl_rng_free(r);
}

static void known_box(size_t n, float *x, uint8_t *y, unsigned long seed)
{
    known_box_d(n, KB_DIMS, x, y, seed);
}

static void columns_of(const float *x, size_t n, size_t d, const float **col)
{
    for (size_t j = 0; j < d; j++) col[j] = x + j * n;
}

static void test_known_box(void **state)
{
    (void)state;
    float *x = malloc(KB_ROWS * KB_DIMS * sizeof *x);
    uint8_t *y = malloc(KB_ROWS);
    assert_true(x && y);
    known_box(KB_ROWS, x, y, 20260601);
    const float *col[KB_DIMS];
    columns_of(x, KB_ROWS, KB_DIMS, col);
    prim_data data;
    gs_error err;
    assert_int_equal(prim_data_create(&data, KB_ROWS, KB_DIMS, col, 0, 0, &err), GS_OK);
    assert_true(data.n_bins[0] > KB_ROWS - 100); /* every value its own bin (a few equal floats) */
    prim_options opt = prim_options_default();
    prim_result res;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_OK);
    assert_int_equal(res.n_boxes, 1);
    const prim_box *b = &res.boxes[0];
    static const double want_lo[2] = {0.2, 0.5}, want_hi[2] = {0.6, 0.9};
    for (size_t j = 0; j < 2; j++) {
        if (!(fabs(b->lower[j] - want_lo[j]) <= 0.03 && fabs(b->upper[j] - want_hi[j]) <= 0.03))
            fail_msg("column %zu: box [%g, %g], expected [%g, %g] within 0.03", j, b->lower[j],
                     b->upper[j], want_lo[j], want_hi[j]);
        assert_true(b->p_lower[j] < 1e-6 && b->p_upper[j] < 1e-6);
        assert_true(b->gain[j] > 0.3);
    }
    for (size_t j = 2; j < KB_DIMS; j++) {
        if (!(isinf(b->lower[j]) && isinf(b->upper[j])))
            fail_msg("column %zu should be unrestricted, got [%g, %g]", j, b->lower[j],
                     b->upper[j]);
        assert_true(isnan(b->p_lower[j]) && isnan(b->p_upper[j]));
    }
    assert_int_equal(b->box.restricted, 2);
    /* the box holds about 0.16 of the rows at density about 0.95 (5% noise):
     * binomial SE of the density at ~3,200 rows is 0.004; 5 SE = 0.02 */
    assert_true(fabs(b->box.density - 0.95) < 0.02 + 0.02);
    assert_true(res.ranking[0] < 2 && res.ranking[1] < 2);
    /* the trajectory: coverage never rises, mass falls, step 0 is everything */
    assert_true(b->n_steps > 10);
    assert_int_equal(b->steps[0].rows, KB_ROWS);
    assert_true(b->steps[0].coverage == 1.0 && b->steps[0].restricted == 0);
    for (size_t t = 1; t < b->n_steps; t++) {
        assert_true(b->steps[t].coverage <= b->steps[t - 1].coverage);
        assert_true(b->steps[t].rows < b->steps[t - 1].rows);
        assert_true(b->steps[t].mass >= opt.min_mass);
    }
    prim_result_free(&res);
    prim_data_free(&data);
    free(x);
    free(y);
}

/* Every field of two results, bit for bit. */
static void assert_same_result(const prim_result *a, const prim_result *b)
{
    assert_int_equal(a->n_boxes, b->n_boxes);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->positives, b->positives);
    assert_memory_equal(a->importance, b->importance, a->d * sizeof *a->importance);
    assert_memory_equal(a->ranking, b->ranking, a->d * sizeof *a->ranking);
    for (size_t k = 0; k < a->n_boxes; k++) {
        const prim_box *p = &a->boxes[k], *q = &b->boxes[k];
        assert_int_equal(p->n_steps, q->n_steps);
        assert_int_equal(p->chosen, q->chosen);
        assert_int_equal(p->pastes, q->pastes);
        assert_memory_equal(p->steps, q->steps, p->n_steps * sizeof *p->steps);
        assert_memory_equal(&p->box, &q->box, sizeof p->box);
        assert_memory_equal(p->lo_bin, q->lo_bin, a->d * sizeof *p->lo_bin);
        assert_memory_equal(p->hi_bin, q->hi_bin, a->d * sizeof *p->hi_bin);
        assert_memory_equal(p->lower, q->lower, a->d * sizeof *p->lower);
        assert_memory_equal(p->upper, q->upper, a->d * sizeof *p->upper);
        assert_memory_equal(p->p_lower, q->p_lower, a->d * sizeof *p->p_lower);
        assert_memory_equal(p->p_upper, q->p_upper, a->d * sizeof *p->p_upper);
        assert_memory_equal(p->gain, q->gain, a->d * sizeof *p->gain);
    }
}

/* 1 and 2 threads, coding and discovery, two boxes, with a row filter; 200,000 rows x 20
 * columns, so that the histogram updates run on threads too (prim.c uses threads for
 * updates of at least 1e6 row-columns). */
static void test_threads_identical(void **state)
{
    (void)state;
    const size_t n = 200000, d = 20;
    float *x = malloc(n * d * sizeof *x);
    uint8_t *y = malloc(n), *keep = malloc(n);
    assert_true(x && y && keep);
    known_box_d(n, d, x, y, 7);
    for (size_t i = 0; i < n; i++) keep[i] = (uint8_t)(i % 17 != 3);
    const float *col[20];
    columns_of(x, n, d, col);
    prim_data d1, d2;
    gs_error err;
    assert_int_equal(prim_data_create(&d1, n, d, col, 4096, 1, &err), GS_OK);
    assert_int_equal(prim_data_create(&d2, n, d, col, 4096, 2, &err), GS_OK);
    assert_int_equal(d1.total_bins, d2.total_bins);
    assert_memory_equal(d1.code, d2.code, n * d * sizeof *d1.code);
    assert_memory_equal(d1.bin_min, d2.bin_min, d1.total_bins * sizeof *d1.bin_min);
    prim_options opt = prim_options_default();
    opt.box_count = 2;
    prim_result r1, r2;
    opt.threads = 1;
    assert_int_equal(prim_run(&d1, y, keep, &opt, &r1, &err), GS_OK);
    opt.threads = 2;
    assert_int_equal(prim_run(&d2, y, keep, &opt, &r2, &err), GS_OK);
    assert_int_equal(r1.rows, n - (n + 13) / 17);
    assert_same_result(&r1, &r2);
    /* the reduce path with the communicator of this one process: the same bits */
    const gs_comm world = comm_world();
    prim_result r3;
    opt.reduce = prim_reduce_comm;
    opt.reduce_ctx = (void *)&world;
    assert_int_equal(prim_run(&d2, y, keep, &opt, &r3, &err), GS_OK);
    assert_same_result(&r1, &r3);
    prim_result_free(&r3);
    prim_result_free(&r1);
    prim_result_free(&r2);
    prim_data_free(&d1);
    prim_data_free(&d2);
    free(x);
    free(y);
    free(keep);
}

/* ------------------------------------------------------------ shards via reduce */

/* Three "processes" as three threads, each holding a slice of the rows (one of them none);
 * reduce adds their count arrays through a barrier, as an MPI_Allreduce would. */
enum { RANKS = 3 };

typedef struct {
    pthread_barrier_t barrier;
    uint64_t *slot[RANKS];
    size_t n[RANKS];
} shard_hub;

typedef struct {
    shard_hub *hub;
    int rank;
    const prim_data *data;
    const uint8_t *y;
    prim_options opt;
    prim_result res;
    gs_status status;
    gs_error err;
} shard_job;

static gs_status hub_reduce(void *ctx, uint64_t *counts, size_t n, gs_error *err)
{
    shard_job *job = ctx;
    shard_hub *h = job->hub;
    h->slot[job->rank] = counts;
    h->n[job->rank] = n;
    pthread_barrier_wait(&h->barrier);
    uint64_t *tmp = calloc(n ? n : 1, sizeof *tmp);
    int sizes_differ = 0;
    for (int r = 0; r < RANKS; r++) {
        sizes_differ |= h->n[r] != n;
        for (size_t i = 0; i < n && h->n[r] == n && tmp; i++) tmp[i] += h->slot[r][i];
    }
    pthread_barrier_wait(&h->barrier); /* every rank has read every slot */
    if (!tmp) return gs_error_set(err, GS_ERR_NOMEM, "reduce: out of memory");
    if (sizes_differ) {
        free(tmp);
        return gs_error_set(err, GS_ERR_INTERNAL, "reduce sizes differ");
    }
    memcpy(counts, tmp, n * sizeof *tmp);
    free(tmp);
    return GS_OK;
}

static void *shard_main(void *arg)
{
    shard_job *job = arg;
    job->opt.reduce_ctx = job;
    job->status = prim_run(job->data, job->y, NULL, &job->opt, &job->res, &job->err);
    return NULL;
}

static void test_shards_identical(void **state)
{
    (void)state;
    const size_t n = 20000;
    static const size_t cut[RANKS + 1] = {0, 9000, 9000, 20000}; /* rank 1 holds no rows */
    float *x = malloc(n * KB_DIMS * sizeof *x);
    uint8_t *y = malloc(n);
    assert_true(x && y);
    known_box(n, x, y, 99);
    const float *col[KB_DIMS];
    columns_of(x, n, KB_DIMS, col);
    prim_data whole;
    gs_error err;
    assert_int_equal(prim_data_create(&whole, n, KB_DIMS, col, 2048, 0, &err), GS_OK);
    /* the shards share the whole data's bin edges */
    prim_data part[RANKS];
    for (int s = 0; s < RANKS; s++) {
        const float *pc[KB_DIMS];
        const size_t m = cut[s + 1] - cut[s];
        for (size_t j = 0; j < KB_DIMS; j++) pc[j] = col[j] + cut[s];
        assert_int_equal(prim_data_create_with_edges(&part[s], m, KB_DIMS, pc, whole.n_bins,
                                                     whole.bin_min, 0, &err),
                         GS_OK);
        for (size_t j = 0; j < KB_DIMS && m; j++)
            assert_memory_equal(part[s].code + j * m, whole.code + j * n + cut[s],
                                m * sizeof *whole.code);
    }
    prim_options opt = prim_options_default();
    opt.box_count = 2;
    prim_result ref;
    assert_int_equal(prim_run(&whole, y, NULL, &opt, &ref, &err), GS_OK);

    shard_hub hub;
    pthread_barrier_init(&hub.barrier, NULL, RANKS);
    shard_job job[RANKS];
    pthread_t th[RANKS];
    for (int s = 0; s < RANKS; s++) {
        job[s] = (shard_job){.hub = &hub, .rank = s, .data = &part[s], .y = y + cut[s],
                             .opt = opt};
        job[s].opt.reduce = hub_reduce;
        job[s].opt.threads = 1;
        assert_int_equal(pthread_create(&th[s], NULL, shard_main, &job[s]), 0);
    }
    for (int s = 0; s < RANKS; s++) pthread_join(th[s], NULL);
    pthread_barrier_destroy(&hub.barrier);
    for (int s = 0; s < RANKS; s++) {
        if (job[s].status != GS_OK) fail_msg("shard %d: %s", s, job[s].err.msg);
        /* limits in values differ only in the reported bin_max of the upper limits: the
         * shards know edges, not values; compare bins and counts */
        assert_int_equal(job[s].res.n_boxes, ref.n_boxes);
        for (size_t k = 0; k < ref.n_boxes; k++) {
            const prim_box *p = &ref.boxes[k], *q = &job[s].res.boxes[k];
            assert_int_equal(p->n_steps, q->n_steps);
            assert_memory_equal(p->steps, q->steps, p->n_steps * sizeof *p->steps);
            assert_memory_equal(&p->box, &q->box, sizeof p->box);
            assert_memory_equal(p->lo_bin, q->lo_bin, KB_DIMS * sizeof *p->lo_bin);
            assert_memory_equal(p->hi_bin, q->hi_bin, KB_DIMS * sizeof *p->hi_bin);
            assert_memory_equal(p->lower, q->lower, KB_DIMS * sizeof *p->lower);
            assert_memory_equal(p->p_lower, q->p_lower, KB_DIMS * sizeof *p->p_lower);
            assert_memory_equal(p->p_upper, q->p_upper, KB_DIMS * sizeof *p->p_upper);
            assert_memory_equal(p->gain, q->gain, KB_DIMS * sizeof *p->gain);
        }
        assert_memory_equal(ref.importance, job[s].res.importance,
                            KB_DIMS * sizeof *ref.importance);
        prim_result_free(&job[s].res);
        prim_data_free(&part[s]);
    }
    prim_result_free(&ref);
    prim_data_free(&whole);
    free(x);
    free(y);
}

/* ------------------------------------------------------------ choice, words */

static void test_threshold_and_words(void **state)
{
    (void)state;
    float *x = malloc(KB_ROWS * KB_DIMS * sizeof *x);
    uint8_t *y = malloc(KB_ROWS);
    assert_true(x && y);
    known_box(KB_ROWS, x, y, 20260601);
    const float *col[KB_DIMS];
    columns_of(x, KB_ROWS, KB_DIMS, col);
    prim_data data;
    gs_error err;
    assert_int_equal(prim_data_create(&data, KB_ROWS, KB_DIMS, col, 0, 0, &err), GS_OK);
    prim_options opt = prim_options_default();
    opt.choice = PRIM_CHOOSE_THRESHOLD;
    opt.threshold = 0.5;
    opt.paste_alpha = 0.0;
    prim_result res;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_OK);
    assert_int_equal(res.n_boxes, 1);
    const prim_box *b = &res.boxes[0];
    /* the earliest step at density >= 0.5, and the box is that step (no pasting) */
    assert_true(b->steps[b->chosen].density >= 0.5);
    assert_true(b->chosen > 0 && b->steps[b->chosen - 1].density < 0.5);
    prim_step at = b->steps[b->chosen];
    at.moved = -1; /* a box is not a peel */
    assert_memory_equal(&b->box, &at, sizeof b->box);
    assert_int_equal(b->pastes, 0);

    static const char *const labels[KB_DIMS] = {"capture", "catch-up", "c", "d", "e"};
    static const char *const units[KB_DIMS] = {NULL, "per cycle", NULL, NULL, NULL};
    const prim_words words = {.labels = labels, .units = units,
                              .subject = "the premium compounds", .rows = "futures",
                              .positives = "compounding ones"};
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    assert_int_equal(prim_describe(f, &res, &words, &err), GS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "the premium compounds in "));
    assert_non_null(strstr(buf, "% of futures (vs 19% overall) where "));
    assert_non_null(strstr(buf, "catch-up"));
    assert_non_null(strstr(buf, "per cycle"));
    assert_non_null(strstr(buf, "; these futures hold "));
    assert_non_null(strstr(buf, "% of all compounding ones.\n"));
    assert_null(strstr(buf, " c "));
    prim_result_free(&res);

    /* nothing denser than the whole: a target that does not depend on x */
    for (size_t i = 0; i < KB_ROWS; i++) y[i] = 1;
    assert_int_equal(prim_run(&data, y, NULL, NULL, &res, &err), GS_OK);
    assert_int_equal(res.n_boxes, 0);
    memset(buf, 0, sizeof buf);
    f = fmemopen(buf, sizeof buf - 1, "w");
    assert_int_equal(prim_describe(f, &res, &words, &err), GS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "no box of futures is denser"));
    prim_result_free(&res);
    prim_data_free(&data);
    free(x);
    free(y);
}

/* Integer-valued columns with heavy ties are peeled whole values at a time. */
static void test_ties(void **state)
{
    (void)state;
    const size_t n = 5000;
    float *x = malloc(2 * n * sizeof *x);
    uint8_t *y = malloc(n);
    assert_true(x && y);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)gsl_rng_uniform_int(r, 4);    /* shocks: 0 .. 3 */
        x[n + i] = (float)gsl_rng_uniform(r);
        y[i] = (uint8_t)(x[i] >= 2.0f ? gsl_rng_uniform(r) < 0.8 : gsl_rng_uniform(r) < 0.1);
    }
    gsl_rng_free(r);
    const float *col[2] = {x, x + n};
    prim_data data;
    gs_error err;
    assert_int_equal(prim_data_create(&data, n, 2, col, 0, 0, &err), GS_OK);
    assert_int_equal(data.n_bins[0], 4);
    prim_result res;
    assert_int_equal(prim_run(&data, y, NULL, NULL, &res, &err), GS_OK);
    assert_int_equal(res.n_boxes, 1);
    assert_true(res.boxes[0].lower[0] == 2.0);
    assert_true(isinf(res.boxes[0].upper[0]));
    assert_int_equal(res.ranking[0], 0);
    prim_result_free(&res);
    prim_data_free(&data);
    free(x);
    free(y);
}

/* -0 and +0 are one value, infinities are values, bins follow the order of values; given
 * edges put a value in the last bin whose smallest value is <= it. */
static void test_coding(void **state)
{
    (void)state;
    const float x[7] = {1.0f, -0.0f, INFINITY, 0.0f, -INFINITY, 1.0f, 0.5f};
    const float *col[1] = {x};
    prim_data data;
    gs_error err;
    assert_int_equal(prim_data_create(&data, 7, 1, col, 0, 1, &err), GS_OK);
    assert_int_equal(data.n_bins[0], 5);
    static const uint16_t want[7] = {3, 1, 4, 1, 0, 3, 2};
    assert_memory_equal(data.code, want, sizeof want);
    assert_false(signbit(data.bin_min[1]));
    assert_true(data.bin_min[0] == -INFINITY && data.bin_max[4] == INFINITY);
    prim_data_free(&data);
    /* at most 2 bins: bin 1 starts at the first new value at or after sorted position
     * ceil(7 / 2) = 4, the first 1 (0.5 at position 3 stays in bin 0) */
    assert_int_equal(prim_data_create(&data, 7, 1, col, 2, 1, &err), GS_OK);
    assert_int_equal(data.n_bins[0], 2);
    static const uint16_t want2[7] = {1, 0, 1, 0, 0, 1, 0};
    assert_memory_equal(data.code, want2, sizeof want2);
    prim_data_free(&data);
    const uint32_t nb[1] = {3};
    const float edges[3] = {0.0f, 0.5f, 2.0f};
    assert_int_equal(prim_data_create_with_edges(&data, 7, 1, col, nb, edges, 1, &err), GS_OK);
    static const uint16_t want3[7] = {1, 0, 2, 0, 0, 1, 1};
    assert_memory_equal(data.code, want3, sizeof want3);
    assert_true(data.bin_max[0] == nextafterf(0.5f, 0.0f) && data.bin_max[2] == INFINITY);
    prim_data_free(&data);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_input(void **state)
{
    (void)state;
    float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    const float *col[1] = {x};
    uint8_t y[8] = {0}, none[8] = {0};
    prim_data data;
    prim_result res;
    gs_error err;
    assert_int_equal(prim_data_create(&data, 0, 1, col, 0, 0, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "no rows"));
    assert_int_equal(prim_data_create(&data, 8, 0, col, 0, 0, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "d = 0"));
    float nan_col[8] = {0.1f, NAN, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    const float *ncol[1] = {nan_col};
    assert_int_equal(prim_data_create(&data, 8, 1, ncol, 0, 0, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "row 1 is NaN"));
    assert_int_equal(prim_data_create(&data, 8, 1, col, 70000, 0, &err), GS_ERR_INPUT);

    assert_int_equal(prim_data_create(&data, 8, 1, col, 0, 0, &err), GS_OK);
    assert_int_equal(prim_run(&data, y, NULL, NULL, &res, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "no positive row"));
    y[2] = 1;
    assert_int_equal(prim_run(&data, y, none, NULL, &res, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "no rows left"));
    prim_options opt = prim_options_default();
    opt.min_mass = 1.5;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "min_mass must be in (0, 1], got 1.5"));
    opt = prim_options_default();
    opt.peel_alpha = 0.0;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "peel_alpha"));
    opt = prim_options_default();
    opt.choice = PRIM_CHOOSE_THRESHOLD;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "threshold"));
    opt = prim_options_default();
    opt.box_count = 0;
    assert_int_equal(prim_run(&data, y, NULL, &opt, &res, &err), GS_ERR_INPUT);
    assert_int_equal(prim_run(&data, NULL, NULL, NULL, &res, &err), GS_ERR_INPUT);
    /* the result is empty after a failure */
    assert_int_equal(res.n_boxes, 0);
    assert_null(res.boxes);
    prim_data_free(&data);

    uint32_t nb[1] = {3};
    float edges[3] = {0.0f, 0.5f, 0.4f};
    assert_int_equal(prim_data_create_with_edges(&data, 8, 1, col, nb, edges, 0, &err),
                     GS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "increase"));
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_box),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_shards_identical),
        cmocka_unit_test(test_threshold_and_words),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_coding),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
