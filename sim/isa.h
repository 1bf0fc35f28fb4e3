/* isa.h - which vector instruction set the hot kernels run on, chosen at run time.
 *
 * The portable build targets the x86-64 baseline (SSE2).  Kernels that gain from wider
 * vectors (rng_block.c's lane-stepped generators, vmath_array.c's exp/log) also carry
 * AVX2 and AVX-512 versions compiled with GCC's target attribute; the caller picks one
 * isa_level once (isa_choose or isa_from_env) and passes it to them.  Every level
 * computes the same bits as ISA_PORTABLE: the choice changes speed, never results.
 *
 * No global state: the chosen level is a value the caller keeps (the engine, a test,
 * a benchmark); all functions are thread-safe.
 */
#ifndef GAPSIM_ISA_H
#define GAPSIM_ISA_H

#include "error.h"

/* Ordered from the narrowest to the widest. */
typedef enum {
    ISA_PORTABLE, /* plain C, x86-64 baseline: always available */
    ISA_AVX2,     /* AVX2 (4 x 64-bit lanes) */
    ISA_AVX512,   /* AVX-512 F + DQ (8 x 64-bit lanes, 64-bit multiply vpmullq) */
    ISA_COUNT
} isa_level;

/* Function attributes for a kernel's AVX2 and AVX-512 versions (GCC and Clang on
 * x86-64; empty elsewhere, where only ISA_PORTABLE runs).  "avx512f" implies FMA in
 * GCC and Clang, and a multiply-add contracted into one fused instruction would change
 * results, so a file using these must be compiled without contraction:
 * -ffp-contract=off (per-file flag in the Makefile; also GCC's default in ISO C mode)
 * and, for Clang, #pragma STDC FP_CONTRACT OFF.  A model loop written as a static
 * inline function can be instantiated once per level with these and dispatched on the
 * caller's isa_level (isa_runnable), as sim/vmath_array.c does. */
#if defined(__x86_64__) && defined(__GNUC__)
#define ISA_TARGET_AVX2 __attribute__((target("avx2")))
#define ISA_TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))
#else
#define ISA_TARGET_AVX2
#define ISA_TARGET_AVX512
#endif

/* "portable", "avx2" or "avx512" (the spelling GAPSIM_ISA takes); "?" out of range. */
const char *isa_name(isa_level isa);

/* 1 if this CPU (and the operating system's saved register state) can run isa. */
int isa_supported(isa_level isa);

/* The widest level this CPU runs. */
isa_level isa_best(void);

/* isa if this CPU runs it, else the widest level below it that it runs (out-of-range
 * values count as the widest level): what a kernel dispatches on, so that a level the
 * CPU lacks never executes an illegal instruction. */
isa_level isa_runnable(isa_level isa);

/* The level named `request` ("portable", "avx2", "avx512"); NULL or "" asks for
 * isa_best().  GS_ERR_USAGE if the name is unknown or this CPU lacks that level. */
gs_status isa_choose(const char *request, isa_level *isa, gs_error *err);

/* isa_choose(getenv("GAPSIM_ISA")): the environment can force a level for a test or a
 * benchmark; unset, the widest the CPU runs. */
gs_status isa_from_env(isa_level *isa, gs_error *err);

#endif
