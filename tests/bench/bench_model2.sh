#!/usr/bin/env bash
# bench_model2.sh - model version 2 against version 1, and uncertain against point-valued
# parameters (make bench).  Prints figures; asserts nothing.
#
#  1. v2 / v1: builds the last commit before model version 2 (the merge base with main,
#     or V1_REV) from `git archive` into a temporary directory with the same build
#     settings, and times both baselines at N trajectories x 20 cycles (v1 with
#     --set run.cycles=20), 1 thread, best of 3: model time and whole run per
#     trajectory-cycle.
#  2. uncertain / point: scenarios/uncertain.yaml without its sensitivity section (63
#     uncertain parameters, LHS) and tests/bench/few_uncertain.yaml (3) against
#     scenarios/baseline_point.yaml, same N, 1 thread (wall-clock model time, and the
#     whole run: the Wrote line's total, the parameter draws included), and the
#     model alone in CPU time (bench_columns, the same three kinds of run, at 1024 and at
#     65536 trajectories: in cache and from memory).
# Environment: BUILD (default build), N (default 1000000), V1_REV.
set -eu
BUILD=${BUILD:-build}
N=${N:-1000000}
GAPSIM=$BUILD/gapsim
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
V1_REV=${V1_REV:-$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD~1)}
while ! git show "$V1_REV:sim/params.def" 2>/dev/null | grep -q '"run.cycles", "K", "1", 16'; do
    V1_REV=$(git rev-parse "$V1_REV~1")   # walk back to a version 1 commit
done
mkdir "$TMP/v1"
git archive "$V1_REV" | tar -x -C "$TMP/v1"
make -s -C "$TMP/v1" BUILD=build build/gapsim >"$TMP/v1.log" 2>&1 || { echo "cannot build $V1_REV"; cat "$TMP/v1.log"; exit 1; }

# run BIN SCENARIO [EXTRA...] -> "wall model" (seconds) of the best of 3
best() {
    local best_w="" best_m=""
    for _ in 1 2 3; do
        "$@" -n "$N" -t 1 -o "$TMP/b.h5" >"$TMP/out" 2>/dev/null
        local line w m
        line=$(grep '^Wrote' "$TMP/out")
        w=$(echo "$line" | sed -E 's/.*\(([0-9.]+)s: .*/\1/')
        m=$(echo "$line" | sed -E 's/.*model ([0-9.]+) ?s.*/\1/')
        if [ -z "$best_m" ] || awk -v a="$m" -v b="$best_m" 'BEGIN{exit !(a<b)}'; then best_w=$w best_m=$m; fi
    done
    echo "$best_w $best_m"
}
tc=$((N * 21))
V1_SCEN=$TMP/v1/scenarios/baseline_point.yaml   # version 1 named its point baseline baseline.yaml
[ -f "$V1_SCEN" ] || V1_SCEN=$TMP/v1/scenarios/baseline.yaml
read -r w1 m1 <<<"$(best "$TMP/v1/build/gapsim" run "$V1_SCEN" --set run.cycles=20)"
read -r w2 m2 <<<"$(best "$GAPSIM" run scenarios/baseline_point.yaml)"
sed '/^sensitivity:/,$d' scenarios/uncertain.yaml >"$TMP/uncertain.yaml"
read -r wu mu <<<"$(best "$GAPSIM" run "$TMP/uncertain.yaml")"
read -r wf mf <<<"$(best "$GAPSIM" run tests/bench/few_uncertain.yaml)"
echo "model version 2 vs version 1 ($V1_REV), $N trajectories x 20 cycles, 1 thread, best of 3"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine distorts the figures)"
awk -v tc="$tc" -v w1="$w1" -v m1="$m1" -v w2="$w2" -v m2="$m2" -v wu="$wu" -v mu="$mu" \
    -v wf="$wf" -v mf="$mf" 'BEGIN {
    printf "  %-28s %12s %12s\n", "", "model ns/tc", "whole ns/tc"
    printf "  %-28s %12.1f %12.1f\n", "v1 baseline", 1e9 * m1 / tc, 1e9 * w1 / tc
    printf "  %-28s %12.1f %12.1f\n", "v2 baseline", 1e9 * m2 / tc, 1e9 * w2 / tc
    printf "  %-28s %12.1f %12.1f\n", "v2 uncertain (63 params)", 1e9 * mu / tc, 1e9 * wu / tc
    printf "  %-28s %12.1f %12.1f\n", "v2 few_uncertain (3 params)", 1e9 * mf / tc, 1e9 * wf / tc
    printf "  v2 / v1:          model %.2fx, whole run %.2fx (target 1.4x)\n", m2 / m1, w2 / w1
    printf "  uncertain / point: model %.2fx, whole run %.2fx (target 1.3x)\n", mu / m2, wu / w2
    printf "  few_uncertain / point: model %.2fx, whole run %.2fx\n", mf / m2, wf / w2
}'
# The model alone in CPU time (tests/bench/bench_columns.c): the same trajectories
# point-valued and with their own constants per trajectory, 20 cycles, in the engine's
# blocks of 1024: every non-integer parameter scaled by up to ±2.5%, only
# uncertain.yaml's (scaled, and drawn from their priors as a run draws them), only
# few_uncertain.yaml's 3.  At 1024 trajectories (one block) everything stays in the
# caches from cycle to cycle: the arithmetic alone.  At 65536 (64 blocks) the state, the
# records and the columns come from memory every cycle, as in a run.
if [ -x "$BUILD/bench_columns" ]; then
    for n in 1024 65536; do
        for s in "" scenarios/uncertain.yaml "scenarios/uncertain.yaml draws" tests/bench/few_uncertain.yaml; do
            "$BUILD/bench_columns" $n 20 $s | awk -v n=$n -v s="${s:-every parameter}" '{printf "  model alone, CPU time (bench_columns %s 20, %s): point %s ns/tc, columns %s ns/tc, %sx (target 1.3x)\n", n, s, $2, $3, $4}'
        done
    done
fi
