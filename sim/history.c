/* history.c - the history-matched run (see history.h). */
#include "history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "model.h"
#include "point.h"

int history_enabled(const gs_scenario *sc) { return sc->history_targets[0] != '\0'; }

/* ---- the variable table ---------------------------------------------------------- */

static targets_var_kind var_kind(int v)
{
    switch (v) {
    case VAR_readiness:
    case VAR_restricted:
    case VAR_restricted_share:
    case VAR_capture:
    case VAR_equilibrium_share:
    case VAR_closed_share: return TARGETS_VAR_SHARE;
    case VAR_gap:
    case VAR_lag_months:
    case VAR_profit_cover:
    case VAR_closed_profit:
    case VAR_rent:
    case VAR_premium:
    case VAR_premium_q: return TARGETS_VAR_REAL;
    default: return TARGETS_VAR_POSITIVE;
    }
}

const targets_var *history_vars(void)
{
    static targets_var table[VAR_COUNT];
    if (!table[0].name) /* filled once; the same values every time */
        for (int v = 0; v < VAR_COUNT; v++)
            table[v].kind = var_kind(v), table[v].name = model_vars[v].name;
    return table;
}

/* ---- loading and checks ------------------------------------------------------------ */

/* "FILE:LINE: history.targets" or "FILE: history.targets" (set on the command line). */
static void where(const gs_scenario *sc, char *buf, size_t size)
{
    if (sc->history_line)
        snprintf(buf, size, "%s:%u: history.targets", sc->path, sc->history_line);
    else
        snprintf(buf, size, "%s: history.targets (--history)", sc->path);
}

gs_status history_load(const gs_scenario *sc, const gs_run_options *opt, targets_set *set,
                       gs_error *err)
{
    memset(set, 0, sizeof *set);
    char at[SCENARIO_TEXT_MAX + 256];
    where(sc, at, sizeof at);
    GS_RETURN_IF(sc->sweep.kind != SWEEP_NONE, err, GS_ERR_INPUT,
                 "%s: history matching cannot be combined with a sweep (sweep: at line %u)", at,
                 sc->sweep.line);
    GS_RETURN_IF(sc->sensitivity.line, err, GS_ERR_INPUT,
                 "%s: history matching cannot be combined with a sensitivity: section (line %u)",
                 at, sc->sensitivity.line);
    GS_RETURN_IF(sc->antithetic || opt->antithetic > 0, err, GS_ERR_INPUT,
                 "%s: history matching keeps single trajectories: run.antithetic must be false", at);
    GS_RETURN_IF((sc->target_se > 0 || opt->target_se > 0) && sc->history_waves > 1, err,
                 GS_ERR_INPUT, "%s: --target-se / run.target_se works with history.waves 1 only "
                 "(the batches draw from the priors)", at);
    GS_RETURN_IF((sc->target_se > 0 || opt->target_se > 0) && (opt->nshards || opt->source),
                 err, GS_ERR_USAGE, "%s: --shard and merge do not support --target-se (run it "
                 "with MPI: mpirun -np R gapsim run ...)", at);
    GS_RETURN_IF((opt->nshards || opt->source) && sc->history_waves > 1, err, GS_ERR_USAGE,
                 "%s: --shard and merge support history.waves 1 only (wave w + 1 draws from the "
                 "box of all of wave w's accepted draws, a global step between the waves): set "
                 "history.waves: 1, or run the waves with MPI (mpirun -np R gapsim run ...)", at);
    GS_RETURN_IF((opt->nshards && (!opt->sink || !opt->history_out)) ||
                     (opt->source && !opt->history_in),
                 err, GS_ERR_INTERNAL, "%s: a shard or merge without its history hooks", at);
    targets_calendar cal = {.start_year = sc->params.run_start_year,
                            .cycle_years = sc->params.run_cycle_years,
                            .n_cycles = (int)sc->params.run_cycles + 1,
                            .now = sc->params.history_now};
    gs_error e;
    gs_status st = targets_load(sc->history_targets, history_vars(), VAR_COUNT, &cal, set, &e);
    if (st == GS_OK) return GS_OK;
    /* a file that cannot be read is the scenario's error; a bad file speaks for itself */
    if (strstr(e.msg, ": cannot read: ")) return gs_error_set(err, st, "%s: %s", at, e.msg);
    *err = e;
    return st;
}

