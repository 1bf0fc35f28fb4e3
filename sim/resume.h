/* resume.h - checkpoints of a study of several points (a sweep), so that an interrupted
 * study can continue.  They implement the study's point_hooks (point.h): the study calls
 * them for each point; nothing here is called from inside the study's loop.
 *
 * Where: the directory <output>.gapsim-checkpoints/ beside the output, holding
 *   LOCK                 flock(LOCK_EX) while a run uses the directory: a second run to
 *                        the same output is refused (GS_ERR_IO)
 *   MANIFEST             the exact description of the run: version, seed, trajectories,
 *                        quantile levels, options, every parameter value, the sweep and
 *                        the scenario text
 *   point_NNNNNN.h5      a finished point, in gapsim's single-run format
 *   point_NNNNNN.id      its identity: the SHA-256 of the MANIFEST, the seed, the point
 *                        index, the number of points, the shape (cycles, quantile levels,
 *                        trajectories) and the SHA-256 of the .h5 file's bytes
 * Only studies of more than one point have checkpoints (the caller decides: a plain run
 * never creates or removes anything here).  Only gapsim's own files are ever removed,
 * and the directory only when that leaves it empty.
 *
 * --resume: the MANIFEST must equal this run's (else the resume is refused: a changed
 * scenario, seed, option or version).  A point is read back only if its record names
 * this run, this point and this shape, its file's bytes hash to the recorded value, the
 * file is complete (completed = 1) and reads back with this run's shape; any other point
 * (swapped, copied from another run or index, damaged, reshaped) is run again.  Every
 * point is deterministic and stored in full precision, so the final file equals an
 * uninterrupted run's.  The directory is removed once the output file is written.
 */
#ifndef GAPSIM_RESUME_H
#define GAPSIM_RESUME_H

#include <stddef.h>

#include "engine.h"
#include "error.h"
#include "point.h"
#include "scenario.h"

typedef struct gs_resume gs_resume;

/* The directory of the checkpoints of output OUT: OUT followed by this. */
#define RESUME_DIR_SUFFIX ".gapsim-checkpoints"

/* Prepares the checkpoints of the sweep of sc (after --set; borrowed until resume_close)
 * with options opt that will be written to `output`, and takes the directory's lock.
 * resume = 0: a fresh start (old points in the directory are removed); resume = 1: the
 * directory must exist with an identical manifest.  Fails naming the output's directory
 * when it does not exist.  On success *out is owned by the caller (resume_close). */
gs_status resume_open(const char *output, const gs_scenario *sc, const gs_run_options *opt,
                      int resume, gs_resume **out, gs_error *err);

/* If point p was finished before and its checkpoint proves it (see above), reads it
 * into *res and *draws (owned by the caller) and returns 1; otherwise returns 0 with
 * both empty. */
int resume_load(gs_resume *r, size_t point, gs_result *res, gs_uncertainty **draws);

/* Records finished point p.  Safe to call from several threads (HDF5 calls are
 * serialised). */
gs_status resume_save(gs_resume *r, size_t point, const gs_result *res,
                      const gs_uncertainty *draws, gs_error *err);

/* The study hooks (point.h) that restore and record points through r (borrowed: r must
 * outlive the study). */
point_hooks resume_hooks(gs_resume *r);

/* How many points were read back by resume_load, and how many checkpoints it rejected
 * (their points were run again). */
size_t resume_loaded(const gs_resume *r);
size_t resume_recomputed(const gs_resume *r);

/* The checkpoint directory (borrowed). */
const char *resume_dir(const gs_resume *r);

/* Releases the lock and frees r; with done = 1 (the output file is written) first removes
 * the checkpoints (and the directory, if nothing else is in it). */
void resume_close(gs_resume *r, int done);

#endif
