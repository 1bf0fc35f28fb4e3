/* vmath_array.h - vmath.h's exp and log over arrays, on the vector instruction set the
 * caller chose (isa.h).
 *
 * The portable build vectorises vm_exp and vm_log two doubles wide (SSE2); these
 * functions also carry AVX2 (4 wide) and AVX-512 (8 wide) versions compiled from the
 * same loop with GCC's target attribute.  Every version returns exactly the bits of
 * vm_exp / vm_log on every element: they are IEEE additions, multiplications, one
 * division, comparisons and integer operations, all exact or correctly rounded in
 * every lane, and the file is compiled with -ffp-contract=off (no fused multiply-add).
 * tests/test_vmath_array.c checks that bit for bit on each level this CPU runs.
 */
#ifndef GAPSIM_VMATH_ARRAY_H
#define GAPSIM_VMATH_ARRAY_H

#include <stddef.h>

#include "isa.h"

/* y[i] = vm_exp(x[i]) for i < n.  y may be x (in place); otherwise they must not
 * overlap.  A level the CPU cannot run steps down to one it can. */
void vmath_array_exp(isa_level isa, double *y, const double *x, size_t n);

/* y[i] = vm_log(x[i]) for i < n; as vmath_array_exp. */
void vmath_array_log(isa_level isa, double *y, const double *x, size_t n);

#endif
