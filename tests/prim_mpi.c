/* prim_mpi.c - PRIM over MPI ranks against one process (make MPI=1 build-mpi/tests/prim_mpi;
 * tests/e2e_prim.sh runs it under mpirun -np 2 when it exists).
 *
 * Every rank makes the same data (a known box in [0,1]^5, 5% label noise, GSL mt19937 seed
 * 11, 30,000 rows), keeps only its slice of rows (comm_split), codes it with the bin edges
 * of the whole data, and runs prim_run with prim_reduce_comm (two boxes).  Rank 0 also
 * runs prim_run on every row in one process and prints "ok ..." if the trajectories,
 * boxes (bins and counts), lower limits, quasi-p values, gains and importance are the same
 * bits, else "not ok ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "comm.h"
#include "prim.h"

enum { ROWS = 30000, DIMS = 5 };

static int same(const prim_result *a, const prim_result *b)
{
    const size_t d = a->d;
    if (a->n_boxes != b->n_boxes || a->rows != b->rows || a->positives != b->positives)
        return 0;
    if (memcmp(a->importance, b->importance, d * sizeof *a->importance)) return 0;
    for (size_t k = 0; k < a->n_boxes; k++) {
        const prim_box *p = &a->boxes[k], *q = &b->boxes[k];
        if (p->n_steps != q->n_steps || p->chosen != q->chosen || p->pastes != q->pastes ||
            memcmp(p->steps, q->steps, p->n_steps * sizeof *p->steps) ||
            memcmp(&p->box, &q->box, sizeof p->box) ||
            memcmp(p->lo_bin, q->lo_bin, d * sizeof *p->lo_bin) ||
            memcmp(p->hi_bin, q->hi_bin, d * sizeof *p->hi_bin) ||
            memcmp(p->lower, q->lower, d * sizeof *p->lower) ||
            memcmp(p->p_lower, q->p_lower, d * sizeof *p->p_lower) ||
            memcmp(p->p_upper, q->p_upper, d * sizeof *p->p_upper) ||
            memcmp(p->gain, q->gain, d * sizeof *p->gain))
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    gs_error err;
    gsl_set_error_handler_off();
    if (comm_start(&argc, &argv, &err) != GS_OK) {
        fprintf(stderr, "prim_mpi: %s\n", err.msg);
        return 1;
    }
    gs_comm world = comm_world();
    float *x = malloc((size_t)ROWS * DIMS * sizeof *x);
    uint8_t *y = malloc(ROWS);
    if (!x || !y) return 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (size_t i = 0; i < ROWS; i++) {
        for (size_t j = 0; j < DIMS; j++) x[j * ROWS + i] = (float)gsl_rng_uniform(r);
        const int in = x[i] >= 0.2f && x[i] <= 0.6f && x[ROWS + i] >= 0.5f && x[ROWS + i] <= 0.9f;
        y[i] = (uint8_t)(gsl_rng_uniform(r) < 0.05 ? !in : in);
    }
    gsl_rng_free(r);
    const float *col[DIMS], *mine[DIMS];
    for (size_t j = 0; j < DIMS; j++) col[j] = x + j * ROWS;
    uint64_t first, count;
    comm_split(ROWS, world.rank, world.size, &first, &count);
    for (size_t j = 0; j < DIMS; j++) mine[j] = col[j] + first;

    prim_data whole, part;
    prim_result all, split;
    prim_options opt = prim_options_default();
    opt.box_count = 2;
    int ok = prim_data_create(&whole, ROWS, DIMS, col, 2048, 0, &err) == GS_OK &&
             prim_data_create_with_edges(&part, count, DIMS, mine, whole.n_bins, whole.bin_min,
                                         0, &err) == GS_OK;
    prim_options dist = opt;
    dist.reduce = prim_reduce_comm;
    dist.reduce_ctx = &world;
    ok = ok && prim_run(&part, y + first, NULL, &dist, &split, &err) == GS_OK;
    if (world.rank == 0) {
        ok = ok && prim_run(&whole, y, NULL, &opt, &all, &err) == GS_OK;
        if (!ok) printf("not ok prim, %d MPI ranks: %s\n", world.size, err.msg);
        else
            printf("%s prim, %d MPI ranks: the same trajectory, boxes, quasi-p and importance "
                   "bits as one process (%zu boxes, %zu steps)\n",
                   same(&all, &split) ? "ok" : "not ok", world.size, all.n_boxes,
                   all.boxes[0].n_steps);
        if (ok) prim_result_free(&all);
    }
    if (ok) prim_result_free(&split);
    prim_data_free(&part);
    prim_data_free(&whole);
    free(x);
    free(y);
    comm_stop();
    return 0;
}
