#!/usr/bin/env bash
# e2e_reference.sh - the C engine agrees with the NumPy reference of MODEL.md
# (analysis/reference_model.py) within Monte Carlo error on the baseline at 10^5
# trajectories, and the comparison is sharp enough to reject a reference whose hardware
# volatility is 10% off.  The contrasting scenario (chip_crunch) and 10^6 trajectories
# are in the long tier (tests/long/reference.sh, make test-long).  The statistics and limits are in tests/reference_agreement.py.
# Prints "ok N - name" / "not ok N - name" per check.  Run from the repository root.
. tests/lib_e2e.sh
CHECK_VERBOSE=1   # show the agreement figures of passing checks too

rejects() { # rejects COMMAND...: the comparison ran and found the quantiles apart
    local out
    out=$("$@" 2>&1)
    local rc=$?
    echo "$out"
    [ "$rc" -eq 1 ] && echo "$out" | grep -q '^not ok - .*per-cycle quantiles'
}

for sc in baseline; do
    "$GAPSIM" run "scenarios/$sc.yaml" -n 100000 --seed 7 -o "$TMP/$sc.h5" >/dev/null 2>&1
    check "$sc: C engine and NumPy reference agree (means, quantiles, outcomes)" \
        "$PY" tests/reference_agreement.py "$TMP/$sc.h5" 1
done
check "baseline: a reference with hardware.vol x 1.1 is rejected" \
    rejects "$PY" tests/reference_agreement.py "$TMP/baseline.h5" 1 --perturb=hardware.vol=1.1
