/* stream.c - the batch and pass driver of streaming mode (see stream.h). */
#include "stream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "rng.h"
#include "stats.h"
#include "stats_hist.h"

enum {
    STREAM_MAX_DEPTH = 64,        /* binary counter: one node per level */
    STREAM_SUB_BUCKETS = 4096,    /* buckets of a window's finer histogram */
    STREAM_MIN_SUB_BUCKETS = 16
};

/* ---- the plan ------------------------------------------------------------------------ */

/* Working memory per trajectory of a batch (engine.c's layout): state, generator, record,
 * the two outcome metric arrays, the mirror flag, the outcome classes, block statistics. */
static double per_trajectory(void)
{
    return MODEL_STATE_ARRAYS * 8.0 + (double)sizeof(rng_pcg32) + VAR_COUNT * 8.0 +
           2.0 * METRIC_COUNT * 8.0 + 1.0 + 4.0 +
           (double)VAR_COUNT * (double)sizeof(stats_block) / ENGINE_BLOCK;
}

static double env_number(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && v > 0 ? v : 0;
}

gs_status stream_plan_of(const gs_scenario *sc, uint64_t n, double limit, int threads,
                         uint64_t paths, stream_plan *p, gs_error *err)
{
    memset(p, 0, sizeof *p);
    const double cycles = sc->params.run_cycles + 1, vc = VAR_COUNT * cycles;
    const double per = per_trajectory();
    /* fixed: libraries and the HDF5 cache, the results, a selection workspace per thread,
     * the paths of the first batch */
    const double fixed = 16.0 * 1048576.0 + vc * (2.0 + (double)sc->n_quantiles) * 8.0 +
                         threads * 1048576.0 + VAR_COUNT * (double)paths * cycles * 4.0;
    /* pass-1 histograms: at most an eighth of the limit, 2^8 .. 2^16 buckets each */
    size_t nb = 65536;
    while (nb > 256 && vc * ((double)nb + 2.0) * 8.0 > limit / 8) nb /= 2;
    const double hist = vc * ((double)nb + 2.0) * 8.0;
    const double left = limit - fixed - hist;
    const double min_left = ENGINE_BLOCK * per * 2.0;
    if (left < min_left)
        return gs_error_set(err, GS_ERR_INPUT,
                            "--memory %.0fM: too small for this run in streaming mode (at "
                            "least %.0fM)",
                            limit / 1048576.0, ceil((fixed + hist + min_left) / 1048576.0));
    /* half of the rest for the batch, half for gathering (and the selection arenas) */
    uint64_t B = (uint64_t)(left / 2 / per) / ENGINE_BLOCK * ENGINE_BLOCK;
    const double cap = env_number("GAPSIM_STREAM_BATCH");
    if (cap > 0 && (double)B > cap) B = ((uint64_t)cap + ENGINE_BLOCK - 1) / ENGINE_BLOCK * ENGINE_BLOCK;
    const uint64_t nup = (n + ENGINE_BLOCK - 1) / ENGINE_BLOCK * ENGINE_BLOCK;
    if (B > nup) B = nup;
    if (B < ENGINE_BLOCK) B = ENGINE_BLOCK;
    p->trajectories = n;
    p->batch = B;
    p->batches = (n + B - 1) / B;
    p->hist_buckets = nb;
    p->bytes_batch = per * (double)B;
    p->gather_keys = (left - p->bytes_batch) / 2 / 8.0; /* keys, and their copy for selection */
    const double budget = env_number("GAPSIM_STREAM_BUDGET");
    if (budget > 0 && budget < p->gather_keys) p->gather_keys = budget;
    p->bytes_stats = fixed + hist + 2 * 8.0 * p->gather_keys;
    p->bytes = p->bytes_batch + p->bytes_stats;
    return GS_OK;
}

const char *stream_refusal(const gs_scenario *sc, const gs_run_options *opt)
{
    if (engine_distributed(opt)) return "streaming mode (--memory) runs in one process, not under MPI";
    if (opt->nshards) return "streaming mode (--memory) cannot be combined with --shard";
    if (opt->keep_draws || sc->discover.line)
        return "streaming mode (--memory) cannot keep every trajectory's data (--keep-draws, "
               "discover:)";
    if (sc->n_uncertain)
        return "streaming mode (--memory) needs a point-valued scenario: uncertain parameters "
               "are drawn as one design over all trajectories (use a point-valued scenario or "
               "no --memory)";
    if (sc->history_targets[0])
        return "streaming mode (--memory) does not history-match (use --no-history or no "
               "--memory)";
    if (scenario_sweep_points(sc) > 1) return "streaming mode (--memory) runs single runs, not sweeps";
    return NULL;
}

