/* engine.c - the Monte Carlo driver: blocks, threads, cycle loop, statistics.
 *
 * Layout in memory (N trajectories, B = ENGINE_BLOCK):
 *   state   MODEL_STATE_ARRAYS arrays of N doubles (structure of arrays)
 *   rng     N generators, trajectory i's from rng_stream(seed, 0, i)
 *   record  VAR_COUNT arrays of N doubles: the recorded variables of the current cycle
 *   metric_ref, metric_acc  METRIC_COUNT arrays of N doubles each: the outcome metrics'
 *           reference value (cycle k_now) and their sum over the horizon window
 *   blocks  VAR_COUNT × (number of blocks) stats_block: each block's moments and range
 *           of the current cycle, computed right after model_record while the block is
 *           in cache; merged per variable in block order
 * Block j covers trajectories [jB, min(N, (j+1)B)).  The cycle loop is outside and the
 * blocks inside, because each cycle's statistics need every trajectory's value of that
 * cycle; the record buffer is reused from cycle to cycle.
 *
 * MPI ranks (and --shard slices) own contiguous runs of whole blocks (engine_slice);
 * the arrays above then hold only the rank's trajectories.  The blocks' moments are
 * merged over a fixed binary tree of block indices (tree_eval), the same for any
 * split; ranges, non-finite counts and outcome counts are exact; quantiles are exact
 * order statistics (stats_dist.h across ranks).  So every rank count gives the serial
 * run's bits.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "stats.h"
#include "stats_dist.h"
#include "trajdata.h"

static double now_seconds(void) { return omp_get_wtime(); }

void engine_result_free(gs_result *res)
{
    if (!res) return;
    free(res->mean);
    free(res->sd);
    free(res->quantile);
    free(res->paths);
    trajdata_free(res->traj);
    memset(res, 0, sizeof *res);
}

/* Working memory of one run; freed by run_free. */
typedef struct {
    size_t n;
    double *state;   /* MODEL_STATE_ARRAYS × n */
    double *chol;    /* n × SHOCK_COUNT², uncertain correlations only (else NULL) */
    double *cols;    /* MODEL_COLUMNS × n, uncertain parameters only (else NULL):
                        each trajectory's own constants, set at cycle 0 */
    uint64_t *col_plan; /* MODEL_COLUMN_WORDS per block: the columns uniform in it */
    rng_pcg32 *rng;  /* n */
    unsigned char *mirror; /* n, antithetic runs only: 1 for odd trajectories (or NULL) */
    double *record;  /* VAR_COUNT × n */
    double *metric_ref; /* METRIC_COUNT × n: transformed metric at k_now (MODEL.md §8) */
    double *metric_acc; /* METRIC_COUNT × n: sum over the horizon window of ln (or, for
                           closed_labs, the value of) the transformed metric */
    int k_now, window;  /* reference cycle and outcome window W */
    stats_block *blocks; /* VAR_COUNT × nblocks */
    size_t nblocks;
    stats_qsel **qsel; /* one workspace per thread */
    uint16_t *qbucket; /* VAR_COUNT × n: each record's planned quantile bucket (stats.h
                          stats_qplan), written by step_cycle while the block is in cache;
                          NULL when the run makes no in-memory quantiles */
    stats_qplan qplan[VAR_COUNT]; /* this cycle's plans, from the previous cycle (nb = 0: none) */
    int threads;
    const engine_job *job; /* the job as seen by this rank: streams, draws from gfirst */
    size_t nglobal;        /* trajectories of the whole job */
    size_t gfirst;         /* global index of this rank's first trajectory */
    size_t nblocks_global;
    const gs_comm *comm;   /* NULL unless distributed over more than one rank */
    int replay;            /* values come from opt->source, not the model */
    int shard;             /* a --shard slice: values go to opt->sink, no statistics */
    int antithetic;        /* run.antithetic: odd trajectories mirror the even ones' shocks */
    gs_trajdata *traj;     /* --keep-draws (or NULL) */
    const gs_run_options *batch; /* a streaming batch (stream.h), or NULL */
} run_memory;

void engine_slice(uint64_t n, uint64_t part, uint64_t parts, uint64_t *first, uint64_t *count)
{
    uint64_t nb = (n + ENGINE_BLOCK - 1) / ENGINE_BLOCK, b0, bc;
    comm_split(nb, (int)part, (int)parts, &b0, &bc);
    uint64_t end = (b0 + bc) * ENGINE_BLOCK;
    *first = b0 * ENGINE_BLOCK;
    if (*first > n) *first = n;
    *count = (end < n ? end : n) - *first;
}

int engine_distributed(const gs_run_options *opt)
{
    return opt && opt->comm && opt->comm->size > 1;
}

static void run_free(run_memory *w)
{
    free(w->state);
    free(w->chol);
    free(w->cols);
    free(w->col_plan);
    free(w->rng);
    free(w->mirror);
    free(w->record);
    free(w->metric_ref);
    free(w->metric_acc);
    free(w->blocks);
    free(w->qbucket);
    trajdata_free(w->traj);
    if (w->qsel)
        for (int t = 0; t < w->threads; t++) stats_qsel_free(w->qsel[t]);
    free(w->qsel);
}

/* The view of block j of the state arrays. */
static gs_block block_view(const run_memory *w, size_t first, size_t count)
{
    gs_block b = {.n = count, .mirror = w->mirror ? w->mirror + first : NULL};
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b.x[s] = w->state + (size_t)s * w->n + first;
    return b;
}

