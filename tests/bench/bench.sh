#!/usr/bin/env bash
# bench.sh - performance figures of gapsim (make bench).  Prints figures; asserts nothing.
#
# For the model version 2 baseline (scenarios/baseline_point.yaml: 20 cycles = 21 records per
# trajectory, 28 variables, the scenario's quantiles, HDF5 output) at 10^5, 10^6 and 10^7
# trajectories: wall time (best of 3; 1 run at 10^7) with all cores and with 1 thread,
# trajectory-cycles per second per core, peak memory (max RSS, /usr/bin/time) against
# the memory the run needs, the time split (random numbers / rest of the model /
# statistics / output), 1 -> 2 thread scaling, the NumPy reference
# (analysis/reference_model.py, the same scenario and parameters) timed in the same run
# at REF_N trajectories and scaled per trajectory-cycle, and the multiple of the floor
# (tests/bench/bench_floor.c in its version 2 mode: the random numbers and exp/log the
# model needs, nothing else, as a simd loop, built -march=native, and on the project's
# run-time vector kernels; the best of the three); the instruction set the kernels ran on (GAPSIM_ISA
# forces one); then a run with --paths 10^5 (output throughput), and the same 10^6 run
# built with -march=native (make NATIVE=1, into $BUILD-native).
# Before the table: the block draws of sim/rng_block.c (tests/bench/bench_rng_block.c)
# on each instruction set this CPU runs against the scalar loop, and the exact quantiles
# of one variable by shape of its distribution (tests/bench/bench_stats.c).
# Environment: BUILD (default build), SIZES (default "100000 1000000 10000000"),
# NATIVE=0 to skip the native build, REF_N (trajectories of the NumPy reference run,
# default 100000).
set -eu
BUILD=${BUILD:-build}
PY=${PY:-/usr/bin/python3}
SIZES=${SIZES:-"100000 1000000 10000000"}
REF_N=${REF_N:-100000}
NATIVE=${NATIVE:-1}
GAPSIM=$BUILD/gapsim
CORES=$(nproc)
CYCLES=21 # records per trajectory: cycles 0..20 (run.cycles = 20)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "gapsim bench: $(uname -m), $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
    "$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(cc --version | head -n 1)"
echo "default build: $(grep -m1 '^OPT ' Makefile | sed 's/  */ /g'), x86-64 baseline (SSE2); native: make NATIVE=1"
echo "scenario: scenarios/baseline_point.yaml (model version 2), 20 cycles (21 records), 28 variables"
echo "instruction set of the kernels: $("$BUILD/bench_rng" 1024 1 1 | cut -d' ' -f2) (GAPSIM_ISA=${GAPSIM_ISA:-unset: the widest this CPU runs})"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine distorts the figures)"
echo

# one_run BIN N THREADS [EXTRA...] -> "wall model stats output peak_kB cpu_s"
one_run() {
    local bin=$1 n=$2 threads=$3
    shift 3
    /usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$bin" run scenarios/baseline_point.yaml -n "$n" \
        --threads "$threads" -o "$TMP/bench.h5" "$@" >"$TMP/out"
    local line
    line=$(grep '^Wrote' "$TMP/out")
    # Wrote FILE (T s: model M s, statistics S s, output O s)
    local model stats output
    model=$(echo "$line" | sed -E 's/.*model ([0-9.]+) ?s.*/\1/')
    stats=$(echo "$line" | sed -E 's/.*statistics ([0-9.]+) ?s.*/\1/')
    output=$(echo "$line" | sed -E 's/.*output ([0-9.]+) ?s.*/\1/')
    read -r wall peak user sys <"$TMP/time"
    echo "$wall $model $stats $output $peak $(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')"
}

best_of() { # best_of K BIN N THREADS [EXTRA...]: the run with the smallest wall time
    local k=$1 best=""
    shift
    for _ in $(seq "$k"); do
        local r
        r=$(one_run "$@")
        if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$r; fi
    done
    echo "$best"
}