/* ---- helpers --------------------------------------------------------------------- */

/* Pass 1's sink: cycle k's records of this rank's trajectories into the accumulator. */
typedef struct {
    targets_acc *acc;
    uint64_t first;
    size_t n;
} feed_ctx;

static gs_status feed(void *ctx, int k, uint64_t first, size_t n, double *record, gs_error *err)
{
    (void)err;
    feed_ctx *f = ctx;
    f->first = first, f->n = n;
    const double *out[VAR_COUNT];
    for (int v = 0; v < VAR_COUNT; v++) out[v] = record + (size_t)v * n;
    if (n) targets_acc_feed(f->acc, k, (size_t)first, n, out);
    return GS_OK;
}

/* One wave: what pass 1 decided, for every drawn trajectory on every rank. */
typedef struct {
    unsigned char *mask; /* [N] */
    double *sim;         /* [J][N] f_ij */
    targets_tally tally;
    double time_model, time_total; /* pass 1's wall-clock seconds */
} decision;

static void decision_free(decision *d)
{
    free(d->mask);
    free(d->sim);
    memset(d, 0, sizeof *d);
}

/* Pass 1's stand-in for a shard's partial-file sink: the engine runs the shard's slice
 * only when a sink is set, and pass 1's records are not the file's. */
static gs_status no_sink(void *ctx, int k, uint64_t first, size_t n, double *record,
                         gs_error *err)
{
    (void)ctx, (void)k, (void)first, (void)n, (void)record, (void)err;
    return GS_OK;
}

/* Merge's pass 1: every drawn trajectory's decision as the shards found it. */
static gs_status decisions_in(const gs_run_options *opt, const targets_set *set, size_t N,
                              decision *dec, gs_error *err)
{
    memset(dec, 0, sizeof *dec);
    const size_t J = set->n;
    dec->mask = malloc(N ? N : 1);
    dec->sim = malloc((J * N > 0 ? J * N : 1) * sizeof *dec->sim);
    if (!dec->mask || !dec->sim) {
        decision_free(dec);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory reading %zu decisions", N);
    }
    targets_tally_clear(&dec->tally);
    gs_status st = opt->history_in(opt->source_ctx, (uint64_t)N, J, dec->mask, dec->sim,
                                   &dec->tally.drawn, 2 + TARGETS_MAX, err);
    if (st == GS_OK && dec->tally.drawn != (uint64_t)N)
        st = gs_error_set(err, GS_ERR_INPUT, "merge: the shards decided %llu of %zu drawn "
                          "trajectories", (unsigned long long)dec->tally.drawn, N);
    if (st != GS_OK) decision_free(dec);
    return st;
}

