#!/usr/bin/env bash
# e2e_stream.sh - streaming mode (--memory, issue 14): a run in batches with quantiles
# from re-simulation passes gives the in-memory run's file bit for bit (every dataset:
# moments, quantiles, outcomes, paths; every attribute but the provenance ones and
# quantile_method, which says how the quantiles were obtained).  --memory is small enough
# to force several batches; GAPSIM_STREAM_BUDGET (a cap on the values gathered per pass)
# forces a third and later pass.  Point baseline, antithetic pairs, 1 and 2 threads; the
# runs streaming cannot do are refused with exit 2, a message and no output file.
# Prints "ok N - name" / "not ok N - name".
. tests/lib_e2e.sh

SC=scenarios/baseline_point.yaml
N=20000
MEM=24M

stream_same() { # A B: same_file with quantile_method aside, over at least 5 datasets
    same_file "$1" "$2" quantile_method || return 1
    "$PY" - "$1" <<'PY'
import sys, h5py
n = 0
def visit(name, obj):
    global n
    if isinstance(obj, h5py.Dataset): n += 1
h5py.File(sys.argv[1], "r").visititems(visit)
if n < 5: sys.exit(f"only {n} datasets compared")
PY
}

# method FILE MIN_PASSES MIN_BATCHES: quantile_method names streaming with at least
# MIN_PASSES passes and batches small enough for MIN_BATCHES batches of N
method() {
    "$PY" - "$1" "$2" "$3" "$N" <<'PY'
import re, sys, h5py
m = h5py.File(sys.argv[1], "r").attrs["quantile_method"]
m = m.decode() if isinstance(m, bytes) else str(m)
r = re.fullmatch(r"exact, streaming in (\d+) passes of (\d+)-trajectory batches", m)
if not r: sys.exit(f"quantile_method = {m!r}")
p, b = int(r.group(1)), int(r.group(2))
if p < int(sys.argv[2]): sys.exit(f"{p} passes, want >= {sys.argv[2]}")
if -(-int(sys.argv[4]) // b) < int(sys.argv[3]): sys.exit(f"batches of {b}: fewer than {sys.argv[3]}")
print(m)
PY
}

in_memory() {
    "$PY" -c 'import sys, h5py; m = h5py.File(sys.argv[1], "r").attrs["quantile_method"]; m = m.decode() if isinstance(m, bytes) else str(m); sys.exit(0 if m == "exact, in memory" else f"quantile_method = {m!r}")' "$1"
}

run() { # NAME ARGS...: $TMP/NAME.h5
    local name=$1
    shift
    "$GAPSIM" run "$SC" -n "$N" "$@" -o "$TMP/$name.h5" >"$TMP/$name.log" 2>&1
}

run mem -q -t 2 --paths 50
run mem1 -q -t 1 --paths 50
run amem -q -t 2 --antithetic
run s2 -t 2 --paths 50 --memory $MEM
run s1 -q -t 1 --paths 50 --memory $MEM
GAPSIM_STREAM_BUDGET=50 run sb -q -t 2 --paths 50 --memory $MEM
GAPSIM_STREAM_BUDGET=2000 run as -q -t 2 --antithetic --memory $MEM

check "in memory: quantile_method says so" in_memory "$TMP/mem.h5"
check "in memory: 1 and 2 threads identical" stream_same "$TMP/mem.h5" "$TMP/mem1.h5"
check "streaming, 2 threads: several batches" method "$TMP/s2.h5" 2 3
check "streaming, 2 threads = in memory (moments, quantiles, outcomes, paths)" stream_same "$TMP/mem.h5" "$TMP/s2.h5"
check "streaming, 1 thread = in memory" stream_same "$TMP/mem.h5" "$TMP/s1.h5"
check "streaming: the console names the passes" grep -q "Quantiles exact, streaming in [0-9]* passes" "$TMP/s2.log"
check "streaming, tiny gathering budget: at least 3 passes" method "$TMP/sb.h5" 3 3
check "streaming, tiny gathering budget = in memory" stream_same "$TMP/mem.h5" "$TMP/sb.h5"
check "streaming antithetic: several batches" method "$TMP/as.h5" 2 3
check "streaming antithetic = in memory (pair standard errors too)" stream_same "$TMP/amem.h5" "$TMP/as.h5"
pass_lines() { # without a terminal: one log line per finished pass, the last one final
    GAPSIM_STREAM_BUDGET=50 "$GAPSIM" run "$SC" -n "$N" -t 2 --memory $MEM -o "$TMP/sp.h5" \
        >"$TMP/sp.out" 2>"$TMP/sp.err" </dev/null || return 1
    local passes lines
    passes=$(sed -n 's/^Quantiles exact, streaming in \([0-9]*\) passes.*/\1/p' "$TMP/sp.out")
    lines=$(grep -c "gapsim: streaming pass [0-9]* done" "$TMP/sp.err")
    [ -n "$passes" ] && [ "$passes" -ge 3 ] && [ "$lines" -eq "$passes" ] &&
        [ "$(grep -c "streaming pass [0-9]* done, [0-9]*s; another pass follows" "$TMP/sp.err")" -eq $((passes - 1)) ] &&
        grep -q "streaming pass $passes done, [0-9]*s; every quantile is known" "$TMP/sp.err" &&
        ! grep -q "100.0% done" "$TMP/sp.err" || { cat "$TMP/sp.out" "$TMP/sp.err"; return 1; }
}
check "streaming without a terminal: one log line per pass (no 100% line before the last)" pass_lines
pass_bar() { # on a terminal (script(1) gives one) the progress bar names the pass; the
    # bar appears once the run has lasted a second (10^5 trajectories: several), so the last
    # pass is the one surely shown
    script -qec "'$GAPSIM' run '$SC' -n 100000 -t 2 --memory $MEM -o '$TMP/sq.h5' >'$TMP/sq.out'" \
        /dev/null </dev/null | tr '\r' '\n' >"$TMP/sq.tty" || return 1
    local passes
    passes=$(sed -n 's/^Quantiles exact, streaming in \([0-9]*\) passes.*/\1/p' "$TMP/sq.out")
    [ -n "$passes" ] && grep -aq "^\[[#.]*\] 100.0%  pass $passes  [0-9]*s elapsed" "$TMP/sq.tty" ||
        { cat "$TMP/sq.out"; cat -v "$TMP/sq.tty"; return 1; }
}
if command -v script >/dev/null; then
    check "streaming on a terminal: the progress bar says which pass runs" pass_bar
else
    skip "streaming on a terminal: the progress bar says which pass runs" "no script(1)"
fi

dry() {
    "$GAPSIM" run "$SC" -n "$N" --memory $MEM --dry-run >"$TMP/dry.out" 2>&1 &&
        grep -q "streaming mode" "$TMP/dry.out" && grep -q "batches: [0-9]* of [0-9]* trajectories" "$TMP/dry.out" &&
        grep -q "memory: about [0-9]* MB at the peak" "$TMP/dry.out"
}
check "--dry-run --memory prints the streaming plan" dry

target_se() { # --target-se: outcome-only batches in memory, then the full run streams
    "$GAPSIM" run "$SC" -n 10000 --target-se 0.01 --max-trajectories 40000 -q -o "$TMP/tm.h5" &&
        "$GAPSIM" run "$SC" -n 10000 --target-se 0.01 --max-trajectories 40000 -q --memory $MEM \
            -o "$TMP/ts.h5" && stream_same "$TMP/tm.h5" "$TMP/ts.h5"
}
check "streaming with --target-se = in memory" target_se

# refused RE ARGS...: exit 2, message matching RE, no output file
refused() {
    local re=$1
    shift
    rm -f "$TMP/refused.h5"
    exit_code 2 "$GAPSIM" run "$@" -o "$TMP/refused.h5" || return 1
    grep -q -- "$re" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    [ ! -e "$TMP/refused.h5" ]
}
check "refused: uncertain parameters" refused "point-valued scenario" scenarios/uncertain.yaml -n 2000 --memory 1G
check "refused: --shard" refused "shard" "$SC" -n 2000 --memory 1G --shard 0/2
check "refused: --keep-draws" refused "keep-draws" "$SC" -n 2000 --memory 1G --keep-draws
check "refused: a sweep" refused "sweeps" scenarios/phase_sweep.yaml -n 2000 --memory 1G
check "refused: --memory 4X" refused "--memory needs a size" "$SC" -n 2000 --memory 4X
check "refused: --memory 0" refused "--memory needs a size" "$SC" -n 2000 --memory 0
check "refused: --memory too small" refused "too small" "$SC" -n 2000 --memory 3M

auto() { # a point-valued run far beyond the physical memory switches to streaming by itself
    "$GAPSIM" run "$SC" -n 100000000000 --dry-run -o "$TMP/auto.h5" >"$TMP/auto.out" 2>"$TMP/auto.err" || return 1
    grep -q "more than 80% of the [0-9]* MB of this machine: streaming mode within" "$TMP/auto.err" &&
        grep -q "batches: [0-9]* of [0-9]* trajectories" "$TMP/auto.out" && [ ! -e "$TMP/auto.h5" ] ||
        { cat "$TMP/auto.out" "$TMP/auto.err"; return 1; }
}
check "automatic streaming above 80% of physical memory (said on stderr; --dry-run plan)" auto