floor_ns=$("$BUILD/bench_floor" 1000000 "$CYCLES" 1 2 | awk '{print $2}')
echo "floor (7 normals + 4 event outputs + 10 exp + 3 log per trajectory-cycle, 1 thread): $floor_ns ns per trajectory-cycle"
# The same work on the project's run-time vector kernels (rng_block_draw, vmath_array),
# best of 3: the best vectorised form on this machine, and the floor the ratios use.
kern_floor="" kern_isa=""
for _ in 1 2 3; do
    read -r _ f _ _ isa <<<"$("$BUILD/bench_floor" 1000000 "$CYCLES" 1 kernels)"
    if [ -z "$kern_floor" ] || awk -v a="$f" -v b="$kern_floor" 'BEGIN{exit !(a<b)}'; then kern_floor=$f kern_isa=$isa; fi
done
echo "floor on the vector kernels ($kern_isa: rng_block_draw + vmath_array, 1 thread, best of 3): $kern_floor ns per trajectory-cycle"
native_floor=""
if [ "$NATIVE" != 0 ] && make -s NATIVE=1 BUILD="$BUILD-native" "$BUILD-native/gapsim" "$BUILD-native/bench_floor" >"$TMP/native.log" 2>&1; then
    native_floor=$("$BUILD-native/bench_floor" 1000000 "$CYCLES" 1 2 | awk '{print $2}')
    echo "floor, -march=native build (vectorised lanes):                          $native_floor ns per trajectory-cycle"
fi
echo
"$BUILD/bench_rng_block" 1000000 20 1 NNNNNNWWNWW 128
best_floor=$(awk -v a="$floor_ns" -v b="${native_floor:-$floor_ns}" -v c="$kern_floor" \
    'BEGIN{m = (b < a ? b : a); print (c < m ? c : m)}')
echo "best floor (the x floor columns divide by it): $best_floor ns per trajectory-cycle"
echo
# The exact quantiles of one variable at 10^6 values, by shape (tests/bench/bench_stats.c):
# the statistics column below is about 28 variables x 21 cycles of this.
if [ -x "$BUILD/bench_stats" ]; then
    echo "exact quantiles (stats_quantiles_finite, 10^6 values, 9 levels, 1 thread, CPU time, best of 3):"
    "$BUILD/bench_stats" 1000000 10 | sed 's/^stats /  /'
    echo
fi

ref_s=$(/usr/bin/time -f '%U %S' -o "$TMP/ref_time" "$PY" analysis/reference_model.py \
    scenarios/baseline_point.yaml -n "$REF_N" --quiet | sed -E 's/.* in ([0-9.]+) s.*/\1/')
ref_cpu=$(awk '{print $1 + $2}' "$TMP/ref_time")
ref_ns=$(awk -v t="$ref_s" -v n="$REF_N" -v c="$CYCLES" 'BEGIN{printf "%.1f", t / (n * c) * 1e9}')
ref_cpu_ns=$(awk -v t="$ref_cpu" -v n="$REF_N" -v c="$CYCLES" 'BEGIN{printf "%.1f", t / (n * c) * 1e9}')
echo "NumPy reference: $REF_N trajectories in $ref_s s wall, $ref_cpu s CPU = $ref_ns ns wall, $ref_cpu_ns ns CPU per trajectory-cycle (scaled per trajectory-cycle below)"
awk -v r="$ref_cpu_ns" -v f="$best_floor" 'BEGIN {
    printf "the most x numpy(CPU) any code doing this work can reach here: NumPy CPU %.1f ns / floor %.1f ns = %.1fx (target 50x needs %.1f ns per trajectory-cycle)\n", r, f, r / f, r / 50 }'
printf '%-9s %8s %8s %9s %9s %8s %8s %8s %8s %8s %7s %7s %9s %7s\n' \
    trajectories "wall(s)" "1thr(s)" "scaling" "Mtc/s/core" "rng(s)" "model(s)" "stats(s)" "out(s)" "peakMB" "/need" "numpy(s)" "x numpy" "x floor"
