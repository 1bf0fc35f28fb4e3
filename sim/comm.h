/* comm.h - the communicator between processes: MPI ranks in the MPI build
 * (make MPI=1), a single process otherwise.  The rest of the library uses only these
 * calls, so its API does not change with MPI (as SUNDIALS's SUNComm).
 *
 * Every collective call must be made by every rank, in the same order.  Functions
 * return GS_OK or GS_ERR_INTERNAL (an MPI failure).
 */
#ifndef GAPSIM_COMM_H
#define GAPSIM_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef GAPSIM_MPI
#include <mpi.h>
typedef MPI_Comm gs_comm_handle;
#else
typedef int gs_comm_handle;
#endif

typedef struct {
    gs_comm_handle handle; /* MPI_COMM_WORLD, or 0 */
    int rank, size;        /* this process and the number of processes (0, 1 serial) */
} gs_comm;

/* The world communicator (MPI must be initialised by the caller: comm_start). */
gs_comm comm_world(void);

/* MPI_Init_thread (funneled) in the MPI build; nothing otherwise.  comm_stop calls
 * MPI_Finalize. */
gs_status comm_start(int *argc, char ***argv, gs_error *err);
void comm_stop(void);

/* Ends every rank at once after a failure on this one (MPI_Abort); serial: nothing. */
void comm_abort(const gs_comm *c, int exit_code);

/* The slice [*first, *first + *count) of n items that rank `rank` of `size` owns:
 * contiguous, in rank order, sizes differing by at most one. */
void comm_split(uint64_t n, int rank, int size, uint64_t *first, uint64_t *count);

/* In-place sums, minima and maxima over all ranks. */
gs_status comm_sum_u64(const gs_comm *c, uint64_t *buf, size_t n);
gs_status comm_max_u64(const gs_comm *c, uint64_t *buf, size_t n);
gs_status comm_min_double(const gs_comm *c, double *buf, size_t n);
gs_status comm_max_double(const gs_comm *c, double *buf, size_t n);

/* Concatenates every rank's send[0..n) in rank order on every rank: *out (malloc'd,
 * owned by the caller) holds *nout items. */
gs_status comm_allgather_bytes(const gs_comm *c, const void *send, size_t nbytes, void **out,
                               size_t *nout_bytes);

/* Broadcasts buf[0..nbytes) from rank 0. */
gs_status comm_broadcast(const gs_comm *c, void *buf, size_t nbytes);

/* Agreement after a step that may fail on some ranks: returns GS_OK on every rank if
 * status was GS_OK on every rank; otherwise every rank gets the status and message of
 * the lowest-numbered failing rank, so all ranks stop together with one message. */
gs_status comm_agree(const gs_comm *c, gs_status status, gs_error *err);

#endif