/* The parameters of trajectory i of the job: the base ones with its draws. */
static gs_params trajectory_params(const engine_job *job, size_t i)
{
    gs_params p = job->params;
    for (size_t j = 0; j < job->d; j++)
        *params_field(&p, job->ids[j]) = job->values[i * job->d + j];
    return p;
}

/* ---- uncertain parameters as columns (issue 14 / docs/performance.md) ----------------
 * With uncertain parameters each trajectory has its own model constants.  At cycle 0
 * (k < 0) each trajectory's model is derived once (model_init_factor, from its own
 * parameters and the Cholesky factor computed before the parallel loops: the base
 * model's, or the trajectory's own in w->chol when a correlation is uncertain), sets the
 * trajectory's state and stores its constants in the columns w->cols.  Every cycle then
 * runs the model on the whole block from the columns (model_step_columns: record and
 * advance chunk by chunk): the trajectory's own model (the cycle-dependent constants from vector kernels, model.h), at the speed of
 * a block.  No GSL function runs here. */
static void step_uncertain(const gs_model *m, run_memory *w, size_t first, size_t count,
                           int k, int last)
{
    uint64_t *plan = w->col_plan + (first / ENGINE_BLOCK) * MODEL_COLUMN_WORDS;
    const gs_columns cols = {w->cols + first, w->n, w->chol != NULL, k < 0 ? NULL : plan};
    if (k < 0) {
        for (size_t i = first; i < first + count; i++) {
            gs_params p = trajectory_params(w->job, i);
            gs_model mi;
            const double *L = w->chol ? w->chol + i * SHOCK_COUNT * SHOCK_COUNT : m->L;
            model_init_factor(&mi, &p, L, NULL); /* relations were checked when drawn */
            gs_block b1 = block_view(w, i, 1);
            model_start(&mi, &b1);
            model_columns_store(&cols, i - first, &mi);
        }
        model_columns_plan(&cols, count, plan); /* which columns the block shares */
        return;
    }
    gs_block b = block_view(w, first, count);
    double *out[VAR_COUNT];
    for (int v = 0; v < VAR_COUNT; v++) out[v] = w->record + (size_t)v * w->n + first;
    model_step_columns(m, &cols, &b, k, out, last ? NULL : w->rng + first);
}

int engine_own_factors(const gs_param_id *ids, size_t d)
{
    int any = 0;
    for (size_t j = 0; j < d; j++)
        any |= ids[j] >= PARAM_correlation_hardware_power &&
               ids[j] <= PARAM_correlation_demand_readiness;
    return any;
}

/* The per-trajectory Cholesky factors when a correlation is uncertain (else w->chol
 * stays NULL), computed serially before any parallel loop: GSL's error handler is
 * global state. */
static gs_status uncertain_factors(run_memory *w, gs_error *err)
{
    const int any = engine_own_factors(w->job->ids, w->job->d);
    if (w->job->d > 0 && !w->replay) {
        w->cols = malloc((w->n ? w->n : 1) * MODEL_COLUMNS * sizeof(double));
        w->col_plan = calloc(w->nblocks ? w->nblocks : 1, MODEL_COLUMN_WORDS * sizeof(uint64_t));
        GS_RETURN_IF(!w->cols || !w->col_plan, err, GS_ERR_NOMEM,
                     "out of memory for the parameter columns");
    }
    if (!any || w->replay) return GS_OK;
    w->chol = malloc((w->n ? w->n : 1) * SHOCK_COUNT * SHOCK_COUNT * sizeof(double));
    GS_RETURN_IF(!w->chol, err, GS_ERR_NOMEM, "out of memory for the correlation factors");
    for (size_t i = 0; i < w->n; i++) {
        gs_params p = trajectory_params(w->job, i);
        if (params_cholesky(&p, w->chol + i * SHOCK_COUNT * SHOCK_COUNT) != GS_OK)
            return gs_error_set(err, GS_ERR_INPUT,
                                "correlation: the drawn correlation matrix of trajectory %zu is "
                                "not positive definite", i);
    }
    return GS_OK;
}

/* MODEL.md §8 per trajectory: the transformed metric at k_now is the reference; over the
 * last W cycles (k > K − W) ln of the transformed metric is summed (its plain value for
 * closed_labs, whose horizon value is the arithmetic mean).  ln 0 = −∞ makes the
 * geometric mean 0; ln of a negative value is NaN and makes it undefined. */
static void outcome_accumulate(run_memory *w, size_t first, size_t count, int k,
                               double *const out[VAR_COUNT])
{
    const int n_cycles = (int)w->job->params.run_cycles + 1;
    const int in_window = k >= n_cycles - w->window;
    for (int q = 0; q < METRIC_COUNT; q++) {
        const double *v = out[model_metrics[q]];
        double *ref = w->metric_ref + (size_t)q * w->n + first;
        double *acc = w->metric_acc + (size_t)q * w->n + first;
        const int arith = model_metric_arithmetic(q);
        if (k == 0)
            for (size_t i = 0; i < count; i++) acc[i] = 0.0;
        if (k == w->k_now)
            for (size_t i = 0; i < count; i++) ref[i] = model_metric_transform(q, v[i]);
        if (in_window)
            for (size_t i = 0; i < count; i++) {
                double tv = model_metric_transform(q, v[i]);
                acc[i] += arith ? tv : log(tv);
            }
    }
}

