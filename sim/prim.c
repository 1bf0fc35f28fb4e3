/* prim.c - PRIM scenario discovery on binned columns; see prim.h and docs/discovery.md.
 *
 * The data are coded once: column j's values go to bins 0 .. n_bins[j]-1 in increasing
 * order of value, so a box is a bin interval [lo_j, hi_j] per column and every PRIM step
 * is a question about integer counts of rows per bin:
 *
 *   peel   : per column, the histogram of the box's rows (and positive rows) over bins;
 *            the box is kept as a list of its rows, and the rows a peel removes are
 *            subtracted from the histograms, so a whole peeling trajectory reads about
 *            (number of steps) row indices and N d codes in all;
 *   paste  : per column j, the histogram of the rows that are inside the box on every
 *            column but j (one pass over the rows);
 *   quasi-p: the counts of the box with one limit removed (the same pass).
 *
 * Counts are sums over rows, so the result is the same for any thread count (threads
 * split columns or rows, and integer sums do not depend on order) and under a reduce
 * callback that adds the counts of several processes.
 */
#include "prim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <omp.h>

#include "comm.h"

static int prim_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

/* ------------------------------------------------------------------ coding */

/* A monotone map of float32 to uint32: a < b <=> key(a) < key(b) (NaN excluded, -0 = 0). */
static uint32_t float_key(float x)
{
    if (x == 0.0f) x = 0.0f;
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* x, with -0 as +0 (they are one value here). */
static float plus_zero(float x) { return x == 0.0f ? 0.0f : x; }

/* Sorts keys[0..n) (value key << 32 | row) by their upper 32 bits, stably, with three
 * passes of a least-significant-digit radix sort (11, 11, 10 bits); tmp holds n items.
 * Rows enter in increasing order, so equal values stay in row order. */
static void radix_sort_upper(uint64_t *keys, uint64_t *tmp, size_t n)
{
    static const int shift[3] = {32, 43, 54};
    static const int width[3] = {11, 11, 10};
    size_t count[2048];
    uint64_t *src = keys, *dst = tmp;
    for (int p = 0; p < 3; p++) {
        const size_t buckets = (size_t)1 << width[p];
        const uint64_t mask = buckets - 1;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift[p]) & mask]++;
        size_t at = 0;
        for (size_t b = 0; b < buckets; b++) {
            const size_t c = count[b];
            count[b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift[p]) & mask]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    /* three passes: the sorted keys are in tmp */
    memcpy(keys, src, n * sizeof *keys);
}

/* Codes one column: sorts it, chooses the bins (every distinct value its own bin when
 * there are at most max_bins of them; otherwise a new bin starts at the first new value
 * at or after position ceil((b+1) n / max_bins)) and writes code[i], bin_min/bin_max
 * (capacity max_bins) and *n_bins.  keys and tmp hold n items each. */
static void code_column(const float *x, size_t n, uint32_t max_bins, uint64_t *keys,
                        uint64_t *tmp, uint16_t *code, float *bin_min, float *bin_max,
                        uint32_t *n_bins)
{
    for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)float_key(x[i]) << 32 | (uint64_t)i;
    radix_sort_upper(keys, tmp, n);
    size_t distinct = 1;
    for (size_t i = 1; i < n; i++) distinct += (keys[i] >> 32) != (keys[i - 1] >> 32);
    const int every_value = distinct <= max_bins;
    uint32_t b = 0;
    bin_min[0] = plus_zero(x[(uint32_t)keys[0]]);
    for (size_t i = 0; i < n; i++) {
        const uint32_t row = (uint32_t)keys[i];
        if (i > 0 && (keys[i] >> 32) != (keys[i - 1] >> 32) &&
            (every_value || (uint64_t)i * max_bins >= (uint64_t)(b + 1) * n)) {
            bin_max[b] = plus_zero(x[(uint32_t)keys[i - 1]]);
            b++;
            bin_min[b] = plus_zero(x[row]);
        }
        code[row] = (uint16_t)b;
    }
    bin_max[b] = plus_zero(x[(uint32_t)keys[n - 1]]);
    *n_bins = b + 1;
}

static gs_status check_columns(size_t n, size_t d, const float *const *columns, int may_be_empty,
                                gs_error *err)
{
    GS_RETURN_IF(n == 0 && !may_be_empty, err, GS_ERR_INPUT, "prim: no rows");
    GS_RETURN_IF(d == 0, err, GS_ERR_INPUT, "prim: no columns (d = 0)");
    GS_RETURN_IF(n > UINT32_MAX, err, GS_ERR_INPUT, "prim: %zu rows, at most %u", n,
                 (unsigned)UINT32_MAX);
    GS_RETURN_IF(!columns, err, GS_ERR_INPUT, "prim: no column data");
    for (size_t j = 0; j < d; j++) {
        GS_RETURN_IF(!columns[j], err, GS_ERR_INPUT, "prim: column %zu has no data", j);
        for (size_t i = 0; i < n; i++)
            GS_RETURN_IF(isnan(columns[j][i]), err, GS_ERR_INPUT,
                         "prim: column %zu row %zu is NaN (leave the row out instead)", j, i);
    }
    return GS_OK;
}

void prim_data_free(prim_data *data)
{
    if (!data) return;
    free(data->n_bins);
    free(data->bin_offset);
    free(data->bin_min);
    free(data->bin_max);
    free(data->code);
    memset(data, 0, sizeof *data);
}

