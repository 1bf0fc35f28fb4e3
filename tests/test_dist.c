#define _DEFAULT_SOURCE /* M_PI */
/* test_dist.c - distributions of uncertain parameters: sample moments within stated
 * standard errors, truncation respected, the {p5, p95} fit, and malformed input.
 * Uniforms come from a fixed PCG stream; each moment check allows 4 standard errors
 * (SE of a mean = sd/√n; SE of a variance ≈ sd² √(2/(n−1)), for these near-normal shapes
 * widened by the kurtosis term below). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include <gsl/gsl_errno.h>

#include "dist.h"
#include "rng.h"

enum { N = 200000 };

static gs_dist make(dist_family f, double a, double b, double c, double d, double lo, double hi)
{
    double par[4] = {a, b, c, d};
    gs_dist dist;
    char msg[256];
    if (dist_init(&dist, f, par, lo, hi, msg, sizeof msg) != GS_OK) fail_msg("dist_init: %s", msg);
    return dist;
}

/* Draws N values and checks mean and variance against the exact ones: the mean within
 * 4 SE (sd/√N), the variance within 4 SE with SE² = (μ4 − σ⁴)/N (μ4 given). */
static void check_moments(const gs_dist *d, double mean, double var, double mu4, double *minv,
                          double *maxv)
{
    rng_pcg32 g;
    rng_stream(&g, 12345, 0, (uint64_t)d->family);
    double s = 0, s2 = 0, lo = INFINITY, hi = -INFINITY;
    double *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) {
        double u = ((double)(rng_pcg32_next64(&g) >> 11) + 0.5) * 0x1.0p-53;
        x[i] = dist_quantile(d, u);
        s += x[i];
        lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
    }
    double m = s / N;
    for (int i = 0; i < N; i++) s2 += (x[i] - m) * (x[i] - m);
    free(x);
    double v = s2 / (N - 1);
    assert_within_se(m, mean, sqrt(var / N), 4);
    assert_within_se(v, var, sqrt((mu4 - var * var) / N), 4);
    if (minv) *minv = lo;
    if (maxv) *maxv = hi;
}

static void test_normal(void **state)
{
    (void)state;
    gs_dist d = make(DIST_NORMAL, 0.6, 0.2, 0, 0, -INFINITY, INFINITY);
    check_moments(&d, 0.6, 0.04, 3 * 0.04 * 0.04, NULL, NULL); /* μ4 = 3σ⁴ */
}

static void test_lognormal(void **state)
{
    (void)state;
    double mu = -1.0, s = 0.3, s2 = s * s;
    gs_dist d = make(DIST_LOGNORMAL, mu, s, 0, 0, -INFINITY, INFINITY);
    /* E = e^{μ+σ²/2}, Var = (e^{σ²} − 1) e^{2μ+σ²}, μ4 = Var² (e^{4σ²} + 2e^{3σ²} + 3e^{2σ²} − 3) */
    double mean = exp(mu + s2 / 2), var = expm1(s2) * exp(2 * mu + s2);
    double mu4 = var * var * (exp(4 * s2) + 2 * exp(3 * s2) + 3 * exp(2 * s2) - 3);
    double lo;
    check_moments(&d, mean, var, mu4, &lo, NULL);
    assert_true(lo > 0);
}

static void test_uniform(void **state)
{
    (void)state;
    gs_dist d = make(DIST_UNIFORM, 0.1, 0.7, 0, 0, -INFINITY, INFINITY);
    double w = 0.6, var = w * w / 12, mu4 = w * w * w * w / 80;
    double lo, hi;
    check_moments(&d, 0.4, var, mu4, &lo, &hi);
    assert_true(lo >= 0.1 && hi <= 0.7);
}

static void test_beta(void **state)
{
    (void)state;
    double a = 6, b = 4, n = a + b;
    gs_dist d = make(DIST_BETA, a, b, 0, 1, -INFINITY, INFINITY);
    double mean = a / n, var = a * b / (n * n * (n + 1));
    /* excess kurtosis 6[(a−b)²(a+b+1) − ab(a+b+2)] / [ab(a+b+2)(a+b+3)] */
    double kurt = 6 * ((a - b) * (a - b) * (n + 1) - a * b * (n + 2)) / (a * b * (n + 2) * (n + 3));
    check_moments(&d, mean, var, (kurt + 3) * var * var, NULL, NULL);
    /* rescaled to [2, 4]: mean 2 + 2·0.6, variance 4× */
    gs_dist e = make(DIST_BETA, a, b, 2, 4, -INFINITY, INFINITY);
    check_moments(&e, 3.2, 4 * var, (kurt + 3) * 16 * var * var, NULL, NULL);
}

