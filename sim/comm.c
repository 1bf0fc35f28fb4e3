/* comm.c - see comm.h.  The serial versions are the identity; the MPI versions wrap
 * the corresponding collectives. */
#include "comm.h"

#include <stdlib.h>
#include <string.h>

void comm_split(uint64_t n, int rank, int size, uint64_t *first, uint64_t *count)
{
    uint64_t base = n / (uint64_t)size, extra = n % (uint64_t)size, r = (uint64_t)rank;
    *first = r * base + (r < extra ? r : extra);
    *count = base + (r < extra ? 1 : 0);
}

#ifndef GAPSIM_MPI

gs_comm comm_world(void) { return (gs_comm){0, 0, 1}; }
gs_status comm_start(int *argc, char ***argv, gs_error *err)
{
    (void)argc, (void)argv, (void)err;
    return GS_OK;
}
void comm_stop(void) {}
void comm_abort(const gs_comm *c, int exit_code) { (void)c, (void)exit_code; }
gs_status comm_sum_u64(const gs_comm *c, uint64_t *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return GS_OK;
}
gs_status comm_max_u64(const gs_comm *c, uint64_t *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return GS_OK;
}
gs_status comm_min_double(const gs_comm *c, double *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return GS_OK;
}
gs_status comm_max_double(const gs_comm *c, double *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return GS_OK;
}
gs_status comm_allgather_bytes(const gs_comm *c, const void *send, size_t nbytes, void **out,
                               size_t *nout_bytes)
{
    (void)c;
    *out = malloc(nbytes ? nbytes : 1);
    if (!*out) return GS_ERR_NOMEM;
    memcpy(*out, send, nbytes);
    *nout_bytes = nbytes;
    return GS_OK;
}
gs_status comm_broadcast(const gs_comm *c, void *buf, size_t nbytes)
{
    (void)c, (void)buf, (void)nbytes;
    return GS_OK;
}
gs_status comm_agree(const gs_comm *c, gs_status status, gs_error *err)
{
    (void)c, (void)err;
    return status;
}

#else

gs_comm comm_world(void)
{
    gs_comm c = {MPI_COMM_WORLD, 0, 1};
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    return c;
}

gs_status comm_start(int *argc, char ***argv, gs_error *err)
{
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return gs_error_set(err, GS_ERR_INTERNAL, "MPI_Init_thread failed");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return GS_OK;
}

void comm_stop(void) { MPI_Finalize(); }

void comm_abort(const gs_comm *c, int exit_code) { MPI_Abort(c->handle, exit_code); }

#define COMM_CHECK(call) ((call) == MPI_SUCCESS ? GS_OK : GS_ERR_INTERNAL)

/* MPI counts are int: large buffers go in pieces of at most 2^30 items. */
enum { COMM_PIECE = 1 << 30 };

gs_status comm_sum_u64(const gs_comm *c, uint64_t *buf, size_t n)
{
    for (size_t off = 0; off < n; off += COMM_PIECE) {
        int k = (int)(n - off < COMM_PIECE ? n - off : COMM_PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, k, MPI_UINT64_T, MPI_SUM, c->handle) !=
            MPI_SUCCESS)
            return GS_ERR_INTERNAL;
    }
    return GS_OK;
}

gs_status comm_max_u64(const gs_comm *c, uint64_t *buf, size_t n)
{
    for (size_t off = 0; off < n; off += COMM_PIECE) {
        int k = (int)(n - off < COMM_PIECE ? n - off : COMM_PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, k, MPI_UINT64_T, MPI_MAX, c->handle) !=
            MPI_SUCCESS)
            return GS_ERR_INTERNAL;
    }
    return GS_OK;
}

static gs_status reduce_double(const gs_comm *c, double *buf, size_t n, MPI_Op op)
{
    for (size_t off = 0; off < n; off += COMM_PIECE) {
        int k = (int)(n - off < COMM_PIECE ? n - off : COMM_PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, k, MPI_DOUBLE, op, c->handle) != MPI_SUCCESS)
            return GS_ERR_INTERNAL;
    }
    return GS_OK;
}
gs_status comm_min_double(const gs_comm *c, double *buf, size_t n)
{
    return reduce_double(c, buf, n, MPI_MIN);
}
gs_status comm_max_double(const gs_comm *c, double *buf, size_t n)
{
    return reduce_double(c, buf, n, MPI_MAX);
}

gs_status comm_allgather_bytes(const gs_comm *c, const void *send, size_t nbytes, void **out,
                               size_t *nout_bytes)
{
    *out = NULL;
    if (nbytes > (size_t)INT32_MAX) return GS_ERR_INTERNAL;
    int mine = (int)nbytes;
    int *counts = malloc((size_t)c->size * sizeof *counts);
    int *displs = malloc((size_t)c->size * sizeof *displs);
    if (!counts || !displs) {
        free(counts), free(displs);
        return GS_ERR_NOMEM;
    }
    gs_status s = COMM_CHECK(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, c->handle));
    size_t total = 0;
    for (int r = 0; s == GS_OK && r < c->size; r++) {
        if (total > (size_t)INT32_MAX) s = GS_ERR_INTERNAL;
        displs[r] = (int)total;
        total += (size_t)counts[r];
    }
    if (s == GS_OK && total > (size_t)INT32_MAX) s = GS_ERR_INTERNAL;
    if (s == GS_OK && !(*out = malloc(total ? total : 1))) s = GS_ERR_NOMEM;
    if (s == GS_OK)
        s = COMM_CHECK(MPI_Allgatherv(send, mine, MPI_BYTE, *out, counts, displs, MPI_BYTE,
                                      c->handle));
    if (s != GS_OK) {
        free(*out);
        *out = NULL;
    }
    *nout_bytes = total;
    free(counts), free(displs);
    return s;
}

gs_status comm_broadcast(const gs_comm *c, void *buf, size_t nbytes)
{
    if (nbytes > (size_t)INT32_MAX) return GS_ERR_INTERNAL;
    return COMM_CHECK(MPI_Bcast(buf, (int)nbytes, MPI_BYTE, 0, c->handle));
}

gs_status comm_agree(const gs_comm *c, gs_status status, gs_error *err)
{
    /* the lowest failing rank (size if none) */
    int failing = status != GS_OK ? c->rank : c->size;
    if (MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, c->handle) != MPI_SUCCESS)
        return gs_error_set(err, GS_ERR_INTERNAL, "MPI_Allreduce failed");
    if (failing == c->size) return GS_OK;
    gs_error local = {GS_OK, ""};
    if (err && c->rank == failing) local = *err;
    local.status = status;
    if (MPI_Bcast(&local, (int)sizeof local, MPI_BYTE, failing, c->handle) != MPI_SUCCESS)
        return gs_error_set(err, GS_ERR_INTERNAL, "MPI_Bcast failed");
    if (err) *err = local;
    return local.status;
}

#endif