static gs_status data_alloc(prim_data *data, size_t n, size_t d, size_t bin_capacity,
                            gs_error *err)
{
    memset(data, 0, sizeof *data);
    data->n = n;
    data->d = d;
    data->n_bins = calloc(d, sizeof *data->n_bins);
    data->bin_offset = calloc(d, sizeof *data->bin_offset);
    data->bin_min = malloc(bin_capacity * sizeof *data->bin_min);
    data->bin_max = malloc(bin_capacity * sizeof *data->bin_max);
    data->code = malloc((n ? n * d : 1) * sizeof *data->code);
    if (!data->n_bins || !data->bin_offset || !data->bin_min || !data->bin_max || !data->code) {
        prim_data_free(data);
        return gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory coding %zu x %zu values",
                            n, d);
    }
    return GS_OK;
}

gs_status prim_data_create(prim_data *data, size_t n, size_t d, const float *const *columns,
                           uint32_t max_bins, int threads, gs_error *err)
{
    memset(data, 0, sizeof *data);
    GS_FORWARD(check_columns(n, d, columns, 0, err));
    if (max_bins == 0) max_bins = PRIM_MAX_BINS;
    GS_RETURN_IF(max_bins > PRIM_MAX_BINS, err, GS_ERR_INPUT,
                 "prim: max_bins must be <= %d, got %u", PRIM_MAX_BINS, max_bins);
    const size_t cap = n < max_bins ? n : max_bins;
    GS_FORWARD(data_alloc(data, n, d, cap * d, err));
    const int nt = prim_threads(threads) < (int)d ? prim_threads(threads) : (int)d;
    int failed = 0;
#pragma omp parallel num_threads(nt) reduction(| : failed)
    {
        uint64_t *keys = malloc(n * sizeof *keys), *tmp = malloc(n * sizeof *tmp);
        if (!keys || !tmp) failed = 1;
#pragma omp for schedule(static)
        for (size_t j = 0; j < d; j++)
            if (keys && tmp)
                code_column(columns[j], n, max_bins, keys, tmp, data->code + j * n,
                            data->bin_min + j * cap, data->bin_max + j * cap, &data->n_bins[j]);
        free(keys);
        free(tmp);
    }
    if (failed) {
        prim_data_free(data);
        return gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory sorting %zu rows", n);
    }
    size_t at = 0; /* pack the bins of the columns one after the other */
    for (size_t j = 0; j < d; j++) {
        memmove(data->bin_min + at, data->bin_min + j * cap, data->n_bins[j] * sizeof(float));
        memmove(data->bin_max + at, data->bin_max + j * cap, data->n_bins[j] * sizeof(float));
        data->bin_offset[j] = at;
        at += data->n_bins[j];
    }
    data->total_bins = at;
    return GS_OK;
}

gs_status prim_data_create_with_edges(prim_data *data, size_t n, size_t d,
                                      const float *const *columns, const uint32_t *n_bins,
                                      const float *bin_min, int threads, gs_error *err)
{
    memset(data, 0, sizeof *data);
    GS_FORWARD(check_columns(n, d, columns, 1, err));
    GS_RETURN_IF(!n_bins || !bin_min, err, GS_ERR_INPUT, "prim: no bin edges given");
    size_t total = 0;
    for (size_t j = 0; j < d; j++) {
        GS_RETURN_IF(n_bins[j] < 1 || n_bins[j] > PRIM_MAX_BINS, err, GS_ERR_INPUT,
                     "prim: column %zu: n_bins must be in 1..%d, got %u", j, PRIM_MAX_BINS,
                     n_bins[j]);
        for (uint32_t b = 1; b < n_bins[j]; b++)
            GS_RETURN_IF(!(bin_min[total + b] > bin_min[total + b - 1]), err, GS_ERR_INPUT,
                         "prim: column %zu: bin edges must increase (bin %u)", j, b);
        total += n_bins[j];
    }
    GS_FORWARD(data_alloc(data, n, d, total, err));
    data->total_bins = total;
    size_t at = 0;
    for (size_t j = 0; j < d; j++) {
        data->n_bins[j] = n_bins[j];
        data->bin_offset[j] = at;
        for (uint32_t b = 0; b < n_bins[j]; b++) {
            data->bin_min[at + b] = bin_min[at + b];
            data->bin_max[at + b] =
                b + 1 < n_bins[j] ? nextafterf(bin_min[at + b + 1], -INFINITY) : INFINITY;
        }
        at += n_bins[j];
    }
#pragma omp parallel for schedule(static) num_threads(prim_threads(threads))
    for (size_t j = 0; j < d; j++) {
        const float *e = data->bin_min + data->bin_offset[j];
        const uint32_t nb = data->n_bins[j];
        for (size_t i = 0; i < n; i++) { /* the last bin whose smallest value <= x */
            const float x = columns[j][i];
            uint32_t a = 0, z = nb; /* e[a] <= x or a == 0; e[z] > x or z == nb */
            while (z - a > 1) {
                const uint32_t m = a + (z - a) / 2;
                if (e[m] <= x) a = m;
                else z = m;
            }
            data->code[j * n + i] = (uint16_t)a;
        }
    }
    return GS_OK;
}

