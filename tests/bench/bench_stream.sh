#!/usr/bin/env bash
# bench_stream.sh - streaming mode at scale (issue 14): scenarios/baseline_point.yaml with
# N trajectories (default 10^8) x 20 cycles under --memory LIMIT (default 4G), printing
# the wall time, the passes and batches (the file's quantile_method) and the peak resident
# memory (/usr/bin/time -v).  Prints figures; asserts nothing.  Many minutes at 10^8
# (`make bench-stream`; `make bench` runs it only with BENCH_STREAM=1).
#   N=10000000 MEMORY=512M bash tests/bench/bench_stream.sh
set -u
BUILD=${BUILD:-build}
N=${N:-100000000}
MEMORY=${MEMORY:-4G}
THREADS=${THREADS:-$(nproc)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "bench-stream: baseline_point, $N trajectories x 20 cycles, --memory $MEMORY, $THREADS threads," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/gapsim" run scenarios/baseline_point.yaml -n "$N" --memory "$MEMORY" --dry-run | sed 's/^/  /'
/usr/bin/time -v "$BUILD/gapsim" run scenarios/baseline_point.yaml -n "$N" --memory "$MEMORY" \
    -t "$THREADS" -o "$TMP/stream.h5" >"$TMP/out" 2>"$TMP/time" || {
    echo "bench-stream: the run failed"
    tail -5 "$TMP/time"
    exit 1
}
grep -E "^Wrote|^Quantiles" "$TMP/out" | sed 's/^/  /'
wall=$(grep "Elapsed (wall clock)" "$TMP/time" | sed 's/.*: //')
rss=$(grep "Maximum resident set size" "$TMP/time" | sed 's/.*: //')
echo "  wall $wall, peak RSS $((rss / 1024)) MB ($(awk -v r="$rss" 'BEGIN { printf "%.2f", r / 1048576 }') GiB)"
