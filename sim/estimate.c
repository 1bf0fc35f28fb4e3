/* estimate.c - see estimate.h. */
#include "estimate.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <omp.h>

#include "history.h"

/* Measured on the development machine (make bench, baseline, 10^6 trajectories): about
 * 200 ns of CPU per trajectory-cycle for a plain run, statistics included; runs with
 * uncertain parameters derive the model per trajectory and cost about 3 times more. */
static const double NS_PER_TRAJECTORY_CYCLE = 200.0, UNCERTAIN_FACTOR = 3.0;

/* The number of targets of a history-matched run (0 when its file does not load: the run
 * then stops before it allocates anything). */
static size_t history_targets(const gs_scenario *sc, const gs_run_options *opt)
{
    targets_set set;
    gs_error err;
    if (history_load(sc, opt, &set, &err) != GS_OK) return 0;
    size_t J = set.n;
    targets_free(&set);
    return J;
}

/* Bytes per trajectory at the peak of one run (point.c, history.c), the largest of its
 * phases: each phase counts what is allocated at once. */
static double run_bytes(const gs_scenario *sc, const gs_run_options *opt, int threads,
                        double kept_fraction)
{
    const size_t d = sc->n_uncertain;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = sc->uncertain[j].id;
    const int keep = (opt->keep_draws || sc->discover.line) && sc->sweep.kind == SWEEP_NONE;
    const double draws = 8.0 * (double)d; /* the n x d parameter values */
    double job, kept, bare, unused;
    engine_job_bytes(&sc->params, ids, d, sc->antithetic, 1, threads, keep, &job, &kept);
    if (!history_enabled(sc)) {
        /* the run: the draws and the job; after it the result's kept data with the
         * writer's trajectory index and, for a discover: section, the table read back
         * (d + 6 float columns, their 2-byte bin codes, flags, by-cycle classes) and
         * PRIM's sort keys (16 bytes per thread) and row lists */
        double after = keep ? kept + 8.0 : 0.0;
        if (sc->discover.line)
            after += 6.0 * ((double)d + 6.0) + 14.0 + 16.0 * threads +
                     (double)sc->params.run_cycles + 1.0;
        return draws + (job > after ? job : after);
    }
    /* history.c: pass 1 runs all N drawn (outcomes only, no statistics) filling the
     * targets accumulator's sums (8 bytes per target); after it the accumulator's
     * implausibilities, score and flag and the decisions (simulated value per target,
     * mask) are written; the previous wave's decisions stay throughout with waves.
     * Pass 2 runs the kept ones (their stream index and draws) with statistics. */
    const double J = (double)history_targets(sc, opt);
    const double dec = 8.0 * J + 1.0, prev = sc->history_waves > 1 ? dec : 0.0;
    engine_job_bytes(&sc->params, ids, d, sc->antithetic, 0, threads, 0, &bare, &unused);
    const double pass1 = draws + prev + bare + 8.0 * J;
    const double decide = draws + prev + 16.0 * J + 9.0 + dec;
    const double pass2 = draws + prev + dec + kept_fraction * (8.0 + draws + job);
    const double peak = pass1 > decide ? pass1 : decide;
    return peak > pass2 ? peak : pass2;
}