/* Runs record (and advance, before the horizon) of cycle k over all blocks. */
static void step_cycle(const gs_model *m, run_memory *w, int k, int last)
{
    size_t n = w->n, nblocks = w->nblocks;
    int uncertain = w->job->d > 0, with_stats = !w->job->outcomes_only && !w->shard;
#pragma omp parallel for schedule(static) num_threads(w->threads)
    for (size_t j = 0; j < nblocks; j++) {
        if (gs_interrupt_pending()) continue; /* SIGINT/SIGTERM: skip the rest, the run fails */
        size_t first = j * ENGINE_BLOCK;
        size_t count = n - first < ENGINE_BLOCK ? n - first : ENGINE_BLOCK;
        gs_block b = block_view(w, first, count);
        double *out[VAR_COUNT];
        for (int v = 0; v < VAR_COUNT; v++) out[v] = w->record + (size_t)v * n + first;
        /* uncertain: record and advance together (the record buffer is not touched by
         * advance), so that each trajectory's model is derived once per cycle */
        if (w->replay)
            ; /* the source filled the record */
        else if (uncertain)
            step_uncertain(m, w, first, count, k, last);
        else
            model_record(m, &b, k, out);
        for (int v = 0; with_stats && v < VAR_COUNT; v++) {
            stats_block_of(out[v], count, &w->blocks[(size_t)v * nblocks + j]);
            if (w->qbucket && w->qplan[v].nb)
                stats_qplan_bucket(m->isa, &w->qplan[v], out[v], count,
                                   w->qbucket + (size_t)v * n + first);
        }
        outcome_accumulate(w, first, count, k, out);
        if (w->traj) trajdata_cycle(w->traj, first, count, k, out);
        if (!uncertain && !last && !w->replay) model_advance(m, &b, k, w->rng + first);
    }
}

/* ---- the fixed merge tree of block moments ------------------------------------------

 * Node (a, L) covers blocks [a, a + 2^L) (a a multiple of 2^L); its moments are
 *   node(a, 0) = block a,   node(a, L) = merge(node(a, L−1), node(a + 2^(L−1), L−1)),
 * blocks at or past the last one being empty (and merging an empty set is exact
 * identity).  The root covers [0, 2^H) ⊇ all blocks.  A rank computes the maximal
 * aligned nodes inside its run of blocks (tree_cover); the ranks exchange them and
 * every rank evaluates the root from them (tree_eval).  The value of a node does not
 * depend on which nodes were precomputed, so any split gives the same bits, and the
 * serial run (one rank owning every block) is the same computation. */

enum { TREE_MAX_COVER = 128 };

typedef struct {
    uint64_t start, level;
    stats_moments m[VAR_COUNT];
    double min[VAR_COUNT], max[VAR_COUNT];
    uint64_t nonfinite[VAR_COUNT];
} tree_node;

/* The maximal aligned nodes covering blocks [b0, b1), in order; returns their number. */
static size_t tree_cover(uint64_t b0, uint64_t b1, uint64_t *start, unsigned *level)
{
    size_t n = 0;
    while (b0 < b1) {
        unsigned L = 0;
        while (L < 63 && b0 % ((uint64_t)2 << L) == 0 && b0 + ((uint64_t)2 << L) <= b1) L++;
        start[n] = b0, level[n] = L, n++;
        b0 += (uint64_t)1 << L;
    }
    return n;
}

/* Node (a, L) of variable v from this rank's blocks (blk[0] is global block gb0); the
 * node lies inside the rank's blocks. */
static stats_moments tree_local(const stats_block *blk, uint64_t gb0, uint64_t a, unsigned L)
{
    if (L == 0) return blk[a - gb0].moments;
    const uint64_t half = (uint64_t)1 << (L - 1);
    stats_moments left = tree_local(blk, gb0, a, L - 1);
    const stats_moments right = tree_local(blk, gb0, a + half, L - 1);
    stats_moments_merge(&left, &right);
    return left;
}

/* Node (a, L) of variable v from the precomputed nodes[0..nn) (sorted by start, disjoint,
 * covering every block below nb). */
static stats_moments tree_eval(const tree_node *nodes, size_t nn, uint64_t nb, uint64_t a,
                               unsigned L, int v)
{
    stats_moments empty = {0, 0, 0};
    if (a >= nb) return empty;
    size_t lo = 0, hi = nn; /* binary search for start == a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nodes[mid].start < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < nn && nodes[lo].start == a && nodes[lo].level == L) return nodes[lo].m[v];
    if (L == 0) return empty; /* not reached: every block is covered */
    const uint64_t half = (uint64_t)1 << (L - 1);
    stats_moments left = tree_eval(nodes, nn, nb, a, L - 1, v);
    const stats_moments right = tree_eval(nodes, nn, nb, a + half, L - 1, v);
    stats_moments_merge(&left, &right);
    return left;
}

/* This rank's cover nodes of cycle k's block statistics into *out (malloc'd); across
 * ranks, every rank's nodes concatenated in rank order (block order). */