static void test_triangular(void **state)
{
    (void)state;
    double a = -1, m = -0.3, c = 0.2;
    gs_dist d = make(DIST_TRIANGULAR, a, m, c, 0, -INFINITY, INFINITY);
    double mean = (a + m + c) / 3, var = (a * a + m * m + c * c - a * m - a * c - m * c) / 18;
    /* excess kurtosis of a triangular distribution: −3/5 */
    check_moments(&d, mean, var, 2.4 * var * var, NULL, NULL);
}

/* Truncation: every draw within the bounds, and the truncated normal's mean on [0, ∞)
 * is σ √(2/π) (half-normal), variance σ² (1 − 2/π). */
static void test_truncation(void **state)
{
    (void)state;
    gs_dist d = make(DIST_NORMAL, 0, 1, 0, 0, 0, INFINITY);
    double lo, hi;
    double mean = sqrt(2 / M_PI), var = 1 - 2 / M_PI;
    /* central μ4 = E[x⁴] − 4m E[x³] + 6m² E[x²] − 3m⁴ with E[x²] = 1, E[x³] = 2√(2/π) = 2m,
     * E[x⁴] = 3 */
    double mu4 = 3 - 8 * mean * mean + 6 * mean * mean - 3 * pow(mean, 4);
    check_moments(&d, mean, var, mu4, &lo, &hi);
    assert_true(lo >= 0);
    /* a lognormal cut to [0.5, 2]: all draws inside; F_trunc(x) = (F(x) − F(.5))/(F(2) − F(.5)) */
    gs_dist t = make(DIST_LOGNORMAL, 0, 1, 0, 0, 0.5, 2.0);
    rng_pcg32 g;
    rng_stream(&g, 99, 0, 0);
    int below1 = 0;
    for (int i = 0; i < N; i++) {
        double x = dist_quantile(&t, rng_uniform(&g));
        if (x < 0.5 || x > 2.0) fail_msg("draw %g outside [0.5, 2]", x);
        below1 += x < 1.0;
    }
    double p = (dist_cdf(&t, 1.0) - dist_cdf(&t, 0.5)) / (dist_cdf(&t, 2.0) - dist_cdf(&t, 0.5));
    assert_within_se((double)below1 / N, p, sqrt(p * (1 - p) / N), 4);
    /* the extreme uniforms map onto the bounds, never beyond */
    assert_true(dist_quantile(&t, 0.0) >= 0.5 && dist_quantile(&t, 1.0) <= 2.0);
}

/* {p5, p95}: the fitted distribution's 5th and 95th percentiles are p5 and p95 (to
 * 1e-9), lognormal for a positive key, normal otherwise. */
static void test_interval(void **state)
{
    (void)state;
    gs_dist d;
    char msg[256];
    assert_int_equal(dist_fit_interval(&d, 0.4, 0.8, 1, 0, INFINITY, msg, sizeof msg), GS_OK);
    assert_int_equal(d.family, DIST_LOGNORMAL);
    assert_close_rel(dist_quantile(&d, 0.05), 0.4, 1e-9);
    assert_close_rel(dist_quantile(&d, 0.95), 0.8, 1e-9);
    assert_int_equal(dist_fit_interval(&d, -0.9, -0.3, 0, -INFINITY, INFINITY, msg, sizeof msg), GS_OK);
    assert_int_equal(d.family, DIST_NORMAL);
    assert_close_rel(dist_quantile(&d, 0.05), -0.9, 1e-9);
    assert_close_rel(dist_quantile(&d, 0.95), -0.3, 1e-9);
}

/* {dist: beta, p5, p95}: the fitted beta has those quantiles, for the calibration's
 * intervals and for narrow, wide and lopsided ones; impossible intervals are refused. */
