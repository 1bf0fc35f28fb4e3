/* stats_dist.c - see stats_dist.h.  Uses only stats.h's public keys (stats_key,
 * stats_unkey) and comm.h's collectives. */
#include "stats_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

enum {
    DIST_MAX_BITS = 16,          /* at most 2^16 buckets per level */
    DIST_MIN_BITS = 4,
    DIST_GATHER_MAX = 1 << 12,   /* a needed bucket this small is gathered whole; a larger
                                    one is refined next round (cheaper than sorting it) */
    DIST_MAX_RANKS = 2 * STATS_MAX_LEVELS
};

/* x is finite (NaN and ±Inf are skipped everywhere). */
static int finite_value(double x) { return x - x == 0.0; }

/* The wanted order statistics (stats_wanted_ranks), as 64-bit ranks. */
static size_t wanted_ranks(const double *levels, size_t nlevels, uint64_t nf, uint64_t *rank)
{
    size_t r[DIST_MAX_RANKS];
    size_t nr = stats_wanted_ranks(levels, nlevels, (size_t)nf, r);
    for (size_t i = 0; i < nr; i++) rank[i] = r[i];
    return nr;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One selection task of a round: the keys of global ranks rank[0..nr) (sorted, relative
 * to the finite keys in [lo, hi] of variable var, m of them globally) go to out[0..nr).
 * Its local input is the variable's values (first round) or keys[0..nkeys), this rank's
 * keys of the bucket it refines (later rounds).  shift, nb and off (the task's buckets
 * in the round's count buffer) are set per round. */
typedef struct {
    size_t var;
    uint64_t lo, hi, m;
    uint64_t *rank; /* in the round's pool of ranks */
    size_t nr;
    uint64_t *out;
    const uint64_t *keys;
    size_t nkeys;
    unsigned shift;
    size_t nb, off;
} dist_task;

/* One needed bucket of a task: its index, global and local counts, keys below it, its
 * ranks r0..r1, and where this rank's keys of it go (dst). */
typedef struct {
    size_t task;
    uint64_t bucket, count, local, below;
    size_t r0, r1;
    uint64_t *dst;
} dist_need;

/* The tasks of one round, their ranks (pool) and the local keys they refine (carry,
 * malloc'd by the round before). */
typedef struct {
    dist_task *t;
    size_t nt;
    uint64_t *pool;
    size_t npool;
    uint64_t *carry;
} dist_round_tasks;

/* Adds a task (its ranks rank[i] − below), or fills out directly when the range holds a
 * single key. */
static void task_add(dist_round_tasks *r, size_t var, uint64_t lo, uint64_t hi, uint64_t m,
                     const uint64_t *rank, uint64_t below, size_t nr, uint64_t *out,
                     const uint64_t *keys, size_t nkeys)
{
    if (lo == hi) {
        for (size_t i = 0; i < nr; i++) out[i] = lo;
        return;
    }
    dist_task *d = &r->t[r->nt++];
    d->var = var, d->lo = lo, d->hi = hi, d->m = m, d->nr = nr, d->out = out;
    d->keys = keys, d->nkeys = nkeys;
    d->rank = r->pool + r->npool;
    for (size_t i = 0; i < nr; i++) d->rank[i] = rank[i] - below;
    r->npool += nr;
}

/* The two local passes of a task over its inputs (the values x[0..n) of its variable in
 * the first round, its carried keys afterwards; carried keys lie in the range): count
 * the keys per bucket (cnt), or copy each key in a marked bucket to its need's cursor
 * (slot: 1 + the need's index, 0 unmarked).  The fields are read into locals, so the
 * loops keep them in registers. */
static void task_count(const dist_task *d, const stats_dist_var *v, uint64_t *cnt)
{
    const uint64_t lo = d->lo, span = d->hi - d->lo;
    const unsigned shift = d->shift;
    if (d->keys) {
        for (size_t i = 0; i < d->nkeys; i++) cnt[(d->keys[i] - lo) >> shift]++;
        return;
    }
    const double *x = v[d->var].x;
    const size_t n = v[d->var].n;
    for (size_t i = 0; i < n; i++) {
        if (!finite_value(x[i])) continue;
        const uint64_t k = stats_key(x[i]) - lo;
        if (k <= span) cnt[k >> shift]++;
    }
}

static void task_copy(const dist_task *d, const stats_dist_var *v, const uint16_t *slot,
                      uint64_t **cursor)
{
    const uint64_t lo = d->lo, span = d->hi - d->lo;
    const unsigned shift = d->shift;
    if (d->keys) {
        for (size_t i = 0; i < d->nkeys; i++) {
            const unsigned q = slot[(d->keys[i] - lo) >> shift];
            if (q) *cursor[q - 1]++ = d->keys[i];
        }
        return;
    }
    const double *x = v[d->var].x;
    const size_t n = v[d->var].n;
    for (size_t i = 0; i < n; i++) {
        if (!finite_value(x[i])) continue;
        const uint64_t k = stats_key(x[i]);
        if (k - lo > span) continue;
        const unsigned q = slot[(k - lo) >> shift];
        if (q) *cursor[q - 1]++ = k;
    }
}

/* Buckets of a task: b(k) = (k − lo) >> shift with about min(2^16, m/64) buckets. */
static void task_buckets(dist_task *d)
{
    unsigned want = DIST_MIN_BITS;
    while (want < DIST_MAX_BITS && ((uint64_t)64 << want) < d->m) want++;
    const uint64_t span = d->hi - d->lo;
    const unsigned bits = 64u - (unsigned)__builtin_clzll(span);
    d->shift = bits > want ? bits - want : 0u;
    d->nb = (size_t)(span >> d->shift) + 1;
}

/* One round for the tasks r: count every task's buckets locally (in parallel over
 * tasks; one pass over the inputs), add the counts over the ranks in one reduction,
 * locate the buckets of the wanted ranks, and copy this rank's keys of every needed
 * bucket in a second pass: those of small buckets into the send buffer (nt key counts,
 * then the keys task by task), those of large buckets into next->carry, the inputs of
 * the next round's tasks (next).  One allgather brings every rank's small-bucket keys;
 * each task sorts its keys and picks its order statistics.  Collective: the decisions
 * depend only on reduced integers. */
static gs_status dist_round(const gs_comm *c, const stats_dist_var *v, dist_round_tasks *r,
                            dist_round_tasks *next, int threads, gs_error *err)
{
    dist_task *t = r->t;
    const size_t nt = r->nt;
    size_t total = 0, nranks = 0;
    for (size_t j = 0; j < nt; j++) {
        task_buckets(&t[j]);
        t[j].off = total;
        total += t[j].nb, nranks += t[j].nr;
    }
    uint64_t *count = calloc(total, sizeof *count), *lcount = malloc(total * sizeof *lcount);
    uint16_t *slot = calloc(total, sizeof *slot); /* 1 + the bucket's need index in its task */
    dist_need *need = malloc((nranks ? nranks : 1) * sizeof *need);
    size_t *need0 = malloc((nt + 1) * sizeof *need0);        /* task j: need0[j]..need0[j+1] */
    uint64_t *gathered = malloc((nt + 1) * sizeof *gathered); /* keys per task, all ranks */
    uint64_t *at = malloc((nt + 1) * sizeof *at);
    gs_status st = count && lcount && slot && need && need0 && gathered && at
                       ? GS_OK
                       : gs_error_set(err, GS_ERR_NOMEM, "out of memory selecting quantiles");
    uint64_t *mine = NULL, *keys = NULL;
    void *all = NULL;
    next->nt = next->npool = 0;
    if ((st = comm_agree(c, st, err)) != GS_OK) goto done;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t j = 0; j < nt; j++) {
        task_count(&t[j], v, count + t[j].off);
    }
    memcpy(lcount, count, total * sizeof *lcount);
    if (comm_sum_u64(c, count, total) != GS_OK) {
        st = gs_error_set(err, GS_ERR_INTERNAL, "MPI sum of bucket counts failed");
        goto done;
    }
    /* locate the bucket of every wanted rank */
    size_t nneed = 0, ngathered = 0, nsend = nt, ncarry = 0;
    for (size_t j = 0; j < nt; j++) {
        const dist_task *d = &t[j];
        const uint64_t *cnt = count + d->off;
        uint64_t below = 0;
        size_t b = 0;
        need0[j] = nneed, gathered[j] = 0;
        for (size_t i = 0; i < d->nr; i++) {
            while (below + cnt[b] <= d->rank[i]) below += cnt[b++];
            if (nneed == need0[j] || need[nneed - 1].bucket != b)
                need[nneed++] =
                    (dist_need){j, b, cnt[b], lcount[d->off + b], below, i, i + 1, NULL};
            else
                need[nneed - 1].r1 = i + 1;
        }
        for (size_t q = need0[j]; q < nneed; q++) {
            slot[d->off + need[q].bucket] = (uint16_t)(q - need0[j] + 1);
            if (need[q].count > DIST_GATHER_MAX)
                ncarry += need[q].local;
            else
                nsend += need[q].local, gathered[j] += need[q].count;
        }
        ngathered += gathered[j];
    }
    need0[nt] = nneed;
    /* this rank's keys of the needed buckets: small ones after the counts, task by task */
    mine = malloc(nsend * sizeof *mine);
    next->carry = malloc((ncarry ? ncarry : 1) * sizeof *next->carry);
    keys = malloc((ngathered ? ngathered : 1) * sizeof *keys);
    if (!mine || !next->carry || !keys)
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory selecting quantiles");
    if (st == GS_OK) {
        uint64_t *s = mine + nt, *cr = next->carry;
        for (size_t j = 0; j < nt; j++) {
            mine[j] = 0;
            for (size_t q = need0[j]; q < need0[j + 1]; q++) {
                if (need[q].count > DIST_GATHER_MAX) {
                    need[q].dst = cr, cr += need[q].local;
                } else {
                    need[q].dst = s, s += need[q].local;
                    mine[j] += need[q].local;
                }
            }
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (size_t j = 0; j < nt; j++) {
            uint64_t *cursor[DIST_MAX_RANKS];
            for (size_t q = need0[j]; q < need0[j + 1]; q++) cursor[q - need0[j]] = need[q].dst;
            task_copy(&t[j], v, slot + t[j].off, cursor);
        }
        for (size_t q = 0; q < nneed; q++) {
            const dist_need *e = &need[q];
            const dist_task *d = &t[e->task];
            if (e->count <= DIST_GATHER_MAX) continue;
            const uint64_t blo = d->lo + ((uint64_t)e->bucket << d->shift);
            const uint64_t bhi = e->bucket == d->nb - 1 ? d->hi
                                                        : blo + (((uint64_t)1 << d->shift) - 1);
            task_add(next, d->var, blo, bhi, e->count, d->rank + e->r0, e->below, e->r1 - e->r0,
                     d->out + e->r0, e->dst, e->local);
        }
    }
    if (ngathered > 0) { /* the same on every rank; a rank that failed sends nothing */
        size_t all_bytes = 0;
        gs_status gs = comm_allgather_bytes(c, mine, st == GS_OK ? nsend * sizeof *mine : 0,
                                            &all, &all_bytes);
        if (st == GS_OK && gs != GS_OK)
            st = gs_error_set(err, gs, "MPI gather of quantile buckets failed");
        if ((st = comm_agree(c, st, err)) != GS_OK) goto done;
        /* regroup by task: task j's keys from rank 0, 1, ... from keys + at[j] */
        for (size_t j = 0, a = 0; j < nt; j++) at[j] = a, a += gathered[j];
        const uint64_t *p = all, *end = p + all_bytes / sizeof *p;
        while (p < end) { /* one rank's part */
            const uint64_t *src = p + nt;
            for (size_t j = 0; j < nt; j++) {
                memcpy(keys + at[j], src, p[j] * sizeof *keys);
                at[j] += p[j], src += p[j];
            }
            p = src;
        }
        /* each task: sort its keys; a small needed bucket's keys are a contiguous run */
        for (size_t j = 0, a = 0; j < nt; j++) at[j] = a, a += gathered[j];
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (size_t j = 0; j < nt; j++) qsort(keys + at[j], gathered[j], sizeof *keys, cmp_u64);
        for (size_t q = 0; q < nneed; q++) {
            const dist_need *e = &need[q];
            const dist_task *d = &t[e->task];
            if (e->count > DIST_GATHER_MAX) continue;
            const uint64_t blo = d->lo + ((uint64_t)e->bucket << d->shift);
            const uint64_t *tk = keys + at[e->task];
            size_t first = 0;
            while (first < gathered[e->task] && tk[first] < blo) first++;
            for (size_t i = e->r0; i < e->r1; i++) d->out[i] = tk[first + d->rank[i] - e->below];
        }
    } else if ((st = comm_agree(c, st, err)) != GS_OK) {
        goto done;
    }
done:
    free(count), free(lcount), free(slot), free(need), free(need0), free(gathered), free(at);
    free(mine), free(keys), free(all);
    return st;
}

gs_status stats_dist_range_many(const gs_comm *c, stats_dist_var *v, size_t nvar, int threads,
                                gs_error *err)
{
    uint64_t *buf = malloc((3 * nvar + 1) * sizeof *buf);
    gs_status st = buf ? GS_OK
                       : gs_error_set(err, GS_ERR_NOMEM, "out of memory finding quantile ranges");
    if ((st = comm_agree(c, st, err)) != GS_OK) {
        free(buf);
        return st;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t j = 0; j < nvar; j++) {
        uint64_t lo = UINT64_MAX, hi = 0, count = 0;
        for (size_t i = 0; i < v[j].n; i++) {
            if (!finite_value(v[j].x[i])) continue;
            const uint64_t k = stats_key(v[j].x[i]);
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
            count++;
        }
        /* max of (hi, ~lo) gives the max of hi and the min of lo in one reduction */
        buf[2 * j] = hi, buf[2 * j + 1] = ~lo, buf[2 * nvar + j] = count;
    }
    if (comm_max_u64(c, buf, 2 * nvar) != GS_OK || comm_sum_u64(c, buf + 2 * nvar, nvar) != GS_OK)
        st = gs_error_set(err, GS_ERR_INTERNAL, "MPI reduction of the quantile range failed");
    for (size_t j = 0; st == GS_OK && j < nvar; j++)
        v[j].kmin = ~buf[2 * j + 1], v[j].kmax = buf[2 * j], v[j].nf = buf[2 * nvar + j];
    free(buf);
    return st;
}

gs_status stats_dist_range(const gs_comm *c, const double *x, size_t n, uint64_t *kmin,
                           uint64_t *kmax, uint64_t *nf, gs_error *err)
{
    stats_dist_var v = {.x = x, .n = n};
    GS_FORWARD(stats_dist_range_many(c, &v, 1, 1, err));
    *kmin = v.kmin, *kmax = v.kmax, *nf = v.nf;
    return GS_OK;
}

/* Type 7 with stats.c's arithmetic (so the same bits): h = p (nf − 1), l = ⌊h⌋,
 * δ = h − l, Q = x_(l) when l = nf − 1 or x_(l) == x_(l+1), else
 * (1 − δ) x_(l) + δ x_(l+1).  The order statistics of every variable are selected
 * together, one round (dist_round) per refinement level. */
gs_status stats_dist_quantiles_many(const gs_comm *c, const stats_dist_var *v, size_t nvar,
                                    const double *levels, size_t nlevels, int threads,
                                    gs_error *err)
{
    GS_RETURN_IF(nlevels > STATS_MAX_LEVELS, err, GS_ERR_INPUT,
                 "stats_quantiles: at most %d levels", STATS_MAX_LEVELS);
    if (nlevels == 0) return GS_OK;
    /* per variable: wanted ranks and their keys; the tasks of this and the next round
     * (a round has at most one task, and one pooled rank, per wanted rank) */
    const size_t cap = (nvar ? nvar : 1) * DIST_MAX_RANKS;
    uint64_t *rank = malloc(cap * sizeof *rank), *key = malloc(cap * sizeof *key);
    dist_round_tasks r = {malloc(cap * sizeof *r.t), 0, malloc(cap * sizeof *r.pool), 0, NULL};
    dist_round_tasks next = {malloc(cap * sizeof *next.t), 0, malloc(cap * sizeof *next.pool), 0,
                             NULL};
    gs_status st = rank && key && r.t && r.pool && next.t && next.pool
                       ? GS_OK
                       : gs_error_set(err, GS_ERR_NOMEM, "out of memory selecting quantiles");
    st = comm_agree(c, st, err);
    for (size_t j = 0; st == GS_OK && j < nvar; j++) {
        if (v[j].nf == 0) continue;
        uint64_t *rj = rank + j * DIST_MAX_RANKS;
        const size_t nr = wanted_ranks(levels, nlevels, v[j].nf, rj);
        task_add(&r, j, v[j].kmin, v[j].kmax, v[j].nf, rj, 0, nr, key + j * DIST_MAX_RANKS, NULL,
                 0);
    }
    while (st == GS_OK && r.nt > 0) {
        st = dist_round(c, v, &r, &next, threads, err);
        free(r.carry); /* this round's inputs; next.carry holds the next round's */
        r.carry = NULL;
        const dist_round_tasks swap = r;
        r = next, next = swap;
    }
    free(r.carry);
    for (size_t j = 0; st == GS_OK && j < nvar; j++) {
        double *out = v[j].out;
        if (v[j].nf == 0) {
            for (size_t q = 0; q < nlevels; q++) out[q] = NAN;
            continue;
        }
        const uint64_t *rj = rank + j * DIST_MAX_RANKS, *kj = key + j * DIST_MAX_RANKS;
        for (size_t q = 0; q < nlevels; q++) {
            const double h = levels[q] * (double)(v[j].nf - 1);
            const uint64_t l = (uint64_t)h;
            const double delta = h - (double)l;
            size_t i = 0;
            while (rj[i] != l) i++;
            const double lo = stats_unkey(kj[i]);
            if (l + 1 >= v[j].nf) {
                out[q] = lo;
                continue;
            }
            const double hi = stats_unkey(kj[i + 1]);
            out[q] = lo == hi ? lo : (1.0 - delta) * lo + delta * hi;
        }
    }
    free(rank), free(key), free(r.t), free(r.pool), free(next.t), free(next.pool);
    return st;
}

gs_status stats_dist_quantiles(const gs_comm *c, const double *x, size_t n, uint64_t kmin,
                               uint64_t kmax, uint64_t nf, const double *levels, size_t nlevels,
                               double *out, gs_error *err)
{
    const stats_dist_var v = {x, n, kmin, kmax, nf, out};
    return stats_dist_quantiles_many(c, &v, 1, levels, nlevels, 1, err);
}