gs_status prim_reduce_comm(void *ctx, uint64_t *counts, size_t n, gs_error *err)
{
    gs_status s = comm_sum_u64((const gs_comm *)ctx, counts, n);
    return s == GS_OK ? GS_OK : gs_error_set(err, s, "prim: summing counts over MPI ranks failed");
}

/* ------------------------------------------------------------------ options */

prim_options prim_options_default(void)
{
    return (prim_options){.peel_alpha = 0.05, .paste_alpha = 0.05, .min_mass = 0.05,
                          .choice = PRIM_CHOOSE_KNEE, .threshold = 0.0, .box_count = 1};
}

static gs_status check_options(const prim_options *o, gs_error *err)
{
    GS_RETURN_IF(!(o->peel_alpha > 0.0 && o->peel_alpha <= 0.5), err, GS_ERR_INPUT,
                 "prim: peel_alpha must be in (0, 0.5], got %g", o->peel_alpha);
    GS_RETURN_IF(!(o->paste_alpha >= 0.0 && o->paste_alpha <= 0.5), err, GS_ERR_INPUT,
                 "prim: paste_alpha must be in [0, 0.5], got %g", o->paste_alpha);
    GS_RETURN_IF(!(o->min_mass > 0.0 && o->min_mass <= 1.0), err, GS_ERR_INPUT,
                 "prim: min_mass must be in (0, 1], got %g", o->min_mass);
    GS_RETURN_IF(o->choice != PRIM_CHOOSE_KNEE && o->choice != PRIM_CHOOSE_THRESHOLD, err,
                 GS_ERR_INPUT, "prim: unknown box choice %d", (int)o->choice);
    GS_RETURN_IF(o->choice == PRIM_CHOOSE_THRESHOLD &&
                     !(o->threshold > 0.0 && o->threshold <= 1.0),
                 err, GS_ERR_INPUT, "prim: density threshold must be in (0, 1], got %g",
                 o->threshold);
    GS_RETURN_IF(o->box_count < 1 || o->box_count > 1000, err, GS_ERR_INPUT,
                 "prim: box_count must be in 1..1000, got %zu", o->box_count);
    return GS_OK;
}

/* ------------------------------------------------------------------ run state */

/* A peel or paste: column, side (0 lower, 1 upper), the new limit. */
typedef struct {
    uint32_t column, side, limit;
} prim_move;

typedef struct {
    const prim_data *data;
    const uint8_t *target;
    const prim_options *opt;
    int threads;
    uint8_t *state;     /* [n] 0: takes part in this box's search; 1: not */
    uint32_t *rows;     /* [n] this process's rows in the current box (increasing) */
    uint32_t *removed;  /* [n] rows a peel removes */
    size_t n_rows;      /* entries of rows */
    uint8_t *row_y;     /* [n] target of rows[i] or removed[i] (read in order) */
    uint32_t *hist;     /* [total_bins][2]: rows and positive rows per bin, of the box over
                           all processes (32 bits: half the cache footprint of 64) */
    uint32_t *scratch;  /* [total_bins][2] with a reduce callback: what a peel removes here */
    uint64_t *delta;    /* [total_bins][2] with a reduce callback: the counts to sum */
    uint32_t *lo, *hi;  /* [d] the current box */
    uint64_t rows_all, positives_all; /* N0, K0 of the whole discovery */
} prim_ctx;

static gs_status reduce(prim_ctx *c, uint64_t *counts, size_t n, gs_error *err)
{
    if (!c->opt->reduce) return GS_OK;
    gs_status s = c->opt->reduce(c->opt->reduce_ctx, counts, n, err);
    if (s != GS_OK && err && !err->msg[0]) gs_error_set(err, s, "prim: count reduction failed");
    return s;
}

/* Sums a histogram over the processes in place, through the 64-bit buffer the callback
 * takes (sums fit in 32 bits: prim_run checks that all rows together are fewer than 2^32). */
static gs_status hist_reduce(prim_ctx *c, uint32_t *h, gs_error *err)
{
    if (!c->opt->reduce) return GS_OK;
    const size_t nh = 2 * c->data->total_bins;
    for (size_t b = 0; b < nh; b++) c->delta[b] = h[b];
    GS_FORWARD(reduce(c, c->delta, nh, err));
    for (size_t b = 0; b < nh; b++) h[b] = (uint32_t)c->delta[b];
    return GS_OK;
}

/* a/b > c/d for counts (b, d > 0; all < 2^32, so the products fit in 64 bits). */
static int denser(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return a * d > c * b; }

static uint32_t count_restricted(const prim_data *data, const uint32_t *lo, const uint32_t *hi)
{
    uint32_t r = 0;
    for (size_t j = 0; j < data->d; j++) r += lo[j] > 0 || hi[j] + 1 < data->n_bins[j];
    return r;
}

static prim_step make_step(const prim_ctx *c, uint64_t rows, uint64_t positives)
{
    return (prim_step){.rows = rows, .positives = positives,
                       .coverage = (double)positives / (double)c->positives_all,
                       .density = rows ? (double)positives / (double)rows : 0.0,
                       .mass = (double)rows / (double)c->rows_all,
                       .restricted = count_restricted(c->data, c->lo, c->hi), .moved = -1};
}

/* Adds the rows r[0..m), whose targets are ry[0..m), to (sign +1) or from (sign -1)
 * hist, column by column (one thread per column).  The rows are increasing but sparse,
 * so their codes are fetched ahead of use. */
