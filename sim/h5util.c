/* h5util.c - HDF5 helpers shared by h5out, h5in and partial (see h5util.h). */
#define _XOPEN_SOURCE 700

#include "h5util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void h5util_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ---- errors --------------------------------------------------------------------- */

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    /* H5E_WALK_UPWARD starts at the deepest entry: n == 0 is the innermost cause. */
    if (n == 0 && e->desc && e->desc[0]) snprintf(data, H5UTIL_CAUSE_MAX, "%s", e->desc);
    return 0;
}

int h5util_cause(char *cause, size_t size)
{
    char buf[H5UTIL_CAUSE_MAX] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, buf);
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    if (!buf[0]) snprintf(buf, sizeof buf, "HDF5 call failed (no cause reported)");
    snprintf(cause, size, "%s", buf);
    /* "lock" as a word ("unable to lock file"), not inside "sblock". */
    int locking = 0;
    for (const char *c = buf; (c = strstr(c, "lock")) != NULL; c++)
        locking |= c == buf || !isalpha((unsigned char)c[-1]);
    return locking;
}

hid_t h5util_str_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

int h5util_attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                      const void *data, char *cause, size_t size)
{
    hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? H5I_INVALID_HID
                           : H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr >= 0 && H5Awrite(attr, mtype, data) >= 0 ? 0 : -1;
    if (rc && cause && h5util_cause(cause, size)) rc = -2;
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    return rc;
}

/* ---- defensive reads -------------------------------------------------------------- */

static gs_status refuse(gs_error *err, const char *file, const char *what, const char *name,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static gs_status refuse(gs_error *err, const char *file, const char *what, const char *name,
                        const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gs_error_set(err, GS_ERR_INPUT, "%s: %s '%s': %s", file, what, name, msg);
}

int h5util_attr_exists(hid_t obj, const char *name)
{
    return H5Aexists(obj, name) > 0;
}

/* Opens attribute `name` and checks it holds exactly one element; fills its type, its
 * class and the open attribute (the caller closes both), or refuses. */
static gs_status attr_one(hid_t obj, const char *file, const char *name, hid_t *attr,
                          hid_t *type, H5T_class_t *cls, gs_error *err)
{
    *attr = *type = H5I_INVALID_HID;
    if (!h5util_attr_exists(obj, name)) return refuse(err, file, "attribute", name, "missing");
    *attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t space = *attr < 0 ? H5I_INVALID_HID : H5Aget_space(*attr);
    *type = *attr < 0 ? H5I_INVALID_HID : H5Aget_type(*attr);
    gs_status st = GS_OK;
    if (*attr < 0 || space < 0 || *type < 0) {
        char cause[H5UTIL_CAUSE_MAX];
        h5util_cause(cause, sizeof cause);
        st = refuse(err, file, "attribute", name, "cannot be read: %s", cause);
    } else {
        H5S_class_t sc = H5Sget_simple_extent_type(space);
        hssize_t np = H5Sget_simple_extent_npoints(space);
        if (sc == H5S_NULL || np != 1)
            st = refuse(err, file, "attribute", name, "holds %lld values, expected one",
                        (long long)(sc == H5S_NULL ? 0 : np));
        *cls = H5Tget_class(*type);
    }
    if (space >= 0) H5Sclose(space);
    if (st != GS_OK) {
        if (*type >= 0) H5Tclose(*type);
        if (*attr >= 0) H5Aclose(*attr);
        *attr = *type = H5I_INVALID_HID;
    }
    return st;
}

static void attr_done(hid_t attr, hid_t type)
{
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
}

gs_status h5util_read_i64(hid_t obj, const char *file, const char *name, long long lo,
                          long long hi, long long *out, gs_error *err)
{
    hid_t a, t;
    H5T_class_t cls;
    GS_FORWARD(attr_one(obj, file, name, &a, &t, &cls, err));
    gs_status st = GS_OK;
    long long v = 0;
    if (cls != H5T_INTEGER) {
        st = refuse(err, file, "attribute", name, "not an integer");
    } else if (H5Tget_sign(t) == H5T_SGN_NONE) {
        unsigned long long u = 0;
        if (H5Aread(a, H5T_NATIVE_ULLONG, &u) < 0)
            st = refuse(err, file, "attribute", name, "cannot be read");
        else if (u > (unsigned long long)LLONG_MAX)
            st = refuse(err, file, "attribute", name, "%llu is out of range", u);
        v = (long long)u;
    } else if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0) {
        st = refuse(err, file, "attribute", name, "cannot be read");
    }
    if (st == GS_OK && (v < lo || v > hi))
        st = refuse(err, file, "attribute", name, "%lld is outside [%lld, %lld]", v, lo, hi);
    if (st == GS_OK) *out = v;
    attr_done(a, t);
    return st;
}