/* ---- per (variable, cycle) state ------------------------------------------------------ */

typedef struct {
    uint64_t start;
    unsigned level;
    stats_moments m;
} tnode;

typedef enum { W_GATHER, W_COUNT } wmode;

/* A window still to resolve in the coming pass. */
typedef struct {
    stats_hist_window w; /* ranks r0..r1 of the cell's rank array */
    wmode mode;
    uint64_t *keys;      /* W_GATHER: count keys */
    size_t fill;
    stats_hist sub;      /* W_COUNT: over [klo, khi] */
    uint64_t tmin, tmax; /* W_COUNT: the range of the keys met */
} pending;

typedef struct {
    tnode stack[STREAM_MAX_DEPTH];
    int depth;
    uint64_t nonfinite;
    uint64_t kmin, kmax; /* exact finite key range (kmin > kmax: none yet) */
    int geometry_set;
    stats_hist hist;     /* pass 1 */
    size_t nr;
    size_t rank[2 * STATS_MAX_LEVELS];
    uint64_t key[2 * STATS_MAX_LEVELS];
    pending *win;        /* sorted by klo, disjoint */
    size_t nwin;
    stats_hist_geom g1;  /* pass 1's geometry: every window lies in one of its buckets */
    uint64_t *mark;      /* bit b: pass-1 bucket b holds a pending window */
} cell;

typedef struct {
    const gs_scenario *sc;
    gs_result *res;
    int n_cycles;
    size_t nq;
    const double *levels;
    int pass;
    int threads;
    size_t hist_buckets;
    cell *cells;         /* [VAR_COUNT][n_cycles] */
    uint64_t outcome_count[METRIC_COUNT][OUTCOME_COUNT];
    uint64_t pair[METRIC_COUNT][ENGINE_PAIR_FIELDS];
    gs_status status;
} stream_state;

static cell *cell_at(stream_state *s, int v, int k) { return &s->cells[(size_t)v * (size_t)s->n_cycles + (size_t)k]; }

/* Folds node (start, 0) into the binary counter: siblings merge into their parent, as
 * node(a, L + 1) = merge(node(a, L), node(a + 2^L, L)) of the engine's tree. */
static void counter_push(cell *c, uint64_t start, const stats_moments *m)
{
    c->stack[c->depth++] = (tnode){start, 0, *m};
    while (c->depth >= 2) {
        tnode *a = &c->stack[c->depth - 2], *b = &c->stack[c->depth - 1];
        if (a->level != b->level || a->start % ((uint64_t)2 << a->level) != 0 ||
            b->start != a->start + ((uint64_t)1 << a->level))
            break;
        stats_moments_merge(&a->m, &b->m);
        a->level++;
        c->depth--;
    }
}

/* The root of the tree over every block: the counter's nodes (levels decreasing) folded
 * from the right, which is tree_eval's result since merging with an empty node is the
 * identity. */
static stats_moments counter_root(const cell *c)
{
    stats_moments acc = c->stack[c->depth - 1].m;
    for (int i = c->depth - 2; i >= 0; i--) {
        stats_moments t = c->stack[i].m;
        stats_moments_merge(&t, &acc);
        acc = t;
    }
    return acc;
}