/* Pass 1 of a wave: the history window of the N drawn trajectories, decided. */
static gs_status pass1(const gs_scenario *sc, const gs_run_options *opt, const targets_set *set,
                       const engine_job *base, size_t N, decision *dec, gs_error *err)
{
    memset(dec, 0, sizeof *dec);
    const size_t J = set->n;
    targets_acc *acc = targets_acc_alloc(set, N);
    dec->mask = malloc(N);
    dec->sim = malloc(J * N * sizeof *dec->sim);
    if (!acc || !dec->mask || !dec->sim) {
        targets_acc_free(acc);
        decision_free(dec);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory deciding %zu trajectories", N);
    }
    feed_ctx fc = {.acc = acc};
    engine_job job = *base;
    job.outcomes_only = 1;
    job.cycles = set->last_cycle + 1;
    job.observe = feed, job.observe_ctx = &fc;
    gs_run_options o = *opt;
    o.paths = 0;
    if (o.nshards) o.sink = no_sink; /* the shard's slice; its file gets pass 2's records */
    gs_result part;
    gs_status st = engine_run_job(sc, &job, &o, &part, err);
    dec->time_model = part.time_model, dec->time_total = part.time_total;
    if (st == GS_OK) engine_result_free(&part);
    targets_tally_clear(&dec->tally);
    if (st == GS_OK && fc.n)
        targets_acc_decide(acc, (targets_rule)sc->history_rule, sc->history_cutoff,
                           (size_t)fc.first, fc.n, &dec->tally);
    const int dist = engine_distributed(opt);
    if (st == GS_OK && !dist) {
        memcpy(dec->mask, targets_acc_accepted(acc), N);
        for (size_t j = 0; j < J; j++)
            memcpy(dec->sim + j * N, targets_acc_simulated(acc, j), N * sizeof *dec->sim);
    }
    if (st == GS_OK && dist) { /* every rank gets every decision, in rank (index) order */
        if (comm_sum_u64(opt->comm, &dec->tally.drawn, 2 + TARGETS_MAX) != GS_OK)
            st = gs_error_set(err, GS_ERR_INTERNAL, "MPI sum of history counts failed");
        for (size_t j = 0; st == GS_OK && j <= J; j++) {
            const void *mine = j < J ? (const void *)(targets_acc_simulated(acc, j) + fc.first)
                                     : (const void *)(targets_acc_accepted(acc) + fc.first);
            size_t elem = j < J ? sizeof(double) : 1;
            void *all = NULL;
            size_t bytes = 0;
            st = comm_allgather_bytes(opt->comm, mine, fc.n * elem, &all, &bytes);
            if (st == GS_OK && bytes == N * elem)
                memcpy(j < J ? (void *)(dec->sim + j * N) : (void *)dec->mask, all, bytes);
            else
                st = gs_error_set(err, GS_ERR_INTERNAL, "MPI gather of history decisions failed");
            free(all);
        }
    }
    targets_acc_free(acc);
    if (st != GS_OK) decision_free(dec);
    return st;
}

/* The scenario of wave w > 0: each uncertain parameter's prior truncated to [lo, hi]
 * (discrete ones are left whole).  0 on success, else a note in why. */
static int truncated(gs_scenario *sc, const double *lo, const double *hi, char *why, size_t size)
{
    for (size_t j = 0; j < sc->n_uncertain; j++) {
        gs_dist *d = &sc->uncertain[j].dist;
        if (d->family == DIST_DISCRETE) continue;
        gs_dist nd;
        char msg[256];
        if (dist_init(&nd, d->family, d->par, lo[j] > d->lo ? lo[j] : d->lo,
                      hi[j] < d->hi ? hi[j] : d->hi, msg, sizeof msg) != GS_OK) {
            snprintf(why, size, "%.60s: %.120s", params_table[sc->uncertain[j].id].key, msg);
            return -1;
        }
        *d = nd;
    }
    return 0;
}

void history_free(gs_history *h)
{
    if (!h) return;
    targets_free(&h->set);
    free(h->sim_all);
    free(h->sim_accepted);
    free(h->band_lo);
    free(h->band_hi);
    free(h->median_in_band);
    free(h->kept_index);
    free(h->kept_draws);
    free(h);
}

/* Per target: the quantiles of the simulated window means over all drawn and over the
 * accepted trajectories, the band, and whether the accepted median lies in it. */
static gs_status target_summaries(gs_history *h, const decision *dec, size_t N, gs_error *err)
{
    const size_t J = h->set.n;
    double *x = malloc((N ? N : 1) * sizeof *x), *y = malloc((N ? N : 1) * sizeof *y);
    if (!x || !y) {
        free(x), free(y);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory summarising the targets");
    }
    for (size_t j = 0; j < J; j++) {
        const targets_target *t = &h->set.t[j];
        size_t m = 0, a = 0;
        for (size_t i = 0; i < N; i++) {
            double f = dec->sim[j * N + i];
            if (!isfinite(f)) continue;
            double v = targets_transform_invert(t->transform, f);
            x[m++] = v;
            if (dec->mask[i]) y[a++] = v;
        }
        targets_quantiles5(x, m, h->sim_all + j * TARGETS_N_LEVELS);
        targets_quantiles5(y, a, h->sim_accepted + j * TARGETS_N_LEVELS);
        targets_band(t, h->cutoff, &h->band_lo[j], &h->band_hi[j]);
        double med = h->sim_accepted[j * TARGETS_N_LEVELS + 2];
        h->median_in_band[j] = med >= h->band_lo[j] && med <= h->band_hi[j];
    }
    free(x), free(y);
    return GS_OK;
}