gs_status h5util_read_u64(hid_t obj, const char *file, const char *name, uint64_t *out,
                          gs_error *err)
{
    hid_t a, t;
    H5T_class_t cls;
    GS_FORWARD(attr_one(obj, file, name, &a, &t, &cls, err));
    gs_status st = GS_OK;
    if (cls != H5T_INTEGER) {
        st = refuse(err, file, "attribute", name, "not an integer");
    } else if (H5Tget_sign(t) == H5T_SGN_NONE) {
        if (H5Aread(a, H5T_NATIVE_UINT64, out) < 0)
            st = refuse(err, file, "attribute", name, "cannot be read");
    } else {
        long long v = 0;
        if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0)
            st = refuse(err, file, "attribute", name, "cannot be read");
        else if (v < 0)
            st = refuse(err, file, "attribute", name, "%lld is negative", v);
        else
            *out = (uint64_t)v;
    }
    attr_done(a, t);
    return st;
}

gs_status h5util_read_double(hid_t obj, const char *file, const char *name, double *out,
                             gs_error *err)
{
    hid_t a, t;
    H5T_class_t cls;
    GS_FORWARD(attr_one(obj, file, name, &a, &t, &cls, err));
    gs_status st = GS_OK;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        st = refuse(err, file, "attribute", name, "not a number");
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        st = refuse(err, file, "attribute", name, "cannot be read");
    attr_done(a, t);
    return st;
}

gs_status h5util_read_string(hid_t obj, const char *file, const char *name, char **out,
                             size_t *len, gs_error *err)
{
    *out = NULL;
    hid_t a, t;
    H5T_class_t cls;
    GS_FORWARD(attr_one(obj, file, name, &a, &t, &cls, err));
    gs_status st = GS_OK;
    hid_t m = H5I_INVALID_HID;
    if (cls != H5T_STRING) st = refuse(err, file, "attribute", name, "not a string");
    /* HDF5 converts strings only within one character set: take the file's. */
    if (st == GS_OK && ((m = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(m, H5Tget_cset(t)) < 0))
        st = refuse(err, file, "attribute", name, "cannot be read");
    size_t n = 0;
    if (st == GS_OK && H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        if (H5Tset_size(m, H5T_VARIABLE) < 0 || H5Aread(a, m, &v) < 0) {
            st = refuse(err, file, "attribute", name, "cannot be read");
        } else {
            n = v ? strlen(v) : 0;
            if (n > H5UTIL_STRING_MAX)
                st = refuse(err, file, "attribute", name, "longer than %d bytes",
                            H5UTIL_STRING_MAX);
            else if (!(*out = malloc(n + 1)))
                st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", file);
            else
                memcpy(*out, v ? v : "", n + 1);
        }
        if (v) H5free_memory(v);
    } else if (st == GS_OK) {
        size_t size = H5Tget_size(t);
        if (size == 0 || size > H5UTIL_STRING_MAX)
            st = refuse(err, file, "attribute", name, "a string of %zu bytes", size);
        else if (!(*out = calloc(size + 1, 1)))
            st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", file);
        else if (H5Aread(a, t, *out) < 0) /* the raw bytes, in the file's own type */
            st = refuse(err, file, "attribute", name, "cannot be read");
        if (st == GS_OK) {
            n = strlen(*out);
            /* a NUL before the end cuts the text: refuse rather than read half of it
             * (NUL padding after the text is fine) */
            for (size_t i = n; i < size; i++)
                if ((*out)[i] != '\0') {
                    st = refuse(err, file, "attribute", name, "holds a NUL character");
                    break;
                }
            if (H5Tget_strpad(t) == H5T_STR_SPACEPAD)
                while (n > 0 && (*out)[n - 1] == ' ') (*out)[--n] = '\0';
        }
    }
    if (m >= 0) H5Tclose(m);
    attr_done(a, t);
    if (st != GS_OK) {
        free(*out);
        *out = NULL;
    } else if (len) {
        *len = n;
    }
    return st;
}

gs_status h5util_check_dset(hid_t loc, const char *file, const char *name, H5T_class_t cls,
                            int rank, const hsize_t *want, hsize_t *dims, gs_error *err)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return refuse(err, file, "dataset", name, "missing");
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET)
        return refuse(err, file, "dataset", name, "not a dataset");
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    gs_status st = GS_OK;
    if (d < 0 || s < 0 || t < 0) {
        char cause[H5UTIL_CAUSE_MAX];
        h5util_cause(cause, sizeof cause);
        st = refuse(err, file, "dataset", name, "cannot be opened: %s", cause);
    }
    H5T_class_t have = st == GS_OK ? H5Tget_class(t) : H5T_NO_CLASS;
    if (st == GS_OK &&
        !(cls == H5T_NO_CLASS ? have == H5T_INTEGER || have == H5T_FLOAT : have == cls))
        st = refuse(err, file, "dataset", name, "has the wrong type (expected %s)",
                    cls == H5T_STRING    ? "strings"
                    : cls == H5T_INTEGER ? "integers"
                    : cls == H5T_FLOAT   ? "floating-point numbers"
                                         : "numbers");
    int r = st == GS_OK ? H5Sget_simple_extent_ndims(s) : -1;
    if (st == GS_OK && (r != rank || H5Sget_simple_extent_type(s) == H5S_NULL))
        st = refuse(err, file, "dataset", name, "has %d dimensions, expected %d", r, rank);
    hsize_t have_dims[H5S_MAX_RANK];
    if (st == GS_OK && rank > 0 && H5Sget_simple_extent_dims(s, have_dims, NULL) < 0)
        st = refuse(err, file, "dataset", name, "cannot be read");
    for (int i = 0; st == GS_OK && want && i < rank; i++)
        if (have_dims[i] != want[i])
            st = refuse(err, file, "dataset", name,
                        "has %llu entries along axis %d, expected %llu",
                        (unsigned long long)have_dims[i], i, (unsigned long long)want[i]);
    for (int i = 0; st == GS_OK && dims && i < rank; i++) dims[i] = have_dims[i];
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
    return st;
}