/* Pass 1 of one (variable, cycle) for one batch. */
static gs_status pass1_cell(stream_state *s, cell *c, const double *x, size_t n,
                            const stats_block *blk, size_t nblocks, uint64_t gb0, gs_error *err)
{
    uint64_t kmin = UINT64_MAX, kmax = 0, nonfinite = 0;
    for (size_t j = 0; j < nblocks; j++) {
        counter_push(c, gb0 + j, &blk[j].moments);
        nonfinite += blk[j].nonfinite;
        if (blk[j].nonfinite == 0) {
            const uint64_t lo = stats_key(blk[j].min), hi = stats_key(blk[j].max);
            kmin = lo < kmin ? lo : kmin;
            kmax = hi > kmax ? hi : kmax;
        } else {
            const size_t b0 = j * ENGINE_BLOCK, b1 = b0 + ENGINE_BLOCK < n ? b0 + ENGINE_BLOCK : n;
            for (size_t i = b0; i < b1; i++) {
                const uint64_t u = stats_bits(x[i]);
                if (!stats_bits_finite(u)) continue;
                const uint64_t k = stats_key_of_bits(u);
                kmin = k < kmin ? k : kmin;
                kmax = k > kmax ? k : kmax;
            }
        }
    }
    c->nonfinite += nonfinite;
    if (kmin <= kmax) {
        c->kmin = kmin < c->kmin ? kmin : c->kmin;
        c->kmax = kmax > c->kmax ? kmax : c->kmax;
    }
    if (!c->geometry_set) { /* from this first batch's exact range, widened */
        stats_hist_geom g = kmin <= kmax ? stats_hist_geometry_widened(kmin, kmax, s->hist_buckets)
                                         : stats_hist_geometry(0, UINT64_MAX, s->hist_buckets);
        GS_FORWARD(stats_hist_init(&c->hist, g, err));
        c->geometry_set = 1;
    }
    stats_hist_count(&c->hist, x, n);
    return GS_OK;
}

/* Later passes: each finite value in a pending window is gathered or counted. */
static void gather_cell(cell *c, const double *x, size_t n)
{
    const uint64_t lo = c->win[0].w.klo, hi = c->win[c->nwin - 1].w.khi;
    const stats_hist_geom g1 = c->g1;
    const uint64_t *mark = c->mark;
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = stats_bits(x[i]);
        if (!stats_bits_finite(u)) continue;
        const uint64_t k = stats_key_of_bits(u);
        if (k < lo || k > hi) continue;
        const size_t b1 = stats_hist_bucket(g1, k);
        if (!((mark[b1 >> 6] >> (b1 & 63)) & 1)) continue; /* most values: no window here */
        size_t a = 0, b = c->nwin; /* the first window with khi >= k */
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (c->win[m].w.khi < k)
                a = m + 1;
            else
                b = m;
        }
        pending *p = &c->win[a];
        if (k < p->w.klo) continue;
        if (p->mode == W_GATHER) {
            if (p->fill < p->w.count) p->keys[p->fill] = k;
            p->fill++;
        } else {
            p->sub.count[stats_hist_bucket(p->sub.g, k)]++;
            p->tmin = k < p->tmin ? k : p->tmin;
            p->tmax = k > p->tmax ? k : p->tmax;
        }
    }
}

static gs_status on_cycle(void *ctx, int k, uint64_t first, size_t n, const double *record,
                          const stats_block *blocks, size_t nblocks, gs_error *err)
{
    stream_state *s = ctx;
    gs_status status = GS_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->threads)
    for (int v = 0; v < VAR_COUNT; v++) {
        cell *c = cell_at(s, v, k);
        const double *x = record + (size_t)v * n;
        gs_error local;
        gs_status st = GS_OK;
        if (s->pass == 1)
            st = pass1_cell(s, c, x, n, blocks + (size_t)v * nblocks, nblocks, first / ENGINE_BLOCK,
                            &local);
        else if (c->nwin)
            gather_cell(c, x, n);
        if (st != GS_OK) {
#pragma omp critical(stream_error)
            if (status == GS_OK) status = st, *err = local;
        }
    }
    return status;
}

static void on_outcomes(void *ctx, const gs_result *part, const uint64_t *pair)
{
    stream_state *s = ctx;
    if (s->pass != 1) return;
    for (int q = 0; q < METRIC_COUNT; q++) {
        for (int o = 0; o < OUTCOME_COUNT; o++) s->outcome_count[q][o] += part->outcome_count[q][o];
        for (int f = 0; f < ENGINE_PAIR_FIELDS; f++)
            s->pair[q][f] += pair[(size_t)q * ENGINE_PAIR_FIELDS + (size_t)f];
    }
}

/* Resolves, clips or queues the windows win[0..nw) of cell c (ranks relative to the cell)
 * found inside the key range [tmin, tmax]; appends the unresolved ones to next[]. */
