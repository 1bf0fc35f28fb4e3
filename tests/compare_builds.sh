#!/usr/bin/env bash
# compare_builds.sh BEFORE_DIR AFTER_DIR - the same runs with two builds of gapsim give
# the same files bit for bit: data (h5diff) and every root attribute except the
# provenance ones that name the time, the command line and the build (history,
# created, source, threads, isa).  Each DIR is a repository checkout built with `make` (and
# `make MPI=1` for the MPI case, skipped without build-mpi/gapsim).  Not part of
# `make test` (it needs a second build); a refactoring that must not change results is
# checked with it, e.g.
#     git archive main | tar -x -C /tmp/before && make -C /tmp/before -j2
#     bash tests/compare_builds.sh /tmp/before .
# Prints "ok N - ..." / "not ok N - ..." lines; exits 1 if any case differs.
set -u
B=$(cd "$1" && pwd) A=$(cd "$2" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_rmaps_base_oversubscribe=1
cd "$A"
cat >"$T/lhs.yaml" <<'YAML'
model: 2
name: lhs
run: {trajectories: 700}
sweep:
  design: lhs
  points: 7
  ranges: {capability.catch_up: [0.2, 0.8], hardware.vol: [0.1, 0.4]}
  crn: false
YAML
cat >"$T/sens.yaml" <<'YAML'
model: 2
name: sens
run: {trajectories: 3000, antithetic: true}
capability:
  catch_up: {dist: beta, a: 6, b: 4}
  catch_up_sd: {p5: 0.08, p95: 0.25}
training:
  reinvest: {dist: uniform, min: 0.2, max: 0.6}
uncertainty:
  correlations: [[capability.catch_up, training.reinvest, 0.4]]
sensitivity: {samples: 64, bootstrap: 50, per_cycle: true, trajectories: 1500}
YAML
fail=0 n=0
attrs_equal() { # root attributes other than the provenance ones
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
skip = {"history", "created", "source", "threads", "isa"}
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ka, kb = set(a.attrs) - skip, set(b.attrs) - skip
if ka != kb: sys.exit(f"attributes differ: {sorted(ka ^ kb)}")
for k in sorted(ka):
    x, y = a.attrs[k], b.attrs[k]
    if not np.array_equal(np.asarray(x), np.asarray(y)): sys.exit(f"attribute {k}: {x!r} != {y!r}")
    if np.asarray(x).dtype != np.asarray(y).dtype:
        sys.exit(f"attribute {k}: type {np.asarray(x).dtype} != {np.asarray(y).dtype}")
PY
}
same() { # NAME ARGS...: run both builds with ARGS -o FILE and compare
    local name=$1 bin_b=$2 bin_a=$3
    shift 3
    n=$((n + 1))
    if "$bin_b" "$@" -q -o "$T/b.h5" >"$T/b.log" 2>&1 && "$bin_a" "$@" -q -o "$T/a.h5" >"$T/a.log" 2>&1 &&
        h5diff --exclude-attribute / "$T/b.h5" "$T/a.h5" >"$T/d.log" 2>&1 && attrs_equal "$T/b.h5" "$T/a.h5" >>"$T/d.log" 2>&1; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"; tail -n 5 "$T/b.log" "$T/a.log" "$T/d.log" | sed 's/^/    # /'; fail=1
    fi
}
same "baseline" "$B/build/gapsim" "$A/build/gapsim" run scenarios/baseline_point.yaml -n 20000 --seed 5
same "baseline with paths, 1 thread" "$B/build/gapsim" "$A/build/gapsim" run scenarios/baseline_point.yaml -n 3000 --paths 100 -t 1
same "target-se batches" "$B/build/gapsim" "$A/build/gapsim" run scenarios/baseline_point.yaml -n 2000 --target-se 0.01 --max-trajectories 20000
same "grid sweep" "$B/build/gapsim" "$A/build/gapsim" run scenarios/phase_sweep.yaml -n 600
same "grid sweep --no-crn" "$B/build/gapsim" "$A/build/gapsim" run scenarios/phase_sweep.yaml -n 300 --no-crn --seed 11
same "lhs sweep" "$B/build/gapsim" "$A/build/gapsim" run "$T/lhs.yaml"
same "uncertain with sensitivity (scenarios/uncertain.yaml)" "$B/build/gapsim" "$A/build/gapsim" run scenarios/uncertain.yaml -n 4000
same "uncertain, antithetic, correlations, Sobol per cycle" "$B/build/gapsim" "$A/build/gapsim" run "$T/sens.yaml"
n=$((n + 1))
shard_merge() {
    local bin=$1 out=$2 i
    for i in 0 1 2; do "$bin" run scenarios/phase_sweep.yaml -n 1100 --shard $i/3 -q -o "$T/p$i.h5" || return 1; done
    "$bin" merge -q -o "$out" "$T/p2.h5" "$T/p0.h5" "$T/p1.h5"
}
if shard_merge "$B/build/gapsim" "$T/mb.h5" && shard_merge "$A/build/gapsim" "$T/ma.h5" &&
    h5diff --exclude-attribute / "$T/mb.h5" "$T/ma.h5" && attrs_equal "$T/mb.h5" "$T/ma.h5"; then
    echo "ok $n - 3 shards of a sweep merged"
else
    echo "not ok $n - 3 shards of a sweep merged"; fail=1
fi
if [ -x "$B/build-mpi/gapsim" ] && [ -x "$A/build-mpi/gapsim" ]; then
    mpi() { timeout 300 mpirun -np 2 "$@"; }
    for c in "scenarios/baseline_point.yaml -n 9000 --paths 2000" "scenarios/uncertain.yaml -n 3000" "scenarios/phase_sweep.yaml -n 1100"; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        if mpi "$B/build-mpi/gapsim" run $c -q -o "$T/mpb.h5" >/dev/null 2>&1 && mpi "$A/build-mpi/gapsim" run $c -q -o "$T/mpa.h5" >/dev/null 2>&1 &&
            h5diff --exclude-attribute / "$T/mpb.h5" "$T/mpa.h5" && attrs_equal "$T/mpb.h5" "$T/mpa.h5"; then
            echo "ok $n - MPI, 2 ranks: $c"
        else
            echo "not ok $n - MPI, 2 ranks: $c"; fail=1
        fi
    done
else
    echo "ok $((n + 1)) - MPI # SKIP no build-mpi/gapsim in both"
fi
exit $fail
