#!/usr/bin/env bash
# bench.sh - performance figures of gapsim (make bench).  Prints figures; asserts nothing.
#   baseline, 10^6 trajectories x 16 cycles, statistics and HDF5 output included:
#   wall time (best of 3), trajectory-cycles per second, peak memory, time split, and
#   thread scaling 1 -> all cores.
set -eu
BUILD=${BUILD:-build}
GAPSIM=$BUILD/gapsim
N=${N:-1000000}
CORES=$(nproc)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "gapsim bench: $(uname -m), $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "scenario: scenarios/baseline.yaml, $N trajectories x 16 cycles (17 records), 22 variables"
echo

one_run() { # one_run THREADS -> "wall model stats output peak_kB"
    local threads=$1
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$GAPSIM" run scenarios/baseline.yaml -n "$N" \
        --threads "$threads" -o "$TMP/bench.h5" >"$TMP/out"
    local line
    line=$(grep '^Wrote' "$TMP/out")
    # Wrote FILE (T s: model M s, statistics S s, output O s)
    local total model stats output
    total=$(echo "$line" | sed -E 's/.*\(([0-9.]+)s:.*/\1/')
    model=$(echo "$line" | sed -E 's/.*model ([0-9.]+)s.*/\1/')
    stats=$(echo "$line" | sed -E 's/.*statistics ([0-9.]+)s.*/\1/')
    output=$(echo "$line" | sed -E 's/.*output ([0-9.]+)s.*/\1/')
    read -r wall peak <"$TMP/time"
    echo "$wall $model $stats $output $peak"
}

best_of_3() {
    local threads=$1 best=""
    for _ in 1 2 3; do
        local r
        r=$(one_run "$threads")
        if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$r; fi
    done
    echo "$best"
}

read -r wall model stats output peak <<<"$(best_of_3 "$CORES")"
read -r wall1 _ _ _ _ <<<"$(best_of_3 1)"
rng=$("$BUILD/bench_rng" "$N" 16 "$CORES" | cut -d' ' -f1)
awk -v n="$N" -v wall="$wall" -v model="$model" -v stats="$stats" -v output="$output" \
    -v peak="$peak" -v wall1="$wall1" -v rng="$rng" -v cores="$CORES" 'BEGIN {
    tc = n * 17
    printf "wall time (best of 3, %d threads)   %8.3f s   (target: <= 2 s)\n", cores, wall
    printf "trajectory-cycles per second        %8.3g      (%.3g per core)\n", tc / wall, tc / wall / cores
    printf "peak memory (max RSS)               %8.1f MB\n", peak / 1024
    printf "time split: random numbers ~%.2f s, model %.2f s, statistics %.2f s, output %.2f s, other %.2f s\n",
        rng, model - rng, stats, output, wall - model - stats - output
    printf "            shares: rng %.0f%%, model %.0f%%, statistics %.0f%%, output %.0f%%\n",
        100 * rng / wall, 100 * (model - rng) / wall, 100 * stats / wall, 100 * output / wall
    printf "thread scaling: 1 thread %.3f s, %d threads %.3f s, speed-up %.2fx\n", wall1, cores, wall, wall1 / wall
    }'
echo "(random-number time is measured separately by $BUILD/bench_rng with the same draws)"
