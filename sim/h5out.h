/* h5out.h - writes a run to HDF5 following shared/OUTPUT.md (netCDF-4 compatible, CF
 * attributes, dimension scales), atomically: a temporary file in the target directory,
 * `completed = 1` written last, fsync, rename over the target.  On failure the target
 * is untouched and the temporary file removed.
 */
#ifndef GAPSIM_H5OUT_H
#define GAPSIM_H5OUT_H

#include "comm.h"
#include "error.h"
#include "scenario.h"
#include "study.h"

#define H5OUT_FORMAT_VERSION 1

typedef struct {
    const char *version;      /* gapsim version, e.g. "0.1.0" */
    const char *git_revision; /* git describe of the build, or "unknown" */
    const char *command_line; /* the command as typed */
} h5out_meta;

/* Writes sc and res to path.  Error messages name the path and the innermost HDF5
 * cause in one line (with the HDF5_USE_FILE_LOCKING hint where locking failed). */
gs_status h5out_write(const char *path, const gs_scenario *sc, const gs_study_result *res,
                      const h5out_meta *meta, gs_error *err);

/* As h5out_write, across the ranks of comm (NULL or one rank: h5out_write): collective,
 * one file written with parallel HDF5; every rank gets the same status.  Each rank
 * passes the same statistics and its own rows of the paths (res->run.paths_first,
 * res->run.paths_count). */
gs_status h5out_write_comm(const char *path, const gs_scenario *sc, const gs_study_result *res,
                           const h5out_meta *meta, const gs_comm *comm, gs_error *err);

/* Removes a temporary file left by h5out_write if the process is interrupted
 * (async-signal-safe: only unlink of a path prepared in advance). */
void h5out_cleanup_on_signal(void);

#endif