for n in $SIZES; do
    reps=3
    [ "$n" -ge 10000000 ] && reps=1
    read -r wall model stats output peak cpu <<<"$(best_of $reps "$GAPSIM" "$n" "$CORES")"
    read -r wall1 _ _ _ _ cpu1 <<<"$(best_of $reps "$GAPSIM" "$n" 1)"
    rng=$("$BUILD/bench_rng" "$n" $((CYCLES - 1)) "$CORES" | cut -d' ' -f1)
    # memory the run needs: state (16 doubles) + generator (16 bytes) + record buffer (28
    # doubles) + outcome metrics (2 x 6 doubles) per trajectory, and per thread a quantile
    # workspace of 10 bytes per trajectory + 512 KiB
    need=$(awk -v n="$n" -v t="$CORES" 'BEGIN{print (n * ((16 + 28 + 12) * 8 + 16) + t * (10 * n + 524288)) / 1e6}')
    awk -v n="$n" -v wall="$wall" -v wall1="$wall1" -v model="$model" -v stats="$stats" \
        -v output="$output" -v peak="$peak" -v rng="$rng" -v ref_ns="$ref_ns" -v cores="$CORES" \
        -v need="$need" -v floor="$best_floor" -v cyc="$CYCLES" -v cpu="$cpu" -v cpu1="$cpu1" \
        -v ref_cpu_ns="$ref_cpu_ns" 'BEGIN {
        tc = n * cyc
        per_core = tc / wall / cores / 1e6
        # NumPy time per trajectory-cycle (1 core) over gapsim wall per trajectory-cycle
        # per core (all cores)
        xnp = ref_ns / (wall * cores / tc * 1e9)
        # engine time per trajectory-cycle per core (1-thread run) over the floor
        xfl = wall1 / tc * 1e9 / floor
        printf "%-12d %8.3f %8.3f %8.2fx %9.2f %8.3f %8.3f %8.3f %8.3f %8.0f %7.2f %8.1f %7.0f %7.1f\n",
            n, wall, wall1, wall1 / wall, per_core, rng, model - rng, stats, output, peak / 1024,
            peak / 1024 / need, ref_ns * tc / 1e9, xnp, xfl
        # the same from CPU seconds (user + system), which a loaded machine distorts less
        printf "%-12s %8s %8s %8.2fx %9.2f   CPU: %.1f ns/tc (1 thread %.1f), x numpy(CPU) %.1f, x floor(CPU) %.1f\n",
            "  (cpu)", "", "", cpu1 / cpu * cores, tc / cpu / 1e6, cpu / tc * 1e9, cpu1 / tc * 1e9,
            ref_cpu_ns / (cpu / tc * 1e9), cpu1 / tc * 1e9 / floor
    }'
done
cat <<'EOF'
  wall = whole process (best of 3, all cores), 1thr = the same with --threads 1, scaling =
  1thr/wall; Mtc/s/core = million trajectory-cycles per second per core; rng = the random
  numbers alone (bench_rng, same draws, all cores), model = model time minus rng;
  peakMB/need = max RSS over the memory of state + statistics buffers; numpy = the NumPy
  reference's time scaled from REF_N to n trajectories (per trajectory-cycle, 1 core),
  x numpy = NumPy time per trajectory-cycle / gapsim core time per trajectory-cycle;
  x floor = 1-thread time per trajectory-cycle / best floor.  The (cpu) line under each
  row gives the same from user + system CPU seconds (/usr/bin/time): scaling = the speedup
  the CPU seconds imply with every core free (cores × 1-thread CPU / all-cores CPU), Mtc
  per CPU-second, and the
  ratios to the NumPy reference's CPU time and to the floor.
EOF
echo

# Output throughput: full paths of 10^5 trajectories (float32, compressed).
read -r wall _ _ output _ <<<"$(best_of 3 "$GAPSIM" 100000 "$CORES" --paths 100000)"
size=$(stat -c %s "$TMP/bench.h5")
awk -v s="$size" -v o="$output" -v w="$wall" 'BEGIN {
    printf "--paths 100000 (10^5 trajectories): file %.1f MB, output %.3f s, %.0f MB/s, wall %.3f s\n",
        s / 1e6, o, (o > 0 ? s / 1e6 / o : 0), w }'

if [ -n "$native_floor" ]; then
    read -r wall model stats output peak <<<"$(best_of 3 "$BUILD-native/gapsim" 1000000 "$CORES")"
    awk -v w="$wall" -v m="$model" -v s="$stats" -v o="$output" 'BEGIN {
        printf "-march=native build, 10^6 trajectories: wall %.3f s (model %.3f s, statistics %.3f s, output %.3f s)\n", w, m, s, o }'
fi