static gs_status tree_nodes(const run_memory *w, tree_node **out, size_t *nn, gs_error *err)
{
    uint64_t start[TREE_MAX_COVER];
    unsigned level[TREE_MAX_COVER];
    const uint64_t gb0 = w->gfirst / ENGINE_BLOCK;
    const size_t nc = tree_cover(gb0, gb0 + w->nblocks, start, level);
    tree_node *mine = calloc(nc ? nc : 1, sizeof *mine);
    gs_status st = mine ? GS_OK : gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == GS_OK && i < nc; i++) {
        mine[i].start = start[i], mine[i].level = level[i];
        for (int v = 0; v < VAR_COUNT; v++) {
            const stats_block *blk = w->blocks + (size_t)v * w->nblocks;
            mine[i].m[v] = tree_local(blk, gb0, start[i], level[i]);
            const stats_block *b = blk + (start[i] - gb0);
            double mn = b[0].min, mx = b[0].max;
            uint64_t nf = 0;
            for (uint64_t j = 0; j < ((uint64_t)1 << level[i]); j++) {
                mn = b[j].min < mn ? b[j].min : mn;
                mx = b[j].max > mx ? b[j].max : mx;
                nf += b[j].nonfinite;
            }
            mine[i].min[v] = mn, mine[i].max[v] = mx, mine[i].nonfinite[v] = nf;
        }
    }
    if (!w->comm) {
        *out = mine, *nn = nc;
        return st;
    }
    st = comm_agree(w->comm, st, err);
    void *all = NULL;
    size_t bytes = 0;
    if (st == GS_OK && comm_allgather_bytes(w->comm, mine, nc * sizeof *mine, &all, &bytes) != GS_OK)
        st = gs_error_set(err, GS_ERR_INTERNAL, "MPI gather of block moments failed");
    free(mine);
    *out = all, *nn = bytes / sizeof(tree_node);
    return st;
}

/* The exact quantiles of every variable at cycle k across ranks, all variables at once
 * (stats_dist.h's batched calls: a fixed number of collective calls per cycle, the local
 * passes in parallel over the variables).  The key range is the exact global range
 * min[v], max[v] when no value is non-finite, else found by one more reduction; the
 * finite count is nglobal − nonfinite[v] (stats_block_of counts exactly the values
 * stats_dist skips). */
static gs_status dist_quantiles(run_memory *w, gs_result *res, int k, const double *min,
                                const double *max, const uint64_t *nonfinite, gs_error *err)
{
    stats_dist_var v[VAR_COUNT], ranged[VAR_COUNT];
    int which[VAR_COUNT], nr = 0;
    for (int j = 0; j < VAR_COUNT; j++) {
        v[j] = (stats_dist_var){w->record + (size_t)j * w->n, w->n, stats_key(min[j]),
                                stats_key(max[j]), w->nglobal - nonfinite[j],
                                res->quantile + result_qix(res, j, k, 0)};
        if (nonfinite[j]) ranged[nr] = v[j], which[nr++] = j;
    }
    if (nr > 0) { /* the same on every rank: nonfinite is global */
        GS_FORWARD(stats_dist_range_many(w->comm, ranged, (size_t)nr, w->threads, err));
        for (int i = 0; i < nr; i++) v[which[i]] = ranged[i];
    }
    return stats_dist_quantiles_many(w->comm, v, VAR_COUNT, res->quantile_levels,
                                     res->n_quantiles, w->threads, err);
}

/* Mean, standard deviation and exact quantiles of every variable at cycle k from the
 * tree of block moments, the exact range and the exact quantiles.  Serially one thread
 * handles a whole variable; across ranks the moments likewise, then dist_quantiles
 * selects every variable's quantiles together (every rank makes the same collective
 * calls, from the main thread). */
static gs_status cycle_statistics(run_memory *w, gs_result *res, int k, gs_error *err)
{
    size_t n = w->n;
    tree_node *nodes;
    size_t nn;
    gs_status status = tree_nodes(w, &nodes, &nn, err);
    if (status != GS_OK) {
        free(nodes);
        return status;
    }
    unsigned H = 0;
    while (((uint64_t)1 << H) < w->nblocks_global) H++;
    const int dist = w->comm != NULL;
    double vmin[VAR_COUNT], vmax[VAR_COUNT];
    uint64_t vnonfinite[VAR_COUNT];
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->threads)
    for (int v = 0; v < VAR_COUNT; v++) {
        const double *x = w->record + (size_t)v * n;
        const stats_moments acc = tree_eval(nodes, nn, w->nblocks_global, 0, H, v);
        double min = nodes[0].min[v], max = nodes[0].max[v];
        uint64_t nonfinite = 0;
        for (size_t j = 0; j < nn; j++) {
            min = nodes[j].min[v] < min ? nodes[j].min[v] : min;
            max = nodes[j].max[v] > max ? nodes[j].max[v] : max;
            nonfinite += nodes[j].nonfinite[v];
        }
        res->mean[result_ix(res, v, k)] = acc.mean;
        res->sd[result_ix(res, v, k)] = stats_moments_sd(&acc);
        vmin[v] = min, vmax[v] = max, vnonfinite[v] = nonfinite;
        double *q = res->quantile + result_qix(res, v, k, 0);
        gs_error local;
        gs_status s = GS_OK;
        if (!dist) {
            stats_qsel *ws = w->qsel[omp_get_thread_num()];
            /* one rank: w->qbucket is allocated (run_alloc); without a plan (nb = 0) the
             * planned call is stats_quantiles_finite */
            if (nonfinite == 0)
                s = stats_quantiles_planned(ws, &w->qplan[v], w->qbucket + (size_t)v * n, x, n, min,
                                            max, res->quantile_levels, res->n_quantiles, q, &local);
            else
                s = stats_quantiles(ws, x, n, res->quantile_levels, res->n_quantiles, q, NULL,
                                    &local);
            /* the next cycle's plan, from this cycle's values (none after the last) */
            if (nonfinite == 0 && k + 1 < res->n_cycles)
                stats_qplan_make(ws, x, n, min, max, &w->qplan[v]);
            else
                w->qplan[v].nb = 0;
        }
#pragma omp critical(engine_stats_error)
        {
            res->nonfinite[v] += nonfinite;
            if (s != GS_OK && status == GS_OK) {
                status = s;
                if (err) *err = local;
            }
        }
    }
    free(nodes);
    if (dist && status == GS_OK) status = dist_quantiles(w, res, k, vmin, vmax, vnonfinite, err);
    return status;
}

