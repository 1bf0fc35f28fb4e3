/* isa.c - run-time choice of the vector instruction set (see isa.h). */
#include "isa.h"

#include <stdlib.h>
#include <string.h>

static const char *const isa_names[ISA_COUNT] = {"portable", "avx2", "avx512"};

const char *isa_name(isa_level isa)
{
    return (unsigned)isa < ISA_COUNT ? isa_names[isa] : "?";
}

/* __builtin_cpu_supports reads CPUID once (libgcc) and, for AVX and AVX-512, also
 * checks with XGETBV that the operating system saves the wider registers. */
int isa_supported(isa_level isa)
{
#if !(defined(__x86_64__) && defined(__GNUC__))
    return isa == ISA_PORTABLE; /* no vector kernels are compiled in */
#else
    __builtin_cpu_init();
    switch (isa) {
    case ISA_PORTABLE:
        return 1;
    case ISA_AVX2:
        return __builtin_cpu_supports("avx2") != 0;
    case ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    default:
        return 0;
    }
#endif
}

isa_level isa_best(void)
{
    isa_level best = ISA_PORTABLE;
    for (int l = ISA_PORTABLE; l < ISA_COUNT; l++)
        if (isa_supported((isa_level)l))
            best = (isa_level)l;
    return best;
}

isa_level isa_runnable(isa_level isa)
{
#if !(defined(__x86_64__) && defined(__GNUC__))
    (void)isa;
    return ISA_PORTABLE;
#else
    if ((unsigned)isa >= ISA_COUNT)
        isa = (isa_level)(ISA_COUNT - 1);
    while (isa > ISA_PORTABLE && !isa_supported(isa))
        isa = (isa_level)(isa - 1);
    return isa;
#endif
}

gs_status isa_choose(const char *request, isa_level *isa, gs_error *err)
{
    if (request == NULL || *request == '\0') {
        *isa = isa_best();
        return GS_OK;
    }
    for (int l = ISA_PORTABLE; l < ISA_COUNT; l++) {
        if (strcmp(request, isa_names[l]) != 0)
            continue;
        GS_RETURN_IF(!isa_supported((isa_level)l), err, GS_ERR_USAGE,
                     "GAPSIM_ISA=%s: this CPU lacks %s (it runs up to %s)", request,
                     l == ISA_AVX2 ? "AVX2" : "AVX-512 F and DQ", isa_name(isa_best()));
        *isa = (isa_level)l;
        return GS_OK;
    }
    return gs_error_set(err, GS_ERR_USAGE,
                        "GAPSIM_ISA=%s: unknown instruction set (portable, avx2 or avx512)",
                        request);
}

gs_status isa_from_env(isa_level *isa, gs_error *err)
{
    return isa_choose(getenv("GAPSIM_ISA"), isa, err);
}
