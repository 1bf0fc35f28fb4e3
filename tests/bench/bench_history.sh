#!/usr/bin/env bash
# bench_history.sh - the history-matched baseline against the same run without history
# (make bench).  Prints figures; asserts nothing.
#
# scenarios/baseline.yaml (63 priors, the 16 targets) at N drawn trajectories, and the
# same with --no-history (every drawn trajectory runs all 21 cycles with statistics),
# T threads, best of R: wall time, acceptance rate, and the cost per drawn trajectory of
# the history-matched run relative to the plain one (target: at most 1.3x).
# Environment: BUILD (default build), N (default 1000000), T (default 1), R (default 1).
set -eu
BUILD=${BUILD:-build}
N=${N:-1000000}
T=${T:-1}
R=${R:-1}
GAPSIM=$BUILD/gapsim
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# best ARGS... -> "wall cpu" seconds of the best (by wall) of R runs (/usr/bin/time: the
# whole process, drawing, both passes, summaries and output included)
best() {
    local b="" c=""
    for ((i = 0; i < R; i++)); do
        /usr/bin/time -f "%e %U %S" -o "$TMP/time" "$GAPSIM" run scenarios/baseline.yaml -n "$N" \
            -t "$T" -o "$TMP/b.h5" "$@" >"$TMP/out" 2>/dev/null
        local w u
        read -r w u s <"$TMP/time"
        u=$(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}')
        if [ -z "$b" ] || awk -v a="$w" -v b="$b" 'BEGIN{exit !(a<b)}'; then b=$w c=$u; fi
    done
    echo "$b $c"
}
read -r wh ch <<<"$(best)"
rate=$(sed -nE 's/^History: ([0-9]+) of ([0-9]+) drawn.*/\1 \2/p' "$TMP/out")
read -r wp cp <<<"$(best --no-history)"
echo "history matching: scenarios/baseline.yaml, $N drawn trajectories, $T thread(s), best of $R"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine distorts the figures)"
awk -v n="$N" -v wh="$wh" -v wp="$wp" -v ch="$ch" -v cp="$cp" -v rate="$rate" 'BEGIN {
    split(rate, r, " ")
    printf "  history-matched: %7.2f s wall, %7.2f s CPU, %d of %d accepted (%.2f%%), %.2f us CPU per drawn trajectory\n", wh, ch, r[1], r[2], 100 * r[1] / r[2], 1e6 * ch / n
    printf "  --no-history:    %7.2f s wall, %7.2f s CPU, %.2f us CPU per trajectory\n", wp, cp, 1e6 * cp / n
    printf "  cost per drawn trajectory, history / plain: %.2fx wall, %.2fx CPU (target at most 1.3x)\n", wh / wp, ch / cp
}'