/* --target-se: batches of B drawn trajectories, [0, B), [B, 2B), ... (each its own
 * design of B rows), each decided (pass 1) and its accepted ones run for their outcome
 * counts, until every outcome probability of all the accepted ones so far has its
 * standard error below the target or the next batch would pass the cap (the loop is
 * point_target_batches).  The counts are integers, so the number of batches depends
 * only on the seed, B, the target, the cap and the targets.  *n_out: the trajectories
 * to draw for the run. */
typedef struct {
    const gs_scenario *sc;
    const gs_run_options *quiet;
    const targets_set *set;
    uint64_t seed;
    const gs_param_id *ids;
    size_t d;
    double *values, *kept;
    uint64_t *index;
} history_batches;

static gs_status history_batch(void *ctx, uint64_t n, uint64_t batch,
                               uint64_t count[METRIC_COUNT][OUTCOME_COUNT], uint64_t *kept,
                               gs_error *err)
{
    history_batches *b = ctx;
    const size_t B = (size_t)batch, d = b->d;
    if (d) GS_FORWARD(uncertain_draw(b->sc, b->seed, ENGINE_PARAM_FAMILY, n, B, B, b->values, err));
    engine_job job = {.params = b->sc->params, .seed = b->seed, .first = n, .n = B, .d = d,
                      .ids = b->ids, .values = b->values};
    decision dec;
    GS_FORWARD(pass1(b->sc, b->quiet, b->set, &job, B, &dec, err));
    size_t a = 0;
    for (size_t i = 0; i < B; i++)
        if (dec.mask[i]) {
            b->index[a] = n + i;
            if (d) memcpy(b->kept + a * d, b->values + i * d, d * sizeof *b->kept);
            a++;
        }
    decision_free(&dec);
    if (a) {
        engine_job job2 = {.params = b->sc->params, .seed = b->seed, .stream = b->index, .n = a,
                           .d = d, .ids = b->ids, .values = b->kept, .outcomes_only = 1};
        gs_result part;
        GS_FORWARD(engine_run_job(b->sc, &job2, b->quiet, &part, err));
        for (int q = 0; q < METRIC_COUNT; q++)
            for (int o = 0; o < OUTCOME_COUNT; o++) count[q][o] += part.outcome_count[q][o];
        engine_result_free(&part);
    }
    *kept = a;
    return GS_OK;
}

static gs_status target_batches(const gs_scenario *sc, const gs_run_options *opt,
                                const targets_set *set, uint64_t seed, const gs_param_id *ids,
                                size_t d, uint64_t batch, uint64_t cap, double target,
                                uint64_t *n_out, uint64_t *batches, int *met, gs_error *err)
{
    const size_t B = (size_t)batch;
    gs_run_options quiet = *opt;
    quiet.paths = 0, quiet.progress = NULL, quiet.keep_draws = 0;
    history_batches b = {.sc = sc, .quiet = &quiet, .set = set, .seed = seed, .ids = ids,
                         .d = d, .values = d ? malloc(B * d * sizeof *b.values) : NULL,
                         .kept = d ? malloc(B * d * sizeof *b.kept) : NULL,
                         .index = malloc(B * sizeof *b.index)};
    *met = 0;
    *batches = 0;
    *n_out = 0;
    gs_status st = (d && (!b.values || !b.kept)) || !b.index
                       ? gs_error_set(err, GS_ERR_NOMEM, "out of memory for %llu draws",
                                      (unsigned long long)batch)
                       : point_target_batches(batch, cap, target, opt, history_batch, &b, n_out,
                                              batches, met, err);
    free(b.values), free(b.kept), free(b.index);
    return st;
}