static void queue_windows(cell *c, const stats_hist_window *win, size_t nw, uint64_t tmin,
                          uint64_t tmax, pending *next, size_t *nnext)
{
    for (size_t j = 0; j < nw; j++) {
        stats_hist_window w = win[j];
        if (w.klo < tmin) w.klo = tmin;
        if (w.khi > tmax) w.khi = tmax;
        if (w.klo >= w.khi) { /* a single key: every rank in it has that key */
            for (size_t i = w.r0; i < w.r1; i++) c->key[i] = w.klo;
            continue;
        }
        next[(*nnext)++] = (pending){.w = w};
    }
}

/* After a pass: every window gathered is selected, every window counted is narrowed.
 * Then the windows of the next pass get their mode within the budget; returns how many
 * windows are pending (0: done). */
static gs_status after_pass(stream_state *s, stats_qsel **ws, double budget, gs_error *err)
{
    const size_t ncells = (size_t)VAR_COUNT * (size_t)s->n_cycles;
    gs_status status = GS_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->threads)
    for (size_t ci = 0; ci < ncells; ci++) {
        cell *c = &s->cells[ci];
        gs_error local;
        gs_status st = GS_OK;
        pending next[2 * STATS_MAX_LEVELS];
        size_t nnext = 0;
        if (s->pass == 1) {
            stats_hist_window win[2 * STATS_MAX_LEVELS];
            const size_t nw = stats_hist_windows(&c->hist, s->levels, s->nq, c->rank, &c->nr, win);
            c->g1 = c->hist.g;
            stats_hist_free(&c->hist);
            queue_windows(c, win, nw, c->kmin, c->kmax, next, &nnext);
        } else {
            for (size_t j = 0; st == GS_OK && j < c->nwin; j++) {
                pending *p = &c->win[j];
                if (p->mode == W_GATHER) {
                    if (p->fill != p->w.count) {
                        st = gs_error_set(&local, GS_ERR_INTERNAL,
                                          "streaming: a pass gathered %zu values of a window "
                                          "of %llu (the passes differ)",
                                          p->fill, (unsigned long long)p->w.count);
                        break;
                    }
                    stats_qsel *q = ws[omp_get_thread_num()];
                    uint64_t *keys = stats_qsel_keys(q, p->fill);
                    if (!keys) {
                        st = gs_error_set(&local, GS_ERR_NOMEM, "out of memory selecting");
                        break;
                    }
                    memcpy(keys, p->keys, p->fill * sizeof *keys);
                    st = stats_hist_select(q, &p->w, p->fill, c->rank, c->key, &local);
                } else if (p->tmin == p->tmax) { /* one key met: a point mass */
                    for (size_t i = p->w.r0; i < p->w.r1; i++) c->key[i] = p->tmin;
                } else {
                    size_t sub[2 * STATS_MAX_LEVELS];
                    for (size_t i = p->w.r0; i < p->w.r1; i++) sub[i - p->w.r0] = c->rank[i] - (size_t)p->w.below;
                    stats_hist_window win[2 * STATS_MAX_LEVELS];
                    const size_t nw = stats_hist_locate(&p->sub, sub, p->w.r1 - p->w.r0, win);
                    for (size_t i = 0; i < nw; i++) {
                        win[i].below += p->w.below;
                        win[i].r0 += p->w.r0, win[i].r1 += p->w.r0;
                    }
                    queue_windows(c, win, nw, p->tmin, p->tmax, next, &nnext);
                }
            }
            for (size_t j = 0; j < c->nwin; j++) {
                free(c->win[j].keys);
                stats_hist_free(&c->win[j].sub);
            }
        }
        free(c->win);
        c->win = NULL;
        c->nwin = 0;
        if (st == GS_OK && nnext) {
            c->win = malloc(nnext * sizeof *c->win);
            if (!c->win) st = gs_error_set(&local, GS_ERR_NOMEM, "out of memory");
            else memcpy(c->win, next, nnext * sizeof *next), c->nwin = nnext;
        }
        const size_t words = (c->g1.nb + 2 + 63) / 64;
        if (st == GS_OK && nnext && !c->mark && !(c->mark = malloc(words * sizeof *c->mark)))
            st = gs_error_set(&local, GS_ERR_NOMEM, "out of memory");
        if (st == GS_OK && nnext) {
            memset(c->mark, 0, words * sizeof *c->mark);
            for (size_t j = 0; j < c->nwin; j++)
                for (size_t b = stats_hist_bucket(c->g1, c->win[j].w.klo);
                     b <= stats_hist_bucket(c->g1, c->win[j].w.khi); b++)
                    c->mark[b >> 6] |= (uint64_t)1 << (b & 63);
        }
        if (st != GS_OK) {
#pragma omp critical(stream_error)
            if (status == GS_OK) status = st, *err = local;
        }
    }
    GS_FORWARD(status);

    /* Modes for the next pass, in cell order: gather while the budget lasts, else a finer
     * histogram (its buckets from what the budget leaves, 16 .. 4096). */
    size_t ncount = 0;
    double left = budget;
    for (size_t ci = 0; ci < ncells; ci++)
        for (size_t j = 0; j < s->cells[ci].nwin; j++) {
            pending *p = &s->cells[ci].win[j];
            if ((double)p->w.count <= left) {
                p->mode = W_GATHER;
                left -= (double)p->w.count;
            } else {
                p->mode = W_COUNT;
                ncount++;
            }
        }
    size_t sub_nb = STREAM_SUB_BUCKETS;
    while (sub_nb > STREAM_MIN_SUB_BUCKETS && (double)ncount * (double)(sub_nb + 2) > left) sub_nb /= 2;
    for (size_t ci = 0; ci < ncells; ci++)
        for (size_t j = 0; j < s->cells[ci].nwin; j++) {
            pending *p = &s->cells[ci].win[j];
            if (p->mode == W_GATHER) {
                p->keys = malloc((size_t)(p->w.count ? p->w.count : 1) * sizeof *p->keys);
                GS_RETURN_IF(!p->keys, err, GS_ERR_NOMEM,
                             "out of memory for %llu values to gather", (unsigned long long)p->w.count);
            } else {
                GS_FORWARD(stats_hist_init(&p->sub, stats_hist_geometry(p->w.klo, p->w.khi, sub_nb), err));
                p->tmin = UINT64_MAX, p->tmax = 0;
            }
        }
    return GS_OK;
}

