/* testutil.h - shared helpers for the cmocka tests. */
#ifndef GAPSIM_TESTUTIL_H
#define GAPSIM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* |got - want| <= k standard errors, with a message that states the tolerance. */
#define assert_within_se(got, want, se, k)                                        \
    do {                                                                         \
        double got_ = (got), want_ = (want), se_ = (se), k_ = (k);               \
        if (!(fabs(got_ - want_) <= k_ * se_))                                   \
            fail_msg("%s = %.10g, expected %.10g within %.1f SE (SE = %.3g, off by %.2f SE)", \
                     #got, got_, want_, k_, se_, fabs(got_ - want_) / se_);      \
    } while (0)

/* |got - want| <= rel * |want| (deterministic results; rel states the precision). */
#define assert_close_rel(got, want, rel)                                          \
    do {                                                                         \
        double got_ = (got), want_ = (want), rel_ = (rel);                       \
        if (!(fabs(got_ - want_) <= rel_ * fabs(want_)))                         \
            fail_msg("%s = %.15g, expected %.15g to relative %.1e", #got, got_, want_, rel_); \
    } while (0)

#endif