/* The column of parameter id in the job's values, or -1. */
static int job_column(const engine_job *job, gs_param_id id)
{
    for (size_t j = 0; j < job->d; j++)
        if (job->ids[j] == id) return (int)j;
    return -1;
}

/* Outcome classes at the horizon (MODEL.md §8): r = horizon / reference with the
 * horizon value exp(acc / W) (arithmetic: acc / W); integer counts of the three classes
 * and of the undefined trajectories, then p over the defined ones, SE and Wilson
 * intervals.  Under antithetic pairing the SE comes from the pair means of each class
 * indicator over the pairs whose two members are both defined: with c₁ pairs whose
 * indicators sum to 1 and c₂ to 2 among P pairs, Σm = c₁/2 + c₂, Σm² = c₁/4 + c₂,
 * SE = √(((Σm² − (Σm)²/P)/(P − 1)) / P).  Integer counts keep MPI sums exact.  The
 * class thresholds are the trajectory's own when they are uncertain. */
static gs_status outcomes(const run_memory *w, const gs_model *m, gs_result *res,
                          gs_error *err)
{
    size_t n = w->n;
    const engine_job *job = w->job;
    int c_up = job_column(job, PARAM_outcome_compound_ratio);
    int c_down = job_column(job, PARAM_outcome_collapse_ratio);
    const double W = (double)w->window;
    /* [metric][0] undefined, [metric][1] pairs, [metric][2 + 2 o + j] c_{1+j} of class o */
    enum { PAIR_FIELDS = ENGINE_PAIR_FIELDS };
    uint64_t extra[METRIC_COUNT][PAIR_FIELDS];
    memset(extra, 0, sizeof extra);
    int *cls = malloc((n ? n : 1) * sizeof *cls);
    GS_RETURN_IF(!cls, err, GS_ERR_NOMEM, "out of memory classifying outcomes");
    for (int q = 0; q < METRIC_COUNT; q++) {
        const double *ref = w->metric_ref + (size_t)q * n;
        const double *acc = w->metric_acc + (size_t)q * n;
        const int arith = model_metric_arithmetic(q);
        uint64_t *count = res->outcome_count[q];
        for (int o = 0; o < OUTCOME_COUNT; o++) count[o] = 0;
        for (size_t i = 0; i < n; i++) {
            double horizon = arith ? acc[i] / W : exp(acc[i] / W);
            cls[i] = model_classify(
                ref[i], horizon,
                c_up < 0 ? m->p.outcome_compound_ratio : job->values[i * job->d + (size_t)c_up],
                c_down < 0 ? m->p.outcome_collapse_ratio
                           : job->values[i * job->d + (size_t)c_down]);
            if (cls[i] == OUTCOME_UNDEFINED)
                extra[q][0]++;
            else
                count[cls[i]]++;
        }
        if (w->mirror)
            for (size_t i = 0; i + 1 < n; i++) {
                if (w->mirror[i] || !w->mirror[i + 1]) continue; /* i even, i + 1 its mirror */
                if (cls[i] == OUTCOME_UNDEFINED || cls[i + 1] == OUTCOME_UNDEFINED) continue;
                extra[q][1]++;
                for (int o = 0; o < OUTCOME_COUNT; o++) {
                    int s = (cls[i] == o) + (cls[i + 1] == o);
                    if (s) extra[q][2 + 2 * o + (s - 1)]++;
                }
            }
    }
    free(cls);
    if (w->comm && (comm_sum_u64(w->comm, &res->outcome_count[0][0],
                                 METRIC_COUNT * OUTCOME_COUNT) != GS_OK ||
                    comm_sum_u64(w->comm, &extra[0][0], METRIC_COUNT * PAIR_FIELDS) != GS_OK))
        return gs_error_set(err, GS_ERR_INTERNAL, "MPI sum of outcome counts failed");
    if (w->batch) {
        w->batch->batch_outcomes(w->batch->batch_ctx, res, &extra[0][0]);
        return GS_OK;
    }
    engine_outcome_finish(res, w->nglobal, w->mirror != NULL, extra);
    return GS_OK;
}