gs_status history_run(const gs_scenario *sc, const gs_run_options *opt, gs_result *res,
                      gs_uncertainty **draws, gs_history **hist, gs_error *err)
{
    const double t_start = omp_get_wtime();
    memset(res, 0, sizeof *res);
    if (draws) *draws = NULL;
    *hist = NULL;
    gs_history *h = calloc(1, sizeof *h);
    GS_RETURN_IF(!h, err, GS_ERR_NOMEM, "out of memory");
    gs_status st = history_load(sc, opt, &h->set, err);
    if (st != GS_OK) {
        free(h);
        return st;
    }
    const size_t J = h->set.n, d = sc->n_uncertain;
    h->cutoff = sc->history_cutoff;
    h->rule = sc->history_rule;
    h->d = d;
    for (size_t j = 0; j < d; j++) h->ids[j] = sc->uncertain[j].id;
    for (int q = 0; q < METRIC_COUNT; q++)
        for (int o = 0; o < OUTCOME_COUNT; o++) h->movement[q][o] = NAN;
    uint64_t n64 = opt->trajectories ? opt->trajectories : sc->trajectories;
    const uint64_t seed = opt->seed_set ? opt->seed : sc->seed;
    /* --target-se: the batches decide how many are drawn; the run then draws them in
     * batches of B (the same draws) */
    const double target = opt->target_se > 0 ? opt->target_se : sc->target_se;
    const uint64_t batch = n64;
    uint64_t batches = 0;
    int met = 0;
    if (target > 0) {
        gs_param_id bids[SCENARIO_MAX_UNCERTAIN];
        for (size_t j = 0; j < d; j++) bids[j] = sc->uncertain[j].id;
        uint64_t cap = sc->max_trajectories > batch ? sc->max_trajectories : batch;
        st = target_batches(sc, opt, &h->set, seed, bids, d, batch, cap, target, &n64, &batches,
                            &met, err);
        if (st != GS_OK) {
            history_free(h);
            return st;
        }
    }
    size_t waves = (size_t)sc->history_waves;
    if (waves > HISTORY_MAX_WAVES) waves = HISTORY_MAX_WAVES;
    h->sim_all = malloc(J * TARGETS_N_LEVELS * sizeof(double));
    h->sim_accepted = malloc(J * TARGETS_N_LEVELS * sizeof(double));
    h->band_lo = malloc(J * sizeof(double));
    h->band_hi = malloc(J * sizeof(double));
    h->median_in_band = malloc(J * sizeof(int));
    gs_scenario *wsc = malloc(sizeof *wsc);
    const size_t N = (size_t)n64;
    /* a shard decides and re-simulates its slice [s_lo, s_hi) of the drawn trajectories;
     * a merge reads the shards' decisions and replays their accepted records */
    const int shard = opt->nshards > 0, merge = opt->source != NULL;
    uint64_t s_first = 0, s_count = n64;
    if (shard) engine_slice(n64, opt->shard, opt->nshards, &s_first, &s_count);
    const size_t s_lo = (size_t)s_first, s_hi = (size_t)(s_first + s_count);
    double *values = d ? malloc(N * d * sizeof *values) : NULL;
    double t_draws = 0.0; /* the waves' draws and the kept draws' summary */
    double *kept = NULL;
    uint64_t *index = NULL;
    if (!h->sim_all || !h->sim_accepted || !h->band_lo || !h->band_hi || !h->median_in_band ||
        !wsc || (d && !values) || n64 > (uint64_t)SIZE_MAX / 1024) {
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for %llu history-matched trajectories",
                          (unsigned long long)n64);
        goto done;
    }
    *wsc = *sc;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = sc->uncertain[j].id;
    decision dec = {0};
    for (size_t w = 0; w < waves; w++) {
        /* the draws and pass 1 */
        const double t0 = omp_get_wtime();
        if (d) st = uncertain_draw(wsc, seed, ENGINE_PARAM_FAMILY + w * HISTORY_WAVE_FAMILY, 0, N,
                                   target > 0 ? (size_t)batch : N, values, err);
        t_draws += omp_get_wtime() - t0;
        if (st != GS_OK) break;
        engine_job job = {.params = sc->params, .seed = seed, .shock_point = w, .n = N, .d = d,
                          .ids = ids, .values = values};
        decision next;
        st = merge ? decisions_in(opt, &h->set, N, &next, err)
                   : pass1(wsc, opt, &h->set, &job, N, &next, err);
        if (st != GS_OK) break;
        if (shard)
            st = opt->history_out(opt->sink_ctx, n64, s_first, s_count, J, next.mask, next.sim,
                                  &next.tally.drawn, 2 + TARGETS_MAX, err);
        if (st != GS_OK) {
            decision_free(&next);
            break;
        }
        uint64_t acc = next.tally.accepted; /* a shard's: its slice's */
        if (acc == 0 && shard) { /* nothing of this slice to re-simulate: the merge decides */
            h->n_waves = 1, h->tally = next.tally;
            decision_free(&next);
            break;
        }
        if (acc == 0) {
            char why[1024];
            targets_describe_rejections(&h->set, &next.tally, 3, why, sizeof why);
            if (w == 0) {
                st = gs_error_set(err, GS_ERR_NUMERIC,
                                  "%s: no trajectory of %llu is consistent with history (%s, "
                                  "cutoff %g, rule %s); the targets that reject most: %s. "
                                  "No result written: revisit the priors, the discrepancies or "
                                  "the model", sc->path, (unsigned long long)n64,
                                  h->set.path, h->cutoff, h->rule ? "second_max" : "max", why);
                decision_free(&next);
                break;
            }
            snprintf(h->wave_stop, sizeof h->wave_stop,
                     "wave %zu accepted no trajectory (%.150s); the result is wave %zu's", w + 1, why, w);
            decision_free(&next);
            break;
        }
        /* pass 2: the accepted trajectories, their own streams and draws */
        free(index), free(kept);
        index = malloc((size_t)acc * sizeof *index);
        kept = d ? malloc((size_t)acc * d * sizeof *kept) : NULL;
        if (!index || (d && !kept)) {
            decision_free(&next);
            st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for %llu accepted trajectories",
                              (unsigned long long)acc);
            break;
        }
        for (size_t i = shard ? s_lo : 0, a = 0; i < (shard ? s_hi : N); i++)
            if (next.mask[i]) {
                index[a] = i;
                if (d) memcpy(kept + a * d, values + i * d, d * sizeof *kept);
                a++;
            }
        engine_job job2 = {.params = sc->params, .seed = seed, .shock_point = w,
                           .stream = index, .n = (size_t)acc, .d = d, .ids = ids, .values = kept};
        gs_result r2;
        gs_run_options o2 = *opt;
        if (shard) o2.shard = 0, o2.nshards = 1; /* all of this slice's accepted ones */
        st = engine_run_job(wsc, &job2, &o2, &r2, err);
        if (st != GS_OK) {
            decision_free(&next);
            break;
        }
        /* the run's times include pass 1 and the earlier waves */
        r2.time_model += res->time_model + next.time_model;
        r2.time_total += res->time_total + next.time_total;
        engine_result_free(res);
        *res = r2;
        /* the wave's record; the prior is wave 1's draws */
        h->wave_drawn[w] = next.tally.drawn, h->wave_accepted[w] = acc;
        memcpy(h->wave_probability[w], res->outcome_probability, sizeof h->wave_probability[w]);
        memcpy(h->wave_stderr[w], res->outcome_stderr, sizeof h->wave_stderr[w]);
        h->n_waves = w + 1;
        h->tally = next.tally;
        if (d && !shard) {
            targets_param_summary s[SCENARIO_MAX_UNCERTAIN];
            st = targets_summarize(values, N, d, next.mask, s, err);
            if (st != GS_OK) {
                decision_free(&next);
                break;
            }
            for (size_t p = 0; p < d; p++) {
                if (w == 0) memcpy(h->param[p].prior, s[p].prior, sizeof s[p].prior);
                memcpy(h->param[p].posterior, s[p].posterior, sizeof s[p].posterior);
                double iqr = h->param[p].prior[3] - h->param[p].prior[1];
                double moved = h->param[p].posterior[2] - h->param[p].prior[2];
                h->param[p].shift = iqr > 0 ? moved / iqr : moved == 0 ? 0 : copysign(INFINITY, moved);
            }
        }
        decision_free(&dec);
        dec = next;
        if (w + 1 == waves) break;
        /* the next wave's box */
        double prior_lo[SCENARIO_MAX_UNCERTAIN], prior_hi[SCENARIO_MAX_UNCERTAIN];
        double lo[SCENARIO_MAX_UNCERTAIN], hi[SCENARIO_MAX_UNCERTAIN];
        for (size_t p = 0; p < d; p++)
            prior_lo[p] = sc->uncertain[p].dist.lo, prior_hi[p] = sc->uncertain[p].dist.hi;
        gs_error werr;
        if (d == 0) {
            snprintf(h->wave_stop, sizeof h->wave_stop, "no uncertain parameter to refocus");
            break;
        }
        if (targets_wave_box(values, N, d, dec.mask, prior_lo, prior_hi, TARGETS_WAVE_WIDEN, lo, hi,
                             &werr) != GS_OK) {
            snprintf(h->wave_stop, sizeof h->wave_stop, "after wave %zu: %.200s", w + 1, werr.msg);
            break;
        }
        *wsc = *sc;
        char why[200];
        if (truncated(wsc, lo, hi, why, sizeof why)) {
            snprintf(h->wave_stop, sizeof h->wave_stop, "after wave %zu: %.200s", w + 1, why);
            break;
        }
    }
    if (st == GS_OK && h->n_waves == 0)
        st = gs_error_set(err, GS_ERR_INTERNAL, "history matching ran no wave");
    if (st == GS_OK && h->n_waves >= 2) {
        size_t a = h->n_waves - 2, b = h->n_waves - 1;
        for (int q = 0; q < METRIC_COUNT; q++)
            for (int o = 0; o < OUTCOME_COUNT; o++)
                h->movement[q][o] =
                    targets_wave_movement(h->wave_probability[a][q][o], h->wave_stderr[a][q][o],
                                          h->wave_probability[b][q][o], h->wave_stderr[b][q][o]);
    }
    if (st == GS_OK && !shard) st = target_summaries(h, &dec, N, err);
    const double t_describe = omp_get_wtime();
    if (st == GS_OK && d && draws && !shard)
        st = uncertain_describe(sc, kept, (size_t)h->tally.accepted, draws, err);
    t_draws += omp_get_wtime() - t_describe;
    if (st == GS_OK && opt->paths) {
        h->n_kept = h->tally.accepted;
        h->kept_index = index, h->kept_draws = kept;
        index = NULL, kept = NULL;
    }
    decision_free(&dec);