static void hist_add(prim_ctx *c, uint32_t *hist, const uint32_t *r, const uint8_t *ry, size_t m,
                     int sign)
{
    const prim_data *data = c->data;
    const size_t n = data->n;
    enum { AHEAD = 64 };
    /* threads only for big updates: a small one costs less than waking the team */
    const int parallel = c->threads > 1 && (double)m * (double)data->d >= 1e6;
#pragma omp parallel for schedule(dynamic, 1) num_threads(c->threads) if (parallel)
    for (size_t j = 0; j < data->d; j++) {
        uint32_t *h = hist + 2 * data->bin_offset[j];
        const uint16_t *code = data->code + j * n;
        const uint32_t one = sign > 0 ? 1 : (uint32_t)-1;
        for (size_t i = 0; i < m; i++) {
            if (i + AHEAD < m) __builtin_prefetch(code + r[i + AHEAD]);
            const size_t b = 2 * (size_t)code[r[i]];
            h[b] += one;
            h[b + 1] += ry[i] ? one : 0;
        }
    }
}

/* Per row of the search: which limits of the box it violates.  Calls visit(ctx, row,
 * column, side) for rows inside (column = -1) or outside on exactly one limit; rows are
 * taken in blocks so the codes are read column by column. */
typedef void (*visit_fn)(void *ctx, size_t row, int column, int side);
enum { PRIM_SCAN_BLOCK = 4096 };

static void scan_box(const prim_ctx *c, visit_fn visit, void *ctx)
{
    const prim_data *data = c->data;
    uint8_t nviol[PRIM_SCAN_BLOCK];
    uint16_t which[PRIM_SCAN_BLOCK]; /* 2 column + side of the last violated limit */
    for (size_t first = 0; first < data->n; first += PRIM_SCAN_BLOCK) {
        const size_t m = data->n - first < PRIM_SCAN_BLOCK ? data->n - first : PRIM_SCAN_BLOCK;
        for (size_t i = 0; i < m; i++) nviol[i] = c->state[first + i] ? 2 : 0;
        for (size_t j = 0; j < data->d; j++) {
            const uint16_t *code = data->code + j * data->n + first;
            const uint32_t lo = c->lo[j], hi = c->hi[j];
            if (lo == 0 && hi + 1 == data->n_bins[j]) continue;
            for (size_t i = 0; i < m; i++) {
                const int below = code[i] < lo, above = code[i] > hi;
                if (below | above) {
                    nviol[i] = (uint8_t)(nviol[i] < 2 ? nviol[i] + 1 : 2);
                    which[i] = (uint16_t)(2 * j + (size_t)above);
                }
            }
        }
        for (size_t i = 0; i < m; i++) {
            if (nviol[i] == 0) visit(ctx, first + i, -1, 0);
            else if (nviol[i] == 1) visit(ctx, first + i, which[i] / 2, which[i] % 2);
        }
    }
}

/* ------------------------------------------------------------------ peeling */

/* The best peel of the current box of `rows` rows and `pos` positive rows, from the
 * global histograms: per column and side, the fewest whole bins from that end holding at
 * least ceil(peel_alpha rows) rows, at least one bin left, and the rest at least min_mass
 * of all rows.  Best: highest density left; ties: more rows left, lower column, lower
 * side.  Returns 0 if there is no valid peel. */
static int best_peel(const prim_ctx *c, uint64_t rows, uint64_t pos, prim_move *best,
                     uint64_t *best_r, uint64_t *best_k)
{
    const prim_data *data = c->data;
    double need_d = ceil(c->opt->peel_alpha * (double)rows);
    const uint64_t need = need_d < 1.0 ? 1 : (uint64_t)need_d;
    const double min_rows = c->opt->min_mass * (double)c->rows_all;
    int found = 0;
    for (uint32_t j = 0; j < data->d; j++) {
        const uint32_t *h = c->hist + 2 * data->bin_offset[j];
        for (uint32_t side = 0; side < 2; side++) {
            uint64_t r = 0, k = 0;
            uint32_t limit = 0;
            int ok = 0;
            if (side == 0) {
                for (uint32_t b = c->lo[j]; b < c->hi[j]; b++) {
                    r += h[2 * b];
                    k += h[2 * b + 1];
                    if (r >= need) { limit = b + 1; ok = 1; break; }
                }
            } else {
                for (uint32_t b = c->hi[j]; b > c->lo[j]; b--) {
                    r += h[2 * b];
                    k += h[2 * b + 1];
                    if (r >= need) { limit = b - 1; ok = 1; break; }
                }
            }
            if (!ok || r >= rows || (double)(rows - r) < min_rows) continue;
            const uint64_t left = rows - r, left_k = pos - k;
            int better = !found;
            if (found) {
                const uint64_t bl = rows - *best_r, bk = pos - *best_k;
                better = denser(left_k, left, bk, bl) ||
                         (!denser(bk, bl, left_k, left) && left > bl);
            }
            if (better) {
                *best = (prim_move){j, side, limit};
                *best_r = r;
                *best_k = k;
                found = 1;
            }
        }
    }
    return found;
}