void engine_outcome_finish(gs_result *res, uint64_t n, int antithetic,
                           const uint64_t extra[][ENGINE_PAIR_FIELDS])
{
    for (int q = 0; q < METRIC_COUNT; q++) {
        res->outcome_undefined[q] = extra[q][0];
        uint64_t defined = n - extra[q][0];
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            stats_proportion(res->outcome_count[q][o], defined, 1.959963984540054,
                             &res->outcome_probability[q][o], &res->outcome_stderr[q][o],
                             &res->outcome_ci_low[q][o], &res->outcome_ci_high[q][o]);
            if (!antithetic) continue;
            double P = (double)extra[q][1], c1 = (double)extra[q][2 + 2 * o],
                   c2 = (double)extra[q][3 + 2 * o];
            double sm = 0.5 * c1 + c2, sm2 = 0.25 * c1 + c2;
            double var = P > 1 ? (sm2 - sm * sm / P) / (P - 1) : (double)NAN;
            res->outcome_stderr[q][o] = sqrt((var > 0 ? var : 0) / P);
        }
    }
}

/* Copies cycle k of the first n_paths trajectories into the path store. */
static void store_paths(const run_memory *w, gs_result *res, int k)
{
    for (int v = 0; v < VAR_COUNT; v++)
        for (uint64_t i = 0; i < res->paths_count; i++)
            res->paths[((size_t)v * res->paths_count + i) * (size_t)res->n_cycles + (size_t)k] =
                (float)w->record[(size_t)v * w->n + i];
}

static gs_status run_alloc(run_memory *w, gs_result *res, size_t n, gs_error *err)
{
    size_t nc = (size_t)res->n_cycles, nq = res->n_quantiles;
    size_t n1 = n ? n : 1; /* a rank with nothing to do still has valid pointers */
    w->state = w->replay ? NULL : malloc(MODEL_STATE_ARRAYS * n1 * sizeof(double));
    w->rng = w->replay ? NULL : malloc(n1 * sizeof(rng_pcg32));
    if (w->antithetic && !w->replay) w->mirror = malloc(n1);
    w->record = malloc(VAR_COUNT * n1 * sizeof(double));
    w->metric_ref = malloc(METRIC_COUNT * n1 * sizeof(double));
    w->metric_acc = malloc(METRIC_COUNT * n1 * sizeof(double));
    w->nblocks = (n + ENGINE_BLOCK - 1) / ENGINE_BLOCK;
    w->blocks = malloc(VAR_COUNT * (w->nblocks ? w->nblocks : 1) * sizeof(stats_block));
    w->qsel = calloc((size_t)w->threads, sizeof *w->qsel);
    res->mean = calloc(VAR_COUNT * nc, sizeof(double));
    res->sd = calloc(VAR_COUNT * nc, sizeof(double));
    res->quantile = calloc(VAR_COUNT * nc * nq, sizeof(double));
    if (res->paths_count) res->paths = calloc(VAR_COUNT * res->paths_count * nc, sizeof(float));
    int ok = ((w->state && w->rng) || w->replay) && (w->mirror || !w->antithetic || w->replay) &&
             w->record && w->metric_ref && w->metric_acc && w->blocks && w->qsel && res->mean &&
             res->sd && res->quantile && (!res->paths_count || res->paths);
    for (int t = 0; ok && !w->job->outcomes_only && !w->batch && t < w->threads; t++)
        ok = (w->qsel[t] = stats_qsel_alloc(n)) != NULL;
    /* planned quantile buckets: for in-memory quantiles on one rank (stats_dist.h selects
     * across ranks on its own) */
    if (ok && !w->job->outcomes_only && !w->batch && !w->shard && !w->comm)
        ok = (w->qbucket = malloc(VAR_COUNT * n1 * sizeof *w->qbucket)) != NULL;
    if (!ok)
        return gs_error_set(err, GS_ERR_NOMEM,
                            "out of memory allocating the state of %zu trajectories "
                            "(about %.0f MB)",
                            n, (double)n * (MODEL_STATE_ARRAYS + VAR_COUNT * 1.25 + 2 * METRIC_COUNT + 2) *
                                   8.0 / 1e6);
    return GS_OK;
}

/* Copies cycle k's outcome metrics of every trajectory into the job's outputs. */
static void export_metrics(const run_memory *w, int k, int last)
{
    const engine_job *job = w->job;
    for (int q = 0; q < METRIC_COUNT; q++) {
        const double *src = w->record + (size_t)model_metrics[q] * w->n;
        const size_t N = w->nglobal, at = w->gfirst;
        if (job->cycle_metrics)
            memcpy(job->cycle_metrics + ((size_t)k * METRIC_COUNT + (size_t)q) * N + at, src,
                   w->n * sizeof(double));
        if (last && job->horizon_metrics)
            memcpy(job->horizon_metrics + (size_t)q * N + at, src, w->n * sizeof(double));
    }
}

/* Across ranks: every rank's part of the job's metric outputs, gathered so that each
 * rank holds them all (rows of nglobal values, rank slices in order). */
static gs_status gather_metrics(const run_memory *w, int n_cycles, gs_error *err)
{
    const engine_job *job = w->job;
    size_t rows = (job->horizon_metrics ? METRIC_COUNT : 0) +
                  (job->cycle_metrics ? (size_t)n_cycles * METRIC_COUNT : 0);
    for (size_t r = 0; r < rows; r++) {
        double *row = r < (job->horizon_metrics ? (size_t)METRIC_COUNT : 0)
                          ? job->horizon_metrics + r * w->nglobal
                          : job->cycle_metrics +
                                (r - (job->horizon_metrics ? METRIC_COUNT : 0)) * w->nglobal;
        void *all = NULL;
        size_t bytes = 0;
        gs_status st = comm_allgather_bytes(w->comm, row + w->gfirst, w->n * sizeof(double), &all,
                                            &bytes);
        if (st == GS_OK && bytes == w->nglobal * sizeof(double)) memcpy(row, all, bytes);
        free(all);
        GS_RETURN_IF(st != GS_OK || bytes != w->nglobal * sizeof(double), err, GS_ERR_INTERNAL,
                     "MPI gather of outcome metrics failed");
    }
    return GS_OK;
}

