#!/usr/bin/env bash
# e2e_reference.sh - the C engine agrees with the NumPy reference of the version 2 model
# (analysis/reference_model.py, docs/model.md) within Monte Carlo error, on the baseline,
# the governance crackdown and the consolidation scenario, at 10^5 trajectories each;
# and the comparison is sharp enough to reject a reference whose open readiness rate or
# funding elasticity is 10% off (baseline) or whose lab exit rate is 10% off
# (consolidation: at the baseline, profit cover rarely falls below the required cover,
# so exits are too rare to detect).  The statistics and limits are in
# tests/reference_agreement.py.  Prints "ok N - name" / "not ok N - name" per check.
# Run from the repository root.
. tests/lib_e2e.sh
CHECK_VERBOSE=1   # show the agreement figures of passing checks too

rejects() { # rejects COMMAND...: the comparison ran and found the quantiles apart
    local out
    out=$("$@" 2>&1)
    local rc=$?
    echo "$out"
    [ "$rc" -eq 1 ] && echo "$out" | grep -q '^not ok - .*per-cycle quantiles'
}

for sc in baseline_point governance_crackdown consolidation; do
    "$GAPSIM" run "scenarios/$sc.yaml" -n 100000 --seed 7 -o "$TMP/$sc.h5" >/dev/null 2>&1
    check "$sc: C engine and NumPy reference agree (means, quantiles, outcomes)" \
        "$PY" tests/reference_agreement.py "$TMP/$sc.h5" 1
done
check "baseline: a reference with demand.readiness_rate x 1.1 is rejected" \
    rejects "$PY" tests/reference_agreement.py "$TMP/baseline_point.h5" 1 --perturb=demand.readiness_rate=1.1
check "baseline: a reference with training.funding_elasticity x 1.1 is rejected" \
    rejects "$PY" tests/reference_agreement.py "$TMP/baseline_point.h5" 1 --perturb=training.funding_elasticity=1.1
check "consolidation: a reference with labs.exit_rate x 1.1 is rejected" \
    rejects "$PY" tests/reference_agreement.py "$TMP/consolidation.h5" 1 --perturb=labs.exit_rate=1.1