static size_t pending_windows(const stream_state *s)
{
    size_t n = 0;
    for (size_t ci = 0; ci < (size_t)VAR_COUNT * (size_t)s->n_cycles; ci++) n += s->cells[ci].nwin;
    return n;
}

static void state_free(stream_state *s)
{
    if (!s->cells) return;
    for (size_t ci = 0; ci < (size_t)VAR_COUNT * (size_t)s->n_cycles; ci++) {
        cell *c = &s->cells[ci];
        stats_hist_free(&c->hist);
        for (size_t j = 0; j < c->nwin; j++) {
            free(c->win[j].keys);
            stats_hist_free(&c->win[j].sub);
        }
        free(c->win);
        free(c->mark);
    }
    free(s->cells);
    s->cells = NULL;
}

gs_status stream_run_job(const gs_scenario *sc, const engine_job *job, const gs_run_options *opt,
                         gs_result *res, gs_error *err)
{
    const double t_start = omp_get_wtime();
    memset(res, 0, sizeof *res);
    const char *why = stream_refusal(sc, opt);
    GS_RETURN_IF(why, err, GS_ERR_INPUT, "%s", why);
    GS_RETURN_IF(job->d || job->stream || job->outcomes_only || job->cycles ||
                     job->horizon_metrics || job->cycle_metrics || job->observe,
                 err, GS_ERR_INTERNAL, "streaming: a job of this kind runs in memory");
    const uint64_t N = job->n;
    GS_RETURN_IF(N == 0, err, GS_ERR_INPUT, "run.trajectories: must be at least 1");
    const int threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    const uint64_t paths = opt->paths < N ? opt->paths : N;
    stream_plan plan;
    GS_FORWARD(stream_plan_of(sc, N, opt->memory, threads, paths, &plan, err));
    GS_RETURN_IF(paths > plan.batch, err, GS_ERR_INPUT,
                 "--paths %llu: in streaming mode at most the first batch (%llu trajectories) "
                 "can be stored", (unsigned long long)paths, (unsigned long long)plan.batch);

    const int n_cycles = (int)sc->params.run_cycles + 1;
    stream_state s = {.sc = sc, .res = res, .n_cycles = n_cycles, .nq = sc->n_quantiles,
                      .levels = sc->quantiles, .threads = threads,
                      .hist_buckets = plan.hist_buckets};
    s.cells = calloc((size_t)VAR_COUNT * (size_t)n_cycles, sizeof *s.cells);
    stats_qsel **ws = calloc((size_t)threads, sizeof *ws);
    gs_status st = s.cells && ws ? GS_OK : gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    for (int t = 0; st == GS_OK && t < threads; t++)
        if (!(ws[t] = stats_qsel_alloc(0))) st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    for (size_t ci = 0; s.cells && ci < (size_t)VAR_COUNT * (size_t)n_cycles; ci++)
        s.cells[ci].kmin = UINT64_MAX, s.cells[ci].kmax = 0;

    gs_run_options bo = *opt;
    bo.progress = NULL;
    bo.memory = 0;
    bo.batch_cycle = on_cycle, bo.batch_outcomes = on_outcomes, bo.batch_ctx = &s;
    const uint64_t work = N * (uint64_t)n_cycles;
    double time_model = 0, time_stats = 0;
    for (s.pass = 1; st == GS_OK; s.pass++) {
        if (opt->pass_progress) opt->pass_progress(opt->progress_ctx, (uint32_t)s.pass, 0, 0);
        for (uint64_t b = 0; st == GS_OK && b < plan.batches; b++) {
            bo.batch_first = b * plan.batch;
            bo.batch_count = N - bo.batch_first < plan.batch ? N - bo.batch_first : plan.batch;
            bo.paths = s.pass == 1 && b == 0 ? paths : 0;
            gs_result part;
            st = engine_run_job(sc, job, &bo, &part, err);
            if (st != GS_OK) break;
            time_model += part.time_model, time_stats += part.time_stats;
            if (s.pass == 1 && b == 0) { /* the description of the run, and the paths */
                *res = part;
                free(res->mean), free(res->sd), free(res->quantile);
                res->mean = calloc((size_t)VAR_COUNT * (size_t)n_cycles, sizeof(double));
                res->sd = calloc((size_t)VAR_COUNT * (size_t)n_cycles, sizeof(double));
                res->quantile = calloc((size_t)VAR_COUNT * (size_t)n_cycles * (s.nq ? s.nq : 1),
                                       sizeof(double));
                memset(res->nonfinite, 0, sizeof res->nonfinite);
                if (!res->mean || !res->sd || !res->quantile)
                    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
            } else {
                engine_result_free(&part);
            }
            /* progress: pass P runs from (P − 1)/P to 1 of the work known so far */
            const uint64_t done = (uint64_t)(s.pass - 1) * work +
                                  (bo.batch_first + bo.batch_count) * (uint64_t)n_cycles;
            if (st == GS_OK && opt->progress &&
                opt->progress(opt->progress_ctx, done, (uint64_t)s.pass * work))
                st = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted in pass %d, batch %llu",
                                  s.pass, (unsigned long long)b + 1);
        }
        double t0 = omp_get_wtime();
        if (st == GS_OK) st = after_pass(&s, ws, plan.gather_keys, err);
        time_stats += omp_get_wtime() - t0;
        const int more = st == GS_OK && pending_windows(&s) > 0;
        if (st == GS_OK && opt->pass_progress)
            opt->pass_progress(opt->progress_ctx, (uint32_t)s.pass, 1, more);
        if (st == GS_OK && !more) break;
    }
    if (st == GS_OK) {
        for (int v = 0; v < VAR_COUNT; v++)
            for (int k = 0; k < n_cycles; k++) {
                cell *c = cell_at(&s, v, k);
                const stats_moments acc = counter_root(c);
                res->mean[result_ix(res, v, k)] = acc.mean;
                res->sd[result_ix(res, v, k)] = stats_moments_sd(&acc);
                res->nonfinite[v] += c->nonfinite;
                stats_quantiles_of_keys(s.levels, s.nq, (size_t)(N - c->nonfinite), c->rank, c->nr,
                                        c->key, res->quantile + result_qix(res, v, k, 0));
            }
        memcpy(res->outcome_count, s.outcome_count, sizeof s.outcome_count);
        engine_outcome_finish(res, N, sc->antithetic, s.pair);
        res->trajectories = N;
        res->stream_passes = (uint32_t)s.pass;
        res->stream_batch = plan.batch;
        res->time_model = time_model;
        res->time_stats = time_stats;
        res->time_total = omp_get_wtime() - t_start;
    }
    state_free(&s);
    for (int t = 0; ws && t < threads; t++) stats_qsel_free(ws[t]);
    free(ws);
    if (st != GS_OK) engine_result_free(res);
    return st;
}