/* Applies a peel to this process's row list and the histograms. */
static gs_status apply_peel(prim_ctx *c, const prim_move *mv, gs_error *err)
{
    const prim_data *data = c->data;
    if (mv->side == 0) c->lo[mv->column] = mv->limit;
    else c->hi[mv->column] = mv->limit;
    const uint16_t *code = data->code + (size_t)mv->column * data->n;
    const uint32_t lo = c->lo[mv->column], hi = c->hi[mv->column];
    size_t kept = 0, gone = 0;
    for (size_t i = 0; i < c->n_rows; i++) {
        const uint32_t r = c->rows[i];
        if (code[r] < lo || code[r] > hi) {
            c->row_y[gone] = c->target[r] != 0;
            c->removed[gone++] = r;
        } else {
            c->rows[kept++] = r;
        }
    }
    c->n_rows = kept;
    if (!c->opt->reduce) {
        hist_add(c, c->hist, c->removed, c->row_y, gone, -1);
        return GS_OK;
    }
    const size_t nh = 2 * data->total_bins;
    memset(c->scratch, 0, nh * sizeof *c->scratch);
    hist_add(c, c->scratch, c->removed, c->row_y, gone, +1);
    GS_FORWARD(hist_reduce(c, c->scratch, err));
    for (size_t b = 0; b < nh; b++) c->hist[b] -= c->scratch[b];
    return GS_OK;
}

/* ------------------------------------------------------------------ choice of a step */

/* The knee: with x_t = (c_0 - c_t)/(c_0 - c_T) the coverage given up (0 when c_0 = c_T)
 * and y_t = (ρ_t - ρ_0)/(ρ_max - ρ_0) the density gained, both in [0, 1], the step
 * t >= 1 of largest y_t - x_t (the point furthest above the diagonal; ties: the earliest).
 * Threshold: the earliest (largest-coverage) step with density >= threshold.
 * Returns 0 when no step qualifies (no peel, or nothing denser than step 0). */
static int choose_step(const prim_options *o, const prim_step *s, size_t n, size_t *chosen)
{
    if (o->choice == PRIM_CHOOSE_THRESHOLD) {
        for (size_t t = 0; t < n; t++)
            if (s[t].density >= o->threshold) { *chosen = t; return 1; }
        return 0;
    }
    if (n < 2) return 0;
    double rho_max = s[0].density;
    for (size_t t = 1; t < n; t++) rho_max = s[t].density > rho_max ? s[t].density : rho_max;
    if (!(rho_max > s[0].density)) return 0;
    const double c0 = s[0].coverage, cT = s[n - 1].coverage, rho0 = s[0].density;
    double best = -INFINITY;
    for (size_t t = 1; t < n; t++) {
        const double x = c0 > cT ? (c0 - s[t].coverage) / (c0 - cT) : 0.0;
        const double y = (s[t].density - rho0) / (rho_max - rho0);
        if (y - x > best) { best = y - x; *chosen = t; }
    }
    return 1;
}

/* ------------------------------------------------------------------ pasting, counts */

typedef struct {
    const prim_ctx *c;
    uint64_t *loo;    /* [total_bins][2] rows (and positive rows) outside the box on one
                         limit only, by their bin in that limit's column */
    uint64_t *limit;  /* [2 + 4 d]: box rows, positives; per column and side rows, positives */
} scan_sink;

static void visit_paste(void *ctx, size_t row, int column, int side)
{
    scan_sink *s = ctx;
    const prim_data *data = s->c->data;
    const int y = s->c->target[row] != 0;
    (void)side;
    if (column < 0) {
        s->limit[0]++;
        s->limit[1] += (uint64_t)y;
        return;
    }
    const size_t b = data->bin_offset[column] + data->code[(size_t)column * data->n + row];
    s->loo[2 * b]++;
    s->loo[2 * b + 1] += (uint64_t)y;
}

static void visit_limits(void *ctx, size_t row, int column, int side)
{
    scan_sink *s = ctx;
    const uint64_t y = s->c->target[row] != 0;
    const size_t at = column < 0 ? 0 : 2 + 4 * (size_t)column + 2 * (size_t)side;
    s->limit[at]++;
    s->limit[at + 1] += y;
}

/* Pastes the current box while a paste raises its density: per column and side, the
 * fewest whole bins beyond the limit that add at least ceil(paste_alpha rows) rows inside
 * the box on every other column (or every bin to that end if fewer), best by density as
 * in best_peel; accepted when strictly denser.  Sets *rows, *pos to the final box. */
static gs_status paste(prim_ctx *c, uint64_t *rows, uint64_t *pos, size_t *pastes,
                       uint64_t *loo, gs_error *err)
{
    const prim_data *data = c->data;
    const size_t nh = 2 * data->total_bins;
    uint64_t box[2];
    for (size_t round = 0;; round++) {
        memset(loo, 0, nh * sizeof *loo);
        box[0] = box[1] = 0;
        scan_sink sink = {c, loo, box};
        scan_box(c, visit_paste, &sink);
        GS_FORWARD(reduce(c, loo, nh, err));
        GS_FORWARD(reduce(c, box, 2, err));
        *rows = box[0];
        *pos = box[1];
        if (c->opt->paste_alpha <= 0.0 || round >= 10000) return GS_OK;
        double need_d = ceil(c->opt->paste_alpha * (double)box[0]);
        const uint64_t need = need_d < 1.0 ? 1 : (uint64_t)need_d;
        prim_move best = {0, 0, 0};
        uint64_t best_n = box[0], best_k = box[1];
        int found = 0;
        for (uint32_t j = 0; j < data->d; j++) {
            const uint64_t *h = loo + 2 * data->bin_offset[j];
            for (uint32_t side = 0; side < 2; side++) {
                uint64_t a = 0, ak = 0;
                uint32_t limit = side ? c->hi[j] : c->lo[j];
                if (side == 0)
                    while (limit > 0 && a < need) {
                        limit--;
                        a += h[2 * limit];
                        ak += h[2 * limit + 1];
                    }
                else
                    while (limit + 1 < data->n_bins[j] && a < need) {
                        limit++;
                        a += h[2 * limit];
                        ak += h[2 * limit + 1];
                    }
                if (a == 0) continue;
                const uint64_t nn = box[0] + a, nk = box[1] + ak;
                if (!denser(nk, nn, box[1], box[0])) continue;
                if (!found || denser(nk, nn, best_k, best_n) ||
                    (!denser(best_k, best_n, nk, nn) && nn > best_n)) {
                    best = (prim_move){j, side, limit};
                    best_n = nn;
                    best_k = nk;
                    found = 1;
                }
            }
        }
        if (!found) return GS_OK;
        if (best.side == 0) c->lo[best.column] = best.limit;
        else c->hi[best.column] = best.limit;
        (*pastes)++;
    }
}