/* ---- output paths ------------------------------------------------------------------ */

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

gs_status h5util_output_target(const char *path, char *target, size_t tsize, char *dir,
                               size_t dsize, gs_error *err)
{
    size_t len = strlen(path);
    GS_RETURN_IF(len == 0, err, GS_ERR_IO, "writing output: empty output path");
    GS_RETURN_IF(len >= H5UTIL_PATH_MAX || len >= tsize, err, GS_ERR_IO,
                 "writing %s: path too long", path);
    struct stat sb;
    snprintf(target, tsize, "%s", path);
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        /* a symbolic link: its final target is replaced, the link stays */
        char *real = realpath(path, NULL);
        if (!real)
            return gs_error_set(err, GS_ERR_IO,
                                "writing %s: a symbolic link whose target cannot be resolved: %s "
                                "(gapsim writes through a link only to an existing file)",
                                path, strerror(errno));
        int fits = strlen(real) < tsize && strlen(real) < H5UTIL_PATH_MAX;
        if (fits) snprintf(target, tsize, "%s", real);
        free(real);
        GS_RETURN_IF(!fits, err, GS_ERR_IO, "writing %s: the link's target path is too long",
                     path);
    }
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    if (*base == '\0')
        return gs_error_set(err, GS_ERR_IO,
                            "writing %s: the output path is a directory, not a file name", path);
    if (stat(target, &sb) == 0 && !S_ISREG(sb.st_mode))
        return gs_error_set(err, GS_ERR_IO,
                            "writing %s: the output path is %s; gapsim writes only regular files",
                            path, kind_of(sb.st_mode));
    if (!slash)
        snprintf(dir, dsize, ".");
    else if (slash == target)
        snprintf(dir, dsize, "/");
    else
        snprintf(dir, dsize, "%.*s", (int)(slash - target), target);
    if (stat(dir, &sb) != 0)
        return gs_error_set(err, GS_ERR_IO, "writing %s: directory %s: %s%s", path, dir,
                            strerror(errno), errno == ENOENT ? " (it must exist)" : "");
    GS_RETURN_IF(!S_ISDIR(sb.st_mode), err, GS_ERR_IO, "writing %s: %s is not a directory", path,
                 dir);
    return GS_OK;
}

gs_status h5util_tmp_create(const char *target, char *tmp, size_t size, gs_error *err)
{
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (unsigned n = 0; n < 100; n++) {
        unsigned long stamp = (unsigned long)ts.tv_nsec + 7919ul * n;
        int w = snprintf(tmp, size, "%.*s.%s.tmp.%ld.%lx", (int)(base - target), target, base,
                         (long)getpid(), stamp);
        GS_RETURN_IF(w < 0 || (size_t)w >= size, err, GS_ERR_IO, "writing %s: path too long",
                     target);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            close(fd);
            return GS_OK;
        }
        if (errno != EEXIST)
            return gs_error_set(err, GS_ERR_IO, "writing %s: creating temporary file %s: %s",
                                target, tmp, strerror(errno));
    }
    return gs_error_set(err, GS_ERR_IO, "writing %s: no free temporary name beside it", target);
}