done:
    free(values);
    free(kept);
    free(index);
    free(wsc);
    if (st != GS_OK) {
        engine_result_free(res);
        if (draws) uncertain_free(*draws), *draws = NULL;
        history_free(h);
        return st;
    }
    res->time_total = omp_get_wtime() - t_start; /* draws, both passes, the summaries */
    res->time_draws = d ? t_draws : 0.0;
    res->batches = batches;
    res->batch_size = target > 0 ? batch : 0;
    res->target_se = target;
    res->target_met = met;
    *hist = h;
    return GS_OK;
}

gs_status history_pilot(const gs_scenario *sc, const gs_run_options *opt, size_t n,
                        targets_tally *tally, gs_error *err)
{
    targets_tally_clear(tally);
    targets_set set;
    GS_FORWARD(history_load(sc, opt, &set, err));
    const size_t d = sc->n_uncertain;
    const uint64_t seed = opt->seed_set ? opt->seed : sc->seed;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = sc->uncertain[j].id;
    double *values = d ? malloc(n * d * sizeof *values) : NULL;
    gs_status st = d && !values ? gs_error_set(err, GS_ERR_NOMEM, "out of memory") : GS_OK;
    if (st == GS_OK && d) st = uncertain_draw(sc, seed, ENGINE_PARAM_FAMILY, 0, n, n, values, err);
    decision dec;
    gs_run_options o = *opt;
    o.progress = NULL, o.comm = NULL;
    engine_job job = {.params = sc->params, .seed = seed, .n = n, .d = d, .ids = ids,
                      .values = values};
    if (st == GS_OK) st = pass1(sc, &o, &set, &job, n, &dec, err);
    if (st == GS_OK) *tally = dec.tally, decision_free(&dec);
    free(values);
    targets_free(&set);
    return st;
}
