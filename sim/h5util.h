/* h5util.h - HDF5 helpers shared by the result writer (h5out), the result reader (h5in)
 * and the --shard partial files (partial): start-up, error causes, string types, the
 * defensive reads and the output-path rules.
 *
 * Readers trust nothing in a file: every attribute and dataset is checked for its type
 * class, rank and size before it is read, strings are read whether they are fixed- or
 * variable-length (h5py's default), and anything else is refused with one line
 * "FILE: attribute 'NAME': problem" or "FILE: dataset 'NAME': problem" (GS_ERR_INPUT).
 *
 * Not thread-safe (HDF5 serial).
 */
#ifndef GAPSIM_H5UTIL_H
#define GAPSIM_H5UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "error.h"

enum {
    H5UTIL_PATH_MAX = 4096,     /* longest output path accepted */
    H5UTIL_CAUSE_MAX = 512,     /* innermost HDF5 error description kept */
    H5UTIL_STRING_MAX = 1 << 24 /* longest string attribute read (16 MiB) */
};

/* Call before any other HDF5 call of the process (main does, first thing; every entry
 * point of the library repeats it, harmlessly).  HDF5 1.10 leaves a dangling file ID
 * when H5Fclose fails (a full disk) and its atexit shutdown then crashes on it
 * (SIGSEGV in H5F__close_cb <- H5_term_library; HDFGroup/hdf5 issue 2257): skip that
 * shutdown (files are closed explicitly, the OS reclaims the rest).  Also turns HDF5's
 * automatic error printing off. */
void h5util_init(void);

/* The innermost entry of HDF5's error stack (one line) into cause[size]; returns
 * non-zero when it is about file locking (then the HDF5_USE_FILE_LOCKING=FALSE hint
 * applies).  Must follow the failing HDF5 call directly. */
int h5util_cause(char *cause, size_t size);

/* The hint for a cause about file locking (h5util_cause returned non-zero). */
#define H5UTIL_LOCKING_HINT " (on filesystems without locking set HDF5_USE_FILE_LOCKING=FALSE)"

/* A fixed-length, NUL-terminated UTF-8 string type of `size` bytes (NUL included), or
 * variable-length with size H5T_VARIABLE; the caller closes it. */
hid_t h5util_str_type(size_t size);

/* Writes attribute `name` on obj: a scalar (n == 0) or a vector of n values of mtype
 * stored as ftype.  0; or, when HDF5 failed, -1, or -2 when the failure is about file
 * locking, with HDF5's cause in cause[size] (h5util_cause, taken before the cleanup
 * clears the error stack; cause may be NULL). */
int h5util_attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                      const void *data, char *cause, size_t size);


/* ---- defensive reads: `file` only names the file in messages ---------------------- */

int h5util_attr_exists(hid_t obj, const char *name);

/* Attribute `name` of obj: one value (scalar, or an array of one) of integer class,
 * not negative, into *out. */
gs_status h5util_read_u64(hid_t obj, const char *file, const char *name, uint64_t *out,
                          gs_error *err);

/* One integer in [lo, hi] into *out. */
gs_status h5util_read_i64(hid_t obj, const char *file, const char *name, long long lo,
                          long long hi, long long *out, gs_error *err);

/* One number (integer or floating class) into *out. */
gs_status h5util_read_double(hid_t obj, const char *file, const char *name, double *out,
                             gs_error *err);

/* One string (fixed- or variable-length, any padding, at most H5UTIL_STRING_MAX bytes)
 * into a new NUL-terminated *out (the caller frees it) of strlen *len (len may be NULL).
 * A string holding a NUL byte before its end is refused. */
gs_status h5util_read_string(hid_t obj, const char *file, const char *name, char **out,
                             size_t *len, gs_error *err);

/* Checks dataset `name` under loc: it exists, its type class is cls (H5T_INTEGER,
 * H5T_FLOAT, H5T_STRING; H5T_NO_CLASS accepts integer or float), its rank is `rank`
 * and, when want is non-NULL, its extent is want[0..rank).  The extent goes to
 * dims[0..rank) when dims is non-NULL. */
gs_status h5util_check_dset(hid_t loc, const char *file, const char *name, H5T_class_t cls,
                            int rank, const hsize_t *want, hsize_t *dims, gs_error *err);

/* ---- output paths ---------------------------------------------------------------- */

/* Checks an output path before anything is written and resolves where the file goes:
 * a directory, FIFO, device or socket is refused; a symbolic link is followed to its
 * final target (which must exist), so the link stays and its target is replaced; a
 * path ending in "/" or naming nothing is refused.  target[tsize] gets the path to
 * rename onto, dir[dsize] its directory, which must exist.  GS_ERR_IO with "writing
 * PATH: problem". */
gs_status h5util_output_target(const char *path, char *target, size_t tsize, char *dir,
                               size_t dsize, gs_error *err);

/* Creates a new, empty temporary file beside target, exclusively (O_EXCL, mode 0666
 * less the umask), named `<dir>/.<base>.tmp.<pid>.<n>`, and puts its name in tmp: two
 * processes writing one target never share a temporary file (PIDs may repeat across
 * PID namespaces sharing a directory).  The caller owns the file (HDF5 then opens it
 * with H5F_ACC_TRUNC) and removes it on failure.  GS_ERR_IO with "writing TARGET: ...". */
gs_status h5util_tmp_create(const char *target, char *tmp, size_t size, gs_error *err);

#endif