/* --keep-draws: the per-trajectory data of this rank's rows, with each trajectory's
 * class thresholds (its own when they are uncertain). */
static gs_status traj_start(run_memory *w, const gs_model *m, const gs_result *res,
                            gs_error *err)
{
    const engine_job *job = w->job;
    const size_t n = w->n;
    const int c_up = job_column(job, PARAM_outcome_compound_ratio);
    const int c_down = job_column(job, PARAM_outcome_collapse_ratio);
    double *up = malloc((n ? n : 1) * sizeof *up), *down = malloc((n ? n : 1) * sizeof *down);
    gs_status st = up && down ? GS_OK : gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == GS_OK && i < n; i++) {
        up[i] = c_up < 0 ? m->p.outcome_compound_ratio : job->values[i * job->d + (size_t)c_up];
        down[i] = c_down < 0 ? m->p.outcome_collapse_ratio
                             : job->values[i * job->d + (size_t)c_down];
    }
    if (st == GS_OK)
        st = trajdata_create(&w->traj, w->nglobal, w->gfirst, n, job->d, job->ids, job->values,
                             up, down, res->n_cycles, w->k_now, w->window, err);
    free(up), free(down);
    return st;
}

/* --keep-draws: the events the recorded values do not show, from each trajectory's
 * parameters and shock stream (the same with or without the model: merge replays). */
static void traj_events(run_memory *w, const gs_scenario *sc, uint64_t seed)
{
    const engine_job *job = w->job;
#pragma omp parallel for schedule(static) num_threads(w->threads)
    for (size_t i = 0; i < w->n; i++) {
        const gs_params p = trajectory_params(job, i);
        const uint64_t stream = job->stream ? job->stream[i] : job->first + i;
        trajdata_events(w->traj, i, &p, seed, job->shock_point, stream,
                        sc->antithetic ? (int)(stream & 1) : 0);
    }
    trajdata_finish(w->traj);
}

