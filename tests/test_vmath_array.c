/* test_vmath_array.c - vmath_array's exp and log (sim/vmath_array.c) on each
 * instruction set this CPU runs give exactly the bits of vmath.h's vm_exp and vm_log,
 * on a million arguments spread over the whole range, special values included, and at
 * array lengths that leave every remainder of the vector width (exact tier).  A level
 * the CPU lacks is skipped with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "rng.h"
#include "testutil.h"
#include "vmath.h"
#include "vmath_array.h"

enum { COUNT = 1000000 };

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Arguments: specials, then a mix of uniform on [-800, 800], exp of normals (for log:
 * positive numbers over many decades), subnormals and random bit patterns. */
static double *make_args(void)
{
    static const double specials[] = {0.0, -0.0, 1.0, -1.0, 0x1p-1074, 0x1p-1022, 709.78,
                                      710.0, -745.2, -746.0, -800.0, 1e300, -1e300,
                                      1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 0.5, 2.0,
                                      0x1.fffffffffffffp-1, 0x1.0000000000001p0};
    double *x = malloc(COUNT * sizeof *x);
    assert_non_null(x);
    rng_pcg32 r;
    rng_pcg32_seed(&r, 14, 1);
    const size_t n_special = sizeof specials / sizeof *specials;
    for (size_t i = 0; i < COUNT; i++) {
        if (i < n_special) {
            x[i] = specials[i];
            continue;
        }
        switch (i % 4) {
        case 0: x[i] = 1600.0 * rng_uniform(&r) - 800.0; break;
        case 1: x[i] = exp(20.0 * rng_normal(&r)); break;
        case 2: x[i] = (double)(rng_pcg32_next64(&r) >> 12) * 0x1p-1074; break; /* subnormal */
        default: {
            uint64_t u = rng_pcg32_next64(&r);
            memcpy(&x[i], &u, sizeof u);
        }
        }
    }
    return x;
}

static void check_level(isa_level isa)
{
    if (!isa_supported(isa)) {
        print_message("[  SKIPPED ] %s: this CPU lacks it, so its exp/log are not tested here\n",
                      isa_name(isa));
        skip();
    }
    double *x = make_args(), *y = malloc(COUNT * sizeof *y), *z = malloc(COUNT * sizeof *z);
    assert_non_null(y);
    assert_non_null(z);
    for (int f = 0; f < 2; f++) {
        if (f == 0)
            vmath_array_exp(isa, y, x, COUNT);
        else
            vmath_array_log(isa, y, x, COUNT);
        for (size_t i = 0; i < COUNT; i++) {
            double want = f == 0 ? vm_exp(x[i]) : vm_log(x[i]);
            if (bits_of(y[i]) != bits_of(want))
                fail_msg("%s %s(%a) = %a, vm_%s gives %a", isa_name(isa), f ? "log" : "exp",
                         x[i], y[i], f ? "log" : "exp", want);
        }
        /* short arrays: every remainder of 8 lanes, and in place */
        for (size_t n = 0; n <= 19; n++) {
            memcpy(z, x + 1000, n * sizeof *z);
            if (f == 0)
                vmath_array_exp(isa, z, z, n);
            else
                vmath_array_log(isa, z, z, n);
            for (size_t i = 0; i < n; i++)
                assert_true(bits_of(z[i]) == bits_of(f ? vm_log(x[1000 + i]) : vm_exp(x[1000 + i])));
        }
    }
    free(x);
    free(y);
    free(z);
}

static void test_portable(void **state)
{
    (void)state;
    check_level(ISA_PORTABLE);
}

static void test_avx2(void **state)
{
    (void)state;
    check_level(ISA_AVX2);
}

static void test_avx512(void **state)
{
    (void)state;
    check_level(ISA_AVX512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable),
        cmocka_unit_test(test_avx2),
        cmocka_unit_test(test_avx512),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