static void test_beta_interval(void **state)
{
    (void)state;
    const double iv[][2] = {{0.40, 0.80}, {0.10, 0.55}, {0.45, 0.90}, {0.12, 0.45},
                            {0.25, 0.70}, {0.68, 0.90}, {0.10, 0.60}, {0.49, 0.51},
                            {0.01, 0.05}, {0.05, 0.95}, {0.90, 0.999}};
    for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
        gs_dist d;
        char msg[256];
        if (dist_fit_beta_interval(&d, iv[i][0], iv[i][1], 0, 1, msg, sizeof msg) != GS_OK)
            fail_msg("beta {%g, %g}: %s", iv[i][0], iv[i][1], msg);
        assert_int_equal(d.family, DIST_BETA);
        assert_close_rel(dist_quantile(&d, 0.05), iv[i][0], 1e-7);
        assert_close_rel(dist_quantile(&d, 0.95), iv[i][1], 1e-7);
    }
    gs_dist d;
    char msg[256];
    assert_int_equal(dist_fit_beta_interval(&d, 0.5, 1.2, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
    assert_int_equal(dist_fit_beta_interval(&d, 0.6, 0.4, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
}

/* Malformed: p5 > p95, bounds that exclude all the mass, bad parameters. */
static void test_malformed(void **state)
{
    (void)state;
    gs_dist d;
    char msg[256];
    assert_int_equal(dist_fit_interval(&d, 0.8, 0.4, 1, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
    assert_non_null(strstr(msg, "p5 must be below p95"));
    double normal[4] = {0, 0.1, 0, 0};
    assert_int_equal(dist_init(&d, DIST_NORMAL, normal, 5, 6, msg, sizeof msg), GS_ERR_INPUT);
    assert_non_null(strstr(msg, "exclude all the mass"));
    double uni[4] = {0, 1, 0, 0};
    assert_int_equal(dist_init(&d, DIST_UNIFORM, uni, 2, 3, msg, sizeof msg), GS_ERR_INPUT);
    double bad_sd[4] = {0, -1, 0, 0};
    assert_int_equal(dist_init(&d, DIST_NORMAL, bad_sd, -INFINITY, INFINITY, msg, sizeof msg),
                     GS_ERR_INPUT);
    double tri[4] = {0, 2, 1, 0};
    assert_int_equal(dist_init(&d, DIST_TRIANGULAR, tri, -INFINITY, INFINITY, msg, sizeof msg),
                     GS_ERR_INPUT);
    assert_int_equal(dist_family_find("gamma"), -1);
    assert_int_equal(dist_family_find("beta"), DIST_BETA);
}

/* Central moments (variance, μ4) from raw moments m1..m4. */
static void central(const double m[5], double *var, double *mu4)
{
    double mu = m[1];
    *var = m[2] - mu * mu;
    *mu4 = m[4] - 4 * mu * m[3] + 6 * mu * mu * m[2] - 3 * mu * mu * mu * mu;
}

/* PERT(a, m, c), λ = 4: a + (c − a) Y, Y ~ Beta(α, β), α = 1 + 4(m − a)/(c − a),
 * β = 1 + 4(c − m)/(c − a); E[Y^k] = Π_{i<k} (α + i)/(α + β + i). */
static void test_pert(void **state)
{
    (void)state;
    double a = 0.1, mo = 0.3, c = 0.9, w = c - a;
    double al = 1 + 4 * (mo - a) / w, be = 1 + 4 * (c - mo) / w;
    double ym[5] = {1, 0, 0, 0, 0};
    for (int k = 1; k <= 4; k++) ym[k] = ym[k - 1] * (al + k - 1) / (al + be + k - 1);
    double var, mu4;
    central(ym, &var, &mu4);
    double mean = a + w * ym[1];
    assert_true(fabs(mean - (a + 4 * mo + c) / 6) < 1e-12); /* the textbook PERT mean */
    gs_dist d = make(DIST_PERT, a, mo, c, 0, -INFINITY, INFINITY);
    double lo, hi;
    check_moments(&d, mean, var * w * w, mu4 * w * w * w * w, &lo, &hi);
    assert_true(lo >= a && hi <= c);
}

/* loguniform(a, b): E[X^k] = (b^k − a^k) / (k ln(b/a)). */
static void test_loguniform(void **state)
{
    (void)state;
    double a = 0.01, b = 2, m[5] = {1, 0, 0, 0, 0};
    for (int k = 1; k <= 4; k++) m[k] = (pow(b, k) - pow(a, k)) / (k * log(b / a));
    double var, mu4;
    central(m, &var, &mu4);
    gs_dist d = make(DIST_LOGUNIFORM, a, b, 0, 0, -INFINITY, INFINITY);
    double lo, hi;
    check_moments(&d, m[1], var, mu4, &lo, &hi);
    assert_true(lo >= a && hi <= b);
    /* the median is the geometric mean */
    assert_true(fabs(dist_quantile(&d, 0.5) - sqrt(a * b)) < 1e-12);
}

static void test_discrete(void **state)
{
    (void)state;
    const double v[] = {0.6, 0.2, 0.9}, w[] = {3, 1, 4}; /* any order, weights not normalised */
    gs_dist d;
    char msg[256];
    assert_int_equal(dist_init_discrete(&d, v, w, 3, 0, 1, msg, sizeof msg), GS_OK);
    double m[5] = {1, 0, 0, 0, 0};
    for (int k = 1; k <= 4; k++)
        for (int i = 0; i < 3; i++) m[k] += w[i] / 8 * pow(v[i], k);
    double var, mu4;
    central(m, &var, &mu4);
    check_moments(&d, m[1], var, mu4, NULL, NULL);
    /* only the values themselves are drawn */
    for (int i = 0; i <= 100; i++) {
        double x = dist_quantile(&d, i / 100.0);
        assert_true(x == 0.2 || x == 0.6 || x == 0.9);
    }
    assert_true(dist_quantile(&d, 0.1) == 0.2 && dist_quantile(&d, 0.2) == 0.6 &&
                dist_quantile(&d, 0.6) == 0.9);
    const double dup[] = {0.2, 0.2};
    assert_int_equal(dist_init_discrete(&d, dup, w, 2, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
    assert_non_null(strstr(msg, "twice"));
    const double out[] = {0.2, 1.5};
    assert_int_equal(dist_init_discrete(&d, out, w, 2, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
    assert_non_null(strstr(msg, "outside"));
    const double zero_w[] = {1, 0};
    assert_int_equal(dist_init_discrete(&d, v, zero_w, 2, 0, 1, msg, sizeof msg), GS_ERR_INPUT);
}

/* The text forms give the same distributions as their explicit construction. */
static void test_parse(void **state)
{
    (void)state;
    gs_dist d;
    char msg[256];
    /* "A to B": a 90% interval, lognormal when both ends are positive */
    assert_int_equal(dist_parse(" 0.3 to 0.8 ", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_int_equal(d.family, DIST_LOGNORMAL);
    assert_true(fabs(dist_quantile(&d, 0.05) - 0.3) < 1e-9 && fabs(dist_quantile(&d, 0.95) - 0.8) < 1e-9);
    assert_int_equal(dist_parse("-1 to 3", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_int_equal(d.family, DIST_NORMAL);
    assert_true(fabs(dist_quantile(&d, 0.05) + 1) < 1e-9 && fabs(dist_quantile(&d, 0.5) - 1) < 1e-12);
    assert_int_equal(dist_parse("1e-3 to 2e-2", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_int_equal(dist_parse("pert(0.1, 0.3, 0.9)", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_int_equal(d.family, DIST_PERT);
    assert_true(d.par[0] == 0.1 && d.par[1] == 0.3 && d.par[2] == 0.9);
    assert_int_equal(dist_parse("loguniform(0.01,2)", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_int_equal(d.family, DIST_LOGUNIFORM);
    assert_int_equal(dist_parse("beta(2, 5)", -INFINITY, INFINITY, &d, msg, sizeof msg), 0);
    assert_true(d.family == DIST_BETA && d.par[2] == 0 && d.par[3] == 1);
    assert_int_equal(dist_parse("normal(0.5, 0.1)", 0, 1, &d, msg, sizeof msg), 0);
    assert_true(d.lo == 0 && d.hi == 1);
    assert_int_equal(dist_parse("discrete({0.2: 1, 0.6: 3})", 0, 1, &d, msg, sizeof msg), 0);
    assert_true(d.family == DIST_DISCRETE && d.n_values == 2 && d.cum[0] == 0.25);
    /* not a distribution: left to the number parser */
    assert_int_equal(dist_parse("0.5", 0, 1, &d, msg, sizeof msg), 1);
    assert_int_equal(dist_parse("1e-3", 0, 1, &d, msg, sizeof msg), 1);
    assert_int_equal(dist_parse("abc", 0, 1, &d, msg, sizeof msg), 1);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"0.8 to 0.3", "A < B"},
        {"0.3 to", "A to B"},
        {"x to 0.8", "A to B"},
        {"0.3 to 0.8 to 0.9", "A to B"},
        {"pert(0.1, 0.3)", "pert takes 3 numbers (min, mode, max), got 2"},
        {"pert(0.1, 0.95, 0.9)", "min <= mode <= max"},
        {"loguniform(0, 1)", "0 < min < max"},
        {"loguniform(1, x)", "expected 2 numbers"},
        {"gamma(1, 2)", "unknown distribution 'gamma'"},
        {"normal(0.5, 0.1) + 1", "unexpected"},
        {"discrete({0.2 1})", "a number is missing"},
        {"discrete({0.2: 1, 0.2: 2})", "twice"},
        {"discrete({0.2: -1})", "weights must be > 0"},
        {"discrete(0.2: 1)", "expected discrete({value: weight, ...})"},
        {"discrete({0.2: 1}", "end with '})'"},
        {"discrete({})", "1 to 16 values"},
        {"normal(5, 0.1)", "exclude all the mass"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_dist d;
        char msg[256] = "";
        if (dist_parse(bad[i].text, 0, 1, &d, msg, sizeof msg) != -1)
            fail_msg("'%s' accepted", bad[i].text);
        if (!strstr(msg, bad[i].says))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].text, msg, bad[i].says);
    }
}

/* dist_quantile_prepared gives dist_quantile's bits (GSL's beta inverse) for every u:
 * uniform u on the 53-bit grid, both tails down to 2^-60, u near 0.5 and 0.1 (the
 * branches of GSL's iteration), 0 and 1; betas with shapes below and above 1, truncated
 * ones, the fitted betas of scenarios/baseline.yaml's kind, PERT, and the families
 * that take dist_quantile's path. */
static void test_prepared_bits(void **state)
{
    (void)state;
    gsl_set_error_handler_off(); /* as gapsim's main: a failed inversion is NaN, not abort */
    gs_dist d[12];
    size_t nd = 0;
    d[nd++] = make(DIST_BETA, 6, 4, 0, 1, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 0.7, 0.4, 0, 1, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 0.3, 4, 0, 1, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 50, 60, -2, 3, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 1, 1, 0, 1, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 2.5, 7.5, 0, 1, 0.1, 0.5); /* truncated */
    char msg[256];
    if (dist_fit_beta_interval(&d[nd++], 0.68, 0.90, -INFINITY, INFINITY, msg, sizeof msg))
        fail_msg("fit: %s", msg);
    d[nd++] = make(DIST_PERT, 0, 1, 4, 0, -INFINITY, INFINITY);
    d[nd++] = make(DIST_PERT, 0, 0, 1, 0, -INFINITY, INFINITY); /* mode at min: a = 1 */
    d[nd++] = make(DIST_NORMAL, 0.6, 0.2, 0, 0, 0, INFINITY);
    d[nd++] = make(DIST_LOGNORMAL, 0, 1, 0, 0, -INFINITY, INFINITY);
    d[nd++] = make(DIST_BETA, 2e5, 3, 0, 1, -INFINITY, INFINITY); /* GSL's own path */
    rng_pcg32 g;
    rng_stream(&g, 777, 0, 0);
    size_t differ = 0, tables = 0;
    for (size_t k = 0; k < nd; k++) {
        gs_dist_prep p;
        dist_prepare(&d[k], &p);
        int beta = d[k].family == DIST_BETA || d[k].family == DIST_PERT;
        if (k + 1 < nd) assert_int_equal(p.beta, beta);
        else assert_int_equal(p.beta, 0);
        tables += p.ab[0].tree != NULL && p.ab[1].tree != NULL;
        for (int i = 0; i < 40000; i++) {
            double u = ((double)(rng_pcg32_next64(&g) >> 11) + 0.5) * 0x1.0p-53;
            switch (i % 8) {
            case 1: u = ldexp(u, -(i % 61)); break;      /* lower tail */
            case 2: u = 1 - ldexp(u, -(i % 53)); break;  /* upper tail */
            case 3: u = 0.5 + (u - 0.5) * 1e-6; break;   /* around P = 0.5 */
            case 4: u = 0.1 + (u - 0.5) * 1e-3; break;   /* around P = 0.1 */
            case 5: u = i % 16 == 5 ? 0.0 : 1.0; break;
            default: break;
            }
            double want = dist_quantile(&d[k], u), got = dist_quantile_prepared(&p, u);
            if (memcmp(&want, &got, sizeof got) != 0 && differ++ < 5)
                print_message("dist %zu u %.17g: dist_quantile %.17g, prepared %.17g\n", k, u,
                              want, got);
        }
        dist_prep_free(&p);
    }
    assert_int_equal(differ, 0);
    assert_int_equal(tables, 9); /* every beta and PERT above used its bisection table */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),     cmocka_unit_test(test_lognormal),
        cmocka_unit_test(test_uniform),    cmocka_unit_test(test_beta),
        cmocka_unit_test(test_triangular), cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_interval),   cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_beta_interval),
        cmocka_unit_test(test_pert),       cmocka_unit_test(test_loguniform),
        cmocka_unit_test(test_discrete),   cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_prepared_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
