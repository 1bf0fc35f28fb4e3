/* trajdata.h - the per-trajectory data kept by a run with --keep-draws (or a `discover:`
 * section): each trajectory's uncertain-parameter draws (float32), its outcome class per
 * metric at the horizon and at every forecast cycle (int8), and trajectory-level shock
 * summaries.  The engine fills it while it runs (trajdata_cycle per block and cycle,
 * trajdata_finish at the end); h5out writes it as the `trajectories` group; scenario
 * discovery (discover.h) and users' own tools read it.  docs/discovery.md has the layout.
 *
 * Everything is computed per trajectory from the trajectory's own recorded values, its
 * draws and its own shock stream, never from other trajectories, so the data do not
 * depend on threads, MPI ranks or shards: a merge (which replays the recorded values
 * without the model) computes the same numbers.  The supply-shock and breakthrough counts
 * are not visible in the recorded values; they are counted by replaying the
 * trajectory's shock stream (model_count_events).
 *
 * Memory while running: per trajectory 4 d + METRIC_COUNT (1 + H) + 9 bytes kept, plus
 * 8 METRIC_COUNT (W + 1) + 60 bytes of working state (W the outcome window, H the
 * horizons of the by-cycle classes); trajdata_row_bytes gives both.
 */
#ifndef GAPSIM_TRAJDATA_H
#define GAPSIM_TRAJDATA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

/* The class code of a trajectory whose outcome ratio is not finite. */
enum { TRAJ_CLASS_UNDEFINED = -1 };

/* The shock summaries, in file order: X(name, type, long_name). */
#define TRAJ_SUMMARIES(X)                                                                    \
    X(supply_shocks, "number of hardware supply shocks over the run")                       \
    X(breakthroughs, "number of open-model breakthroughs over the run")                     \
    X(governance_switches, "number of governance regime switches over the run")              \
    X(lab_entries, "number of closed-lab entries over the run")                             \
    X(lab_exits, "number of closed-lab exits over the run")

typedef enum {
#define TRAJ_SUMMARY_ENUM(name, long_name) TRAJ_##name,
    TRAJ_SUMMARIES(TRAJ_SUMMARY_ENUM)
#undef TRAJ_SUMMARY_ENUM
        TRAJ_SUMMARY_COUNT
} traj_summary;

typedef struct {
    const char *name, *long_name;
} traj_summary_info;
extern const traj_summary_info traj_summaries[TRAJ_SUMMARY_COUNT];

/* The data of trajectories [first, first + count) of n (an MPI rank's rows, or all). */
typedef struct gs_trajdata {
    uint64_t n, first, count;
    size_t d;                          /* uncertain parameters */
    gs_param_id ids[64];               /* their ids (SCENARIO_MAX_UNCERTAIN at most) */
    int n_cycles;                      /* K + 1 */
    int k_now, window;                 /* the outcomes' reference cycle and window W */
    int first_horizon, n_horizons;     /* by-cycle classes: horizons h = first_horizon ..
                                          K (n_horizons of them) */
    float *draws;                      /* [d][count] */
    int8_t *cls;                       /* [METRIC_COUNT][count] class at the horizon K */
    int8_t *cls_by_cycle;              /* [METRIC_COUNT][count][n_horizons] */
    uint8_t *summary;                  /* [TRAJ_SUMMARY_COUNT][count] (saturate at 255) */
    float *mean_catch_up;              /* [count] mean realised catch-up fraction */
    /* working state (freed by trajdata_finish) */
    double *ring;                      /* [METRIC_COUNT][W][count] window values */
    double *ref;                       /* [METRIC_COUNT][count] reference (cycle k_now) */
    double *prev;                      /* [4][count] q_open, q_closed, restricted, labs */
    double *catch_sum;                 /* [count] */
    uint32_t *catch_n;                 /* [count] */
    double *compound_ratio, *collapse_ratio; /* [count] the trajectory's thresholds */
} gs_trajdata;

/* A new *out for rows [first, first + count) of n, with the draws values[count][d] of
 * parameters ids (d may be 0), the thresholds of the outcome classes per trajectory
 * (compound[count], collapse[count]), n_cycles, k_now and the window W. */
gs_status trajdata_create(gs_trajdata **out, uint64_t n, uint64_t first, uint64_t count,
                          size_t d, const gs_param_id *ids, const double *values,
                          const double *compound, const double *collapse, int n_cycles,
                          int k_now, int window, gs_error *err);

/* Cycle k of rows [i0, i0 + m) of this part (local indices): out[v] points at the m
 * recorded values of variable v.  Safe to call from several threads for disjoint rows. */
void trajdata_cycle(gs_trajdata *t, size_t i0, size_t m, int k, double *const out[VAR_COUNT]);

/* Sets the event counts of local row i from the trajectory's parameters p and shock
 * stream (rng_stream(seed, point, stream), mirrored as the engine does). */
void trajdata_events(gs_trajdata *t, size_t i, const gs_params *p, uint64_t seed,
                     uint64_t point, uint64_t stream, int mirrored);

/* Turns the working sums into the kept columns and frees the working state. */
void trajdata_finish(gs_trajdata *t);

void trajdata_free(gs_trajdata *t);

/* Bytes per row of a part with d draws: *kept what trajdata_finish keeps, *working what
 * it frees (the memory-use formula above, exactly as trajdata_create allocates). */
void trajdata_row_bytes(size_t d, int n_cycles, int k_now, int window, double *kept,
                        double *working);

#endif