/* P(X >= k) for X ~ Binomial(n, p). */
static double binomial_upper(uint64_t k, uint64_t n, double p)
{
    if (k == 0) return 1.0;
    if (p <= 0.0) return 0.0;
    if (p >= 1.0) return 1.0;
    return gsl_cdf_binomial_Q((unsigned)(k - 1), p, (unsigned)n);
}

/* ------------------------------------------------------------------ one box */

static void box_free(prim_box *b)
{
    free(b->steps);
    free(b->lo_bin);
    free(b->hi_bin);
    free(b->lower);
    free(b->upper);
    free(b->p_lower);
    free(b->p_upper);
    free(b->gain);
    memset(b, 0, sizeof *b);
}

/* Searches one box on the rows with state 0: peeling trajectory, choice, pasting,
 * limits, quasi-p, gains.  *found = 0 when nothing is denser than the rows searched.
 * On success with *found, box owns its arrays; rows of the box get state 1. */
static gs_status search_box(prim_ctx *c, prim_box *box, int *found, uint64_t *loo,
                            gs_error *err)
{
    const prim_data *data = c->data;
    const size_t d = data->d, nh = 2 * data->total_bins;
    *found = 0;
    memset(box, 0, sizeof *box);
    c->n_rows = 0;
    uint64_t tot[2] = {0, 0};
    for (size_t i = 0; i < data->n; i++)
        if (!c->state[i]) {
            c->row_y[c->n_rows] = c->target[i] != 0;
            tot[1] += c->row_y[c->n_rows];
            c->rows[c->n_rows++] = (uint32_t)i;
        }
    tot[0] = c->n_rows;
    GS_FORWARD(reduce(c, tot, 2, err));
    if (tot[1] == 0 || tot[0] == 0) return GS_OK;
    for (size_t j = 0; j < d; j++) {
        c->lo[j] = 0;
        c->hi[j] = data->n_bins[j] - 1;
    }
    memset(c->hist, 0, nh * sizeof *c->hist);
    hist_add(c, c->hist, c->rows, c->row_y, c->n_rows, +1);
    GS_FORWARD(hist_reduce(c, c->hist, err));

    size_t cap = 64, n_steps = 0;
    prim_step *steps = malloc(cap * sizeof *steps);
    prim_move *moves = malloc(cap * sizeof *moves);
    gs_status st = GS_OK;
    if (!steps || !moves) {
        st = gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory");
        goto fail;
    }
    uint64_t rows = tot[0], pos = tot[1];
    steps[n_steps++] = make_step(c, rows, pos);
    for (;;) {
        prim_move mv;
        uint64_t r = 0, k = 0;
        if (!best_peel(c, rows, pos, &mv, &r, &k)) break;
        if (n_steps == cap) {
            cap *= 2;
            prim_step *s2 = realloc(steps, cap * sizeof *steps);
            if (s2) steps = s2;
            prim_move *m2 = realloc(moves, cap * sizeof *moves);
            if (m2) moves = m2;
            if (!s2 || !m2) {
                st = gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory");
                goto fail;
            }
        }
        st = apply_peel(c, &mv, err);
        if (st != GS_OK) goto fail;
        rows -= r;
        pos -= k;
        moves[n_steps - 1] = mv;
        steps[n_steps] = make_step(c, rows, pos);
        steps[n_steps++].moved = (int32_t)(2 * mv.column + mv.side);
    }
    size_t chosen = 0;
    if (!choose_step(c->opt, steps, n_steps, &chosen)) {
        free(steps);
        free(moves);
        return GS_OK;
    }
    /* the box of the chosen step: replay its peels */
    for (size_t j = 0; j < d; j++) {
        c->lo[j] = 0;
        c->hi[j] = data->n_bins[j] - 1;
    }
    for (size_t t = 0; t < chosen; t++) {
        if (moves[t].side == 0) c->lo[moves[t].column] = moves[t].limit;
        else c->hi[moves[t].column] = moves[t].limit;
    }
    free(moves);
    moves = NULL;
    box->steps = steps;
    box->n_steps = n_steps;
    box->chosen = chosen;
    steps = NULL;
    uint64_t brows = 0, bpos = 0;
    st = paste(c, &brows, &bpos, &box->pastes, loo, err);
    if (st != GS_OK) goto fail;
    box->box = make_step(c, brows, bpos);

    /* limits, quasi-p and gains from the counts of the box with one limit removed */
    uint64_t *lim = calloc(2 + 4 * d, sizeof *lim);
    box->lo_bin = malloc(d * sizeof *box->lo_bin);
    box->hi_bin = malloc(d * sizeof *box->hi_bin);
    box->lower = malloc(d * sizeof *box->lower);
    box->upper = malloc(d * sizeof *box->upper);
    box->p_lower = malloc(d * sizeof *box->p_lower);
    box->p_upper = malloc(d * sizeof *box->p_upper);
    box->gain = malloc(d * sizeof *box->gain);
    if (!lim || !box->lo_bin || !box->hi_bin || !box->lower || !box->upper || !box->p_lower ||
        !box->p_upper || !box->gain) {
        free(lim);
        st = gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory");
        goto fail;
    }
    scan_sink sink = {c, NULL, lim};
    scan_box(c, visit_limits, &sink);
    st = reduce(c, lim, 2 + 4 * d, err);
    if (st != GS_OK) {
        free(lim);
        goto fail;
    }
    const uint64_t n = lim[0], k = lim[1];
    for (size_t j = 0; j < d; j++) {
        const size_t off = data->bin_offset[j];
        box->lo_bin[j] = c->lo[j];
        box->hi_bin[j] = c->hi[j];
        const int has_lo = c->lo[j] > 0, has_hi = c->hi[j] + 1 < data->n_bins[j];
        box->lower[j] = has_lo ? (double)data->bin_min[off + c->lo[j]] : -(double)INFINITY;
        box->upper[j] = has_hi ? (double)data->bin_max[off + c->hi[j]] : (double)INFINITY;
        const uint64_t *a = lim + 2 + 4 * j; /* lower side rows, positives; upper side */
        box->p_lower[j] = has_lo ? binomial_upper(k, n, (double)(k + a[1]) / (double)(n + a[0]))
                                 : (double)NAN;
        box->p_upper[j] = has_hi ? binomial_upper(k, n, (double)(k + a[3]) / (double)(n + a[2]))
                                 : (double)NAN;
        box->gain[j] = has_lo || has_hi
                           ? (double)k / (double)n -
                                 (double)(k + a[1] + a[3]) / (double)(n + a[0] + a[2])
                           : 0.0;
    }
    free(lim);
    /* the rows of this box leave the search of the next one */
    for (size_t i = 0; i < data->n; i++) {
        if (c->state[i]) continue;
        int in = 1;
        for (size_t j = 0; j < d && in; j++) {
            const uint16_t v = data->code[j * data->n + i];
            in = v >= c->lo[j] && v <= c->hi[j];
        }
        if (in) c->state[i] = 1;
    }
    *found = 1;
    return GS_OK;
fail:
    free(steps);
    free(moves);
    box_free(box);
    return st;
}

