/* resume.h - checkpoints of a sweep, so that an interrupted sweep can continue.
 *
 * While a sweep runs, every finished point is written (atomically, in gapsim's
 * single-run format) into the directory <output>.resume/, next to a MANIFEST that
 * describes the run exactly: version, seed, trajectories, quantile levels, every
 * parameter value, the sweep and the scenario text.  `--resume` reads the finished
 * points back instead of running them again; since every point is deterministic and
 * stored in full double precision, the final file is identical to an uninterrupted
 * run's.  A resume whose manifest differs (a changed scenario, seed, option or version)
 * is refused.  The directory is removed once the output file is written.
 */
#ifndef GAPSIM_RESUME_H
#define GAPSIM_RESUME_H

#include <stddef.h>

#include "engine.h"
#include "error.h"
#include "point.h"
#include "scenario.h"

typedef struct gs_resume gs_resume;

/* Prepares the checkpoints of the sweep of sc (after --set) with options opt that
 * will be written to `output`.  resume = 0: a fresh start (an old checkpoint directory
 * is removed); resume = 1: the directory must exist with an identical manifest.  On
 * success *out is owned by the caller (resume_close). */
gs_status resume_open(const char *output, const gs_scenario *sc, const gs_run_options *opt,
                      int resume, gs_resume **out, gs_error *err);

/* If point p was finished before, reads it into *res and *draws (owned by the caller)
 * and returns 1; otherwise returns 0. */
int resume_load(gs_resume *r, size_t point, gs_result *res, gs_uncertainty **draws);

/* Records finished point p of the scenario given to resume_open (borrowed until
 * resume_close).  Safe to call from several threads (HDF5 calls are serialised). */
gs_status resume_save(gs_resume *r, size_t point, const gs_result *res,
                      const gs_uncertainty *draws, gs_error *err);

/* The study hooks (point.h) that restore and record points through r (borrowed: r must
 * outlive the study). */
point_hooks resume_hooks(gs_resume *r);

/* How many points were read back by resume_load. */
size_t resume_loaded(const gs_resume *r);

/* Frees r; with done = 1 (the output file is written) removes the directory. */
void resume_close(gs_resume *r, int done);

#endif
