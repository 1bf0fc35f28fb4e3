#!/usr/bin/env bash
# long/reference.sh (make test-long) - the C engine against the NumPy reference of
# MODEL.md at high N: the baseline and a contrasting scenario (chip_crunch: frequent
# large supply shocks) at 10^5 and at 10^6 trajectories (GAPSIM_LONG_N), and at 10^6 a
# reference whose hardware volatility is only 3% off is rejected (at 10^5, make test's
# check needs 10%).  Limits and statistics: tests/reference_agreement.py.
# Prints "ok N - name" / "not ok N - name" per check.  Run from the repository root.
. tests/lib_e2e.sh
CHECK_VERBOSE=1
N=${GAPSIM_LONG_N:-1000000}

rejects() { # rejects COMMAND...: the comparison ran and found the quantiles apart
    local out
    out=$("$@" 2>&1)
    local rc=$?
    echo "$out"
    [ "$rc" -eq 1 ] && echo "$out" | grep -q '^not ok - .*per-cycle quantiles'
}

for size in 100000 "$N"; do
    for sc in baseline chip_crunch; do
        "$GAPSIM" run "scenarios/$sc.yaml" -n "$size" --seed 7 -q -o "$TMP/$sc-$size.h5"
        check "$sc, $size trajectories: C engine and NumPy reference agree" \
            "$PY" tests/reference_agreement.py "$TMP/$sc-$size.h5" 1
    done
done
check "baseline, $N trajectories: a reference with hardware.vol x 1.03 is rejected" \
    rejects "$PY" tests/reference_agreement.py "$TMP/baseline-$N.h5" 1 --perturb=hardware.vol=1.03