/* ------------------------------------------------------------------ run */

void prim_result_free(prim_result *res)
{
    if (!res) return;
    for (size_t b = 0; b < res->n_boxes; b++) box_free(&res->boxes[b]);
    free(res->boxes);
    free(res->importance);
    free(res->ranking);
    memset(res, 0, sizeof *res);
}

gs_status prim_run(const prim_data *data, const uint8_t *target, const uint8_t *keep,
                   const prim_options *opt, prim_result *res, gs_error *err)
{
    memset(res, 0, sizeof *res);
    gs_error_clear(err); /* so that a reduce failure without a message gets one */
    GS_RETURN_IF(!data || !data->code || (data->n == 0 && !(opt && opt->reduce)), err,
                 GS_ERR_INPUT, "prim: no rows");
    GS_RETURN_IF(data->d == 0, err, GS_ERR_INPUT, "prim: no columns (d = 0)");
    GS_RETURN_IF(!target && data->n, err, GS_ERR_INPUT, "prim: no target");
    const prim_options defaults = prim_options_default();
    if (!opt) opt = &defaults;
    GS_FORWARD(check_options(opt, err));
    const size_t n = data->n, d = data->d, nh = 2 * data->total_bins;

    prim_ctx c = {.data = data, .target = target, .opt = opt,
                  .threads = prim_threads(opt->threads)};
    const size_t n1 = n ? n : 1; /* a process may hold no rows */
    c.state = malloc(n1);
    c.rows = malloc(n1 * sizeof *c.rows);
    c.removed = malloc(n1 * sizeof *c.removed);
    c.row_y = malloc(n1);
    c.hist = malloc(nh * sizeof *c.hist);
    c.delta = opt->reduce ? malloc(nh * sizeof *c.delta) : NULL;
    c.scratch = opt->reduce ? malloc(nh * sizeof *c.scratch) : NULL;
    c.lo = malloc(d * sizeof *c.lo);
    c.hi = malloc(d * sizeof *c.hi);
    uint64_t *loo = malloc(nh * sizeof *loo);
    res->boxes = calloc(opt->box_count, sizeof *res->boxes);
    res->importance = calloc(d, sizeof *res->importance);
    res->ranking = malloc(d * sizeof *res->ranking);
    res->d = d;
    gs_status st = GS_OK;
    if (!c.state || !c.rows || !c.removed || !c.row_y || !c.hist || (opt->reduce && (!c.delta || !c.scratch)) || !c.lo ||
        !c.hi || !loo || !res->boxes || !res->importance || !res->ranking) {
        st = gs_error_set(err, GS_ERR_NOMEM, "prim: out of memory for %zu rows", n);
        goto done;
    }
    uint64_t tot[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        c.state[i] = keep && !keep[i];
        tot[0] += !c.state[i];
        tot[1] += !c.state[i] && target[i];
    }
    st = reduce(&c, tot, 2, err);
    if (st != GS_OK) goto done;
    if (tot[0] > UINT32_MAX) {
        st = gs_error_set(err, GS_ERR_INPUT, "prim: %llu rows in all, at most %u",
                          (unsigned long long)tot[0], (unsigned)UINT32_MAX);
        goto done;
    }
    if (tot[0] == 0) {
        st = gs_error_set(err, GS_ERR_INPUT, "prim: no rows left after the row filter");
        goto done;
    }
    if (tot[1] == 0) {
        st = gs_error_set(err, GS_ERR_INPUT,
                          "prim: no positive row among %llu (nothing to discover)",
                          (unsigned long long)tot[0]);
        goto done;
    }
    c.rows_all = res->rows = tot[0];
    c.positives_all = res->positives = tot[1];
    res->base_density = (double)tot[1] / (double)tot[0];
    double weight = 0.0;
    for (size_t b = 0; b < opt->box_count; b++) {
        int found = 0;
        st = search_box(&c, &res->boxes[b], &found, loo, err);
        if (st != GS_OK) goto done;
        if (!found) break;
        res->n_boxes++;
        const prim_box *bx = &res->boxes[b];
        weight += bx->box.coverage;
        for (size_t j = 0; j < d; j++) res->importance[j] += bx->box.coverage * bx->gain[j];
    }
    for (size_t j = 0; j < d; j++) {
        if (weight > 0.0) res->importance[j] /= weight;
        res->ranking[j] = j;
    }
    for (size_t a = 1; a < d; a++) /* insertion sort: decreasing importance, then index */
        for (size_t z = a; z > 0 && res->importance[res->ranking[z]] >
                                        res->importance[res->ranking[z - 1]];
             z--) {
            const size_t t = res->ranking[z];
            res->ranking[z] = res->ranking[z - 1];
            res->ranking[z - 1] = t;
        }
done:
    free(c.state);
    free(c.rows);
    free(c.removed);
    free(c.row_y);
    free(c.hist);
    free(c.delta);
    free(c.scratch);
    free(c.lo);
    free(c.hi);
    free(loo);
    if (st != GS_OK) prim_result_free(res);
    return st;
}