gs_status engine_run_job(const gs_scenario *sc, const engine_job *job, const gs_run_options *opt,
                         gs_result *res, gs_error *err)
{
    double t_start = now_seconds();
    memset(res, 0, sizeof *res);
    gs_model model;
    GS_FORWARD(model_init(&model, &job->params, err));
    GS_FORWARD(isa_from_env(&model.isa, err)); /* GAPSIM_ISA: the same bits on every level */

    uint64_t n64 = job->n;
    GS_RETURN_IF(n64 == 0, err, GS_ERR_INPUT, "run.trajectories: must be at least 1");
    GS_RETURN_IF(n64 > (uint64_t)SIZE_MAX / 1024, err, GS_ERR_INPUT,
                 "run.trajectories: %llu is too large for this machine",
                 (unsigned long long)n64);
    /* this rank's (or shard's) trajectories [first, first + count) */
    const int dist = engine_distributed(opt), shard = opt->nshards > 0 && opt->sink;
    uint64_t first = 0, count = n64;
    if (dist) engine_slice(n64, (uint64_t)opt->comm->rank, (uint64_t)opt->comm->size, &first, &count);
    if (shard) engine_slice(n64, opt->shard, opt->nshards, &first, &count);
    const int batch = opt->batch_count > 0 && !dist && !shard;
    if (batch) first = opt->batch_first, count = opt->batch_count;
    GS_RETURN_IF(batch && (first % ENGINE_BLOCK || first + count > n64), err, GS_ERR_INTERNAL,
                 "batch [%llu, +%llu) of %llu trajectories", (unsigned long long)first,
                 (unsigned long long)count, (unsigned long long)n64);
    size_t n = (size_t)count;
    engine_job local = *job; /* streams and draws as seen from trajectory `first` */
    local.first += first;
    if (local.stream) local.stream += first;
    if (local.values) local.values += first * job->d;

    res->trajectories = n64;
    res->seed = job->seed;
    res->n_cycles = model.cycles + 1;
    res->cycle_years = job->params.run_cycle_years;
    res->start_year = job->params.run_start_year;
    res->k_now = model.k_now;
    res->n_quantiles = sc->n_quantiles;
    memcpy(res->quantile_levels, sc->quantiles, sc->n_quantiles * sizeof(double));
    res->n_paths = opt->paths < n64 ? opt->paths : n64;
    res->paths_first = first;
    res->paths_count = res->n_paths > first ? (res->n_paths - first < n ? res->n_paths - first : n) : 0;
    res->threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if (!opt->source) /* the root attribute `isa` (h5out.c) */
        snprintf(res->isa, sizeof res->isa, "%s", isa_name(isa_runnable(model.isa)));

    run_memory w = {.n = n, .threads = res->threads, .job = &local, .nglobal = (size_t)n64,
                    .gfirst = (size_t)first, .comm = dist ? opt->comm : NULL,
                    .replay = opt->source != NULL, .shard = shard, .antithetic = sc->antithetic,
                    .k_now = model.k_now, .window = (int)job->params.outcome_window,
                    .batch = batch ? opt : NULL};
    w.nblocks_global = (w.nglobal + ENGINE_BLOCK - 1) / ENGINE_BLOCK;
    gs_status status = run_alloc(&w, res, n, err);
    if (status == GS_OK && job->d > 0) status = uncertain_factors(&w, err);
    if (status == GS_OK && opt->keep_draws && !job->outcomes_only && !shard)
        status = traj_start(&w, &model, res, err);
    if (dist) status = comm_agree(opt->comm, status, err);
    if (status != GS_OK) goto fail;

    /* Cycle 0: generators and state. */
#pragma omp parallel for schedule(static) num_threads(w.threads)
    for (size_t b = 0; b < (w.replay ? 0 : n); b += ENGINE_BLOCK) {
        size_t cnt = n - b < ENGINE_BLOCK ? n - b : ENGINE_BLOCK;
        for (size_t i = b; i < b + cnt; i++) {
            uint64_t stream = local.stream ? local.stream[i] : local.first + i;
            /* antithetic: an odd trajectory reflects the shocks of the even one before
             * it (same stream, model_advance mirrors them) */
            if (w.mirror) w.mirror[i] = (unsigned char)(stream & 1);
            rng_stream(&w.rng[i], res->seed, job->shock_point, w.mirror ? stream & ~1ULL : stream);
        }
        gs_block blk = block_view(&w, b, cnt);
        if (job->d > 0)
            step_uncertain(&model, &w, b, cnt, -1, 0);
        else
            model_start(&model, &blk);
    }

    const int k_end = job->cycles > 0 && job->cycles < res->n_cycles ? job->cycles : res->n_cycles;
    uint64_t total = n64 * (uint64_t)k_end;
    for (int k = 0; k < k_end; k++) {
        int last = k == res->n_cycles - 1;
        double t0 = now_seconds();
        if (w.replay) status = opt->source(opt->source_ctx, k, first, n, w.record, err);
        if (status != GS_OK) goto fail;
        step_cycle(&model, &w, k, last);
        if (gs_interrupt_pending()) /* checked per block: the cycle is incomplete */
            status = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted in cycle %d of %d",
                                  k, res->n_cycles);
        if (dist) status = comm_agree(opt->comm, status, err);
        if (status != GS_OK) goto fail;
        if (shard) status = opt->sink(opt->sink_ctx, k, first, n, w.record, err);
        if (status != GS_OK) goto fail;
        if (job->observe) {
            status = job->observe(job->observe_ctx, k, first, n, w.record, err);
            if (dist) status = comm_agree(opt->comm, status, err);
            if (status != GS_OK) goto fail;
        }
        double t1 = now_seconds();
        if (!job->outcomes_only && !shard)
            status = batch ? opt->batch_cycle(opt->batch_ctx, k, first, n, w.record, w.blocks,
                                              w.nblocks, err)
                           : cycle_statistics(&w, res, k, err);
        if (status != GS_OK) goto fail;
        export_metrics(&w, k, last);
        if (res->paths_count) store_paths(&w, res, k);
        if (last && !shard) status = outcomes(&w, &model, res, err);
        if (status != GS_OK) goto fail;
        double t2 = now_seconds();
        res->time_model += t1 - t0;
        res->time_stats += t2 - t1;
        if (opt->progress && opt->progress(opt->progress_ctx, (uint64_t)(k + 1) * n64, total))
            status = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted at cycle %d of %d",
                                  k + 1, res->n_cycles);
        if (dist) status = comm_agree(opt->comm, status, err); /* stop together */
        if (status != GS_OK) goto fail;
    }
    if (dist && (job->horizon_metrics || job->cycle_metrics))
        status = gather_metrics(&w, res->n_cycles, err);
    if (status != GS_OK) goto fail;
    if (w.traj) traj_events(&w, sc, res->seed), res->traj = w.traj, w.traj = NULL;
    run_free(&w);
    res->time_total = now_seconds() - t_start;
    return GS_OK;

fail:
    run_free(&w);
    engine_result_free(res);
    return status;
}

/* What run_alloc, uncertain_factors, outcomes (the classes) and traj_start allocate per
 * trajectory; the quantile workspace (stats_qsel_alloc: an 8-byte key and a 2-byte
 * bucket per value) once per thread, and the planned quantile buckets (2 bytes per
 * record). */
void engine_job_bytes(const gs_params *p, const gs_param_id *ids, size_t d, int antithetic,
                      int with_stats, int threads, int keep_draws, double *running,
                      double *kept)
{
    double b = MODEL_STATE_ARRAYS * 8.0 + (double)sizeof(rng_pcg32) + VAR_COUNT * 8.0 +
               2.0 * METRIC_COUNT * 8.0 + VAR_COUNT * (double)sizeof(stats_block) / ENGINE_BLOCK +
               (double)sizeof(int);
    if (antithetic) b += 1.0;
    if (d) b += MODEL_COLUMNS * 8.0 + MODEL_COLUMN_WORDS * 8.0 / ENGINE_BLOCK;
    if (engine_own_factors(ids, d)) b += SHOCK_COUNT * SHOCK_COUNT * 8.0;
    if (with_stats) b += (threads > 0 ? threads : 1) * 10.0 + VAR_COUNT * 2.0; /* + planned buckets */
    double keep = 0, work = 0;
    if (keep_draws)
        trajdata_row_bytes(d, (int)p->run_cycles + 1, model_k_now(p), (int)p->outcome_window,
                           &keep, &work);
    *running = b + keep + work;
    *kept = keep;
}
