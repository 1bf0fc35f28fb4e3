#!/usr/bin/env bash
# fuzz_long.sh - `make fuzz-long`: every libFuzzer target for SECONDS_EACH seconds with
# its seed corpus, then one line per target: executions, seconds, findings.
#   fuzz_scenario  the scenario loader (YAML + --set), seeded with scenarios/ and
#                  tests/data/bad/; -max_len 16384 reaches the nesting limit (64) many
#                  times over (the 1 MiB size limit is tested by tests/e2e.sh instead)
#   fuzz_cli       the command-line parser, seeded with tests/fuzz/cli-seeds/
#   fuzz_h5in      the result-file reader, seeded with small real result files (a run,
#                  a sweep) and copies with one item damaged (tests/damage_files.py)
#   fuzz_partial   the --shard partial-file reader, seeded likewise
# Findings land in tests/fuzz/regressions*/ (crash-*, leak-*, timeout-*): commit those
# that are gapsim's bugs once fixed; make test replays the scenario ones.
set -u
BUILD=${BUILD:-build}
PY=${PY:-/usr/bin/python3}
SECONDS_EACH=${SECONDS_EACH:-600}
G=$BUILD/gapsim
C=$BUILD/fuzz-long
mkdir -p "$C/scenario" "$C/cli" "$C/h5in" "$C/partial" tests/fuzz/regressions \
    tests/fuzz/regressions-cli tests/fuzz/regressions-h5in tests/fuzz/regressions-partial
rm -rf "$C"/h5in/* "$C"/partial/*
cp scenarios/*.yaml tests/data/bad/*.yaml "$C/scenario/"
cp tests/fuzz/cli-seeds/* "$C/cli/"

# small real files: a tiny scenario keeps them small (the fuzzer mutates every byte)
printf 'name: tiny\nrun:\n  cycles: 1\n  quantiles: [0.5]\n' >"$C/tiny.yaml"
printf 'name: tinysweep\nrun:\n  cycles: 1\n  quantiles: [0.5]\nsweep:\n  grid:\n    hardware.vol: [0.2, 0.4]\n' >"$C/tinysweep.yaml"
"$G" run "$C/tiny.yaml" -q -n 8 -o "$C/h5in/run.h5" &&
    "$G" run "$C/tinysweep.yaml" -q -n 8 -o "$C/h5in/sweep.h5" &&
    "$G" run "$C/tiny.yaml" -q -n 8 --shard 0/1 -o "$C/partial/shard.h5" || exit 1
rm -rf "$C/tiny.yaml.resume" "$C/tinysweep.yaml.resume" "$C"/h5in/*.resume "$C"/partial/*.resume
"$PY" tests/damage_files.py "$C/h5in/run.h5" "$C/h5in/damaged" result >/dev/null &&
    "$PY" tests/damage_files.py "$C/partial/shard.h5" "$C/partial/damaged" partial >/dev/null || exit 1
mv "$C"/h5in/damaged/* "$C/h5in/" && mv "$C"/partial/damaged/* "$C/partial/"
rmdir "$C/h5in/damaged" "$C/partial/damaged"
maxh5=$(($(ls -l "$C"/h5in/*.h5 | awk '{print $5}' | sort -n | tail -1) + 4096))

run() { # run TARGET CORPUS MAX_LEN ARTIFACTS [extra]
    local t=$1 corpus=$2 max=$3 art=$4
    shift 4
    local log=$BUILD/fuzz-long-$t.log
    "$BUILD/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len="$max" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$art/" -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1
    local execs found
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(grep -c "^artifact_prefix\|Test unit written to" "$log")
    printf '%-14s %12s executions in %5ss, %s finding(s)%s\n' "fuzz_$t" "${execs:-?}" "$SECONDS_EACH" \
        "$found" "$([ "$found" -gt 0 ] && echo " (see $log)")"
}
echo "make fuzz-long: $SECONDS_EACH s per target on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run scenario "$C/scenario" 16384 tests/fuzz/regressions
run cli "$C/cli" 1024 tests/fuzz/regressions-cli -close_fd_mask=2
# libhdf5's own leaks on damaged files are suppressed (tests/fuzz/lsan-hdf5.supp)
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan-hdf5.supp
run h5in "$C/h5in" "$maxh5" tests/fuzz/regressions-h5in
run partial "$C/partial" 65536 tests/fuzz/regressions-partial
