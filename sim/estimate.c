/* estimate.c - see estimate.h. */
#include "estimate.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <omp.h>

#include "rng.h"
#include "stats.h"

/* Measured on the development machine (make bench, baseline, 10^6 trajectories): about
 * 200 ns of CPU per trajectory-cycle for a plain run, statistics included; runs with
 * uncertain parameters derive the model per trajectory and cost about 3 times more. */
static const double NS_PER_TRAJECTORY_CYCLE = 200.0, UNCERTAIN_FACTOR = 3.0;

void estimate_run(const gs_scenario *sc, const gs_run_options *opt, gs_estimate *e)
{
    memset(e, 0, sizeof *e);
    e->threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    e->trajectories = opt->trajectories ? opt->trajectories : sc->trajectories;
    if (sc->max_trajectories && sc->target_se > 0) e->trajectories = sc->max_trajectories;
    size_t points = scenario_sweep_points(sc);
    e->points = points ? points : 1;
    e->concurrent = points >= 2 * (size_t)e->threads && e->threads > 1 ? e->threads : 1;
    const double cycles = sc->params.run_cycles + 1;

    /* Per trajectory: the state arrays, its generator, the record buffer and its planned
     * quantile buckets (2 bytes per record), the cycle-0 metrics, the uncertain draws, and
     * each thread's quantile workspace (8-byte key arena and 2-byte bucket cache per
     * value). */
    double per = MODEL_STATE_ARRAYS * 8.0 + sizeof(rng_pcg32) + VAR_COUNT * (8.0 + 2.0) +
                 METRIC_COUNT * 8.0 + (double)sc->n_uncertain * 8.0 +
                 (double)VAR_COUNT * sizeof(stats_block) / ENGINE_BLOCK +
                 (e->concurrent > 1 ? 1 : e->threads) * 10.0;
    /* Per run: statistics of every variable, cycle and quantile, and per thread the
     * quantile workspace's fixed tables (about 1 MiB). */
    double fixed = VAR_COUNT * cycles * (2.0 + (double)sc->n_quantiles) * 8.0 +
                   e->threads * 1048576.0 + 16.0 * 1048576.0; /* libraries, HDF5 cache */
    uint64_t paths = opt->paths < e->trajectories ? opt->paths : e->trajectories;
    if (!points) fixed += VAR_COUNT * (double)paths * cycles * 4.0;
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