/* ------------------------------------------------------------------ words */

static void write_number(FILE *out, double x, const char *unit)
{
    fprintf(out, "%.3g", x);
    if (unit && unit[0]) fprintf(out, " %s", unit);
}

gs_status prim_describe(FILE *out, const prim_result *res, const prim_words *words,
                        gs_error *err)
{
    GS_RETURN_IF(!out || !res, err, GS_ERR_INPUT, "prim: nothing to describe");
    const prim_words none = {0};
    if (!words) words = &none;
    const char *subject = words->subject ? words->subject : "the outcome holds";
    const char *rows = words->rows ? words->rows : "rows";
    const char *positives = words->positives ? words->positives : "positive ones";
    if (res->n_boxes == 0)
        fprintf(out, "no box of %s is denser than the whole: %s in %.0f%% of %s overall.\n",
                rows, subject, 100.0 * res->base_density, rows);
    for (size_t b = 0; b < res->n_boxes; b++) {
        const prim_box *bx = &res->boxes[b];
        if (res->n_boxes > 1) fprintf(out, "box %zu: ", b + 1);
        fprintf(out, "%s in %.0f%% of %s ", subject, 100.0 * bx->box.density, rows);
        if (b == 0) fprintf(out, "(vs %.0f%% overall) where ", 100.0 * res->base_density);
        else
            fprintf(out, "(vs %.0f%% in the %s no earlier box holds) where ",
                    100.0 * bx->steps[0].density, rows);
        /* the limits, most important column first */
        size_t said = 0;
        for (size_t r = 0; r < res->d; r++) {
            size_t j = res->ranking[r];
            if (isinf(bx->lower[j]) && isinf(bx->upper[j])) continue;
            char fallback[32];
            snprintf(fallback, sizeof fallback, "x%zu", j);
            const char *label = words->labels && words->labels[j] ? words->labels[j] : fallback;
            const char *unit = words->units ? words->units[j] : NULL;
            fprintf(out, "%s", said ? " and " : "");
            if (!isinf(bx->lower[j]) && !isinf(bx->upper[j])) {
                write_number(out, bx->lower[j], NULL);
                fprintf(out, " \u2264 %s \u2264 ", label);
                write_number(out, bx->upper[j], unit);
            } else if (!isinf(bx->lower[j])) {
                fprintf(out, "%s \u2265 ", label);
                write_number(out, bx->lower[j], unit);
            } else {
                fprintf(out, "%s \u2264 ", label);
                write_number(out, bx->upper[j], unit);
            }
            said++;
        }
        if (!said) fprintf(out, "nothing is restricted");
        fprintf(out, "; these %s hold %.0f%% of all %s.\n", rows, 100.0 * bx->box.coverage,
                positives);
    }
    return ferror(out) ? gs_error_set(err, GS_ERR_IO, "prim: write failed") : GS_OK;
}
