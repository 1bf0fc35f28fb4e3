#!/usr/bin/env bash
# bench_sweep.sh - performance of sweeps and of the Sobol-index analysis (make
# bench-sweep; part of make bench).  Prints figures; asserts nothing.
#   1. a 100-point grid sweep (10 x 10 over capability.catch_up and training.reinvest)
#      of POINT_N (default 100,000) trajectories each, full statistics and HDF5 output:
#      wall time and point-runs per minute (target: well under a minute in all);
#   2. scenarios/uncertain.yaml with its tornado and Sobol indices (SOBOL_N base samples,
#      default 4096: 4096 x 10 trajectories for the indices, plus 17 tornado runs).
set -eu
BUILD=${BUILD:-build}
case $BUILD in /*) GAPSIM=$BUILD/gapsim ;; *) GAPSIM=$PWD/$BUILD/gapsim ;; esac
POINT_N=${POINT_N:-100000}
SOBOL_N=${SOBOL_N:-4096}
CORES=$(nproc)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/sweep100.yaml" <<Y
name: sweep100
run: {trajectories: $POINT_N}
sweep:
  grid:
    capability.catch_up: [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
    training.reinvest: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
Y
sed "s/samples: [0-9]*/samples: $SOBOL_N/" scenarios/uncertain.yaml >"$TMP/sobol.yaml"

echo "gapsim sweep bench: $CORES cores"
start=$(date +%s.%N)
"$GAPSIM" run "$TMP/sweep100.yaml" -q -o "$TMP/sweep100.h5"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$POINT_N" 'BEGIN {
    t = e - s
    printf "100-point sweep x %d trajectories   %8.2f s   %.0f point-runs per minute   %.3g trajectory-cycles/s\n",
        n, t, 100 * 60 / t, 100 * n * 17 / t
    }'
start=$(date +%s.%N)
"$GAPSIM" run "$TMP/sobol.yaml" -q -o "$TMP/sobol.h5"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$SOBOL_N" 'BEGIN {
    printf "Sobol indices (uncertain.yaml, %d x 10 trajectories, 200 bootstrap) + tornado (17 x 20000) + main run (20000): %.2f s\n",
        n, e - s
    }'