void estimate_run_kept(const gs_scenario *sc, const gs_run_options *opt, double kept_fraction,
                       gs_estimate *e)
{
    memset(e, 0, sizeof *e);
    e->threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    e->trajectories = opt->trajectories ? opt->trajectories : sc->trajectories;
    if (sc->max_trajectories && sc->target_se > 0) e->trajectories = sc->max_trajectories;
    const int sweep = sc->sweep.kind != SWEEP_NONE;
    size_t points = scenario_sweep_points(sc); /* 1 without a sweep */
    e->points = points ? points : 1;
    e->concurrent = points >= 2 * (size_t)e->threads && e->threads > 1 ? e->threads : 1;
    const double cycles = sc->params.run_cycles + 1;

    /* Per trajectory: the largest phase of the run (engine_job_bytes: the state arrays,
     * its generator, the record buffer, the outcome metrics, the parameter columns,
     * each thread's quantile workspace, the --keep-draws data; the draws; history
     * matching's two passes; the output and discovery after the run).  Concurrent
     * sweep points share the threads: one workspace each. */
    double per = run_bytes(sc, opt, e->concurrent > 1 ? 1 : e->threads, kept_fraction);
    /* Per run: statistics of every variable, cycle and quantile, and per thread the
     * quantile workspace's fixed tables (about 1 MiB). */
    double fixed = VAR_COUNT * cycles * (2.0 + (double)sc->n_quantiles) * 8.0 +
                   e->threads * 1048576.0 + 16.0 * 1048576.0; /* libraries, HDF5 cache */
    uint64_t paths = opt->paths < e->trajectories ? opt->paths : e->trajectories;
    if (!sweep) fixed += VAR_COUNT * (double)paths * cycles * 4.0 + (double)paths * 8.0;
    /* The Sobol indices (sensitivity.c): N (d + 2) rows, each with its d values, its
     * stream, its horizon metrics (and per-cycle metrics) and a trajectory's working
     * memory, plus the 2d-column design of N rows; counted as if they coexisted with
     * the main run (an upper bound: they run after it). */
    if (sc->n_uncertain && sc->sensitivity.line && sc->sensitivity.sobol) {
        double d = (double)sc->n_uncertain, N = (double)sc->sensitivity.samples;
        double rows = N * (d + 2);
        fixed += rows * (d * 8.0 + 8.0 + METRIC_COUNT * 8.0 * (1.0 + (sc->sensitivity.per_cycle ? cycles : 0.0)) +
                         per) +
                 N * 2.0 * d * 8.0;
    }
    e->bytes_per_trajectory = per * e->concurrent;
    e->bytes_fixed = fixed;
    e->bytes = fixed + e->bytes_per_trajectory * (double)e->trajectories;

    double work = (double)e->trajectories * cycles * (double)e->points;
    if (sc->n_uncertain) work *= UNCERTAIN_FACTOR;
    if (sc->sensitivity.sobol)
        work += (double)sc->sensitivity.samples * (double)(sc->n_uncertain + 2) * cycles;
    e->seconds = work * NS_PER_TRAJECTORY_CYCLE * 1e-9 / e->threads;
}

void estimate_run(const gs_scenario *sc, const gs_run_options *opt, gs_estimate *e)
{
    estimate_run_kept(sc, opt, 1.0, e);
}

/* Reads one "Key: N kB" line of /proc/meminfo, in bytes (0 if absent). */
static double meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, len) && line[len] == ':') {
            sscanf(line + len + 1, "%lf", &kb);
            break;
        }
    fclose(f);
    return kb * 1024.0;
}

/* A number in a cgroup file ("max" = no limit, returned as 0). */
static double cgroup_value(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    double v = 0;
    if (fscanf(f, "%lf", &v) != 1) v = 0;
    fclose(f);
    return v;
}

double estimate_available_memory(void)
{
    double avail = meminfo("MemAvailable");
    double limit = cgroup_value("/sys/fs/cgroup/memory.max");
    if (limit > 0) {
        double left = limit - cgroup_value("/sys/fs/cgroup/memory.current");
        if (left > 0 && (avail == 0 || left < avail)) avail = left;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (avail == 0 || (double)rl.rlim_cur < avail))
        avail = (double)rl.rlim_cur;
    return avail;
}

uint64_t estimate_max_trajectories(const gs_estimate *e, double bytes)
{
    if (bytes <= e->bytes_fixed || e->bytes_per_trajectory <= 0) return 0;
    return (uint64_t)((bytes - e->bytes_fixed) / e->bytes_per_trajectory);
}
