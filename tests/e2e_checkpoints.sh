#!/usr/bin/env bash
# e2e_checkpoints.sh - checkpoints prove what they hold (README "What gapsim
# guarantees"): a resumed sweep equals the uninterrupted run (h5diff) whatever was done
# to its checkpoints (points swapped, taken from a --seed 99 run, a plain result copied
# in, a point copied to another index, another shape, an incomplete file): the bad
# points are run again.  Plain runs never create, keep or remove checkpoint directories;
# two sweeps to one output exclude each other; --resume with --shard is refused.
#
# Checkpoints are kept deterministically by a sweep whose final write fails: its output
# path is a (non-empty) directory, so every point is checkpointed and the file is not
# written.
. tests/lib_e2e.sh
cat >"$TMP/small.yaml" <<'YAML'
model: 2
name: small
run: {trajectories: 600}
sweep:
  grid:
    capability.catch_up: [0.3, 0.6, 0.9]
    training.reinvest: [0.2, 0.5]
YAML
S=$TMP/small.yaml
same() { h5diff --exclude-attribute / "$1" "$2" >/dev/null || { echo "h5diff: $1 and $2 differ"; return 1; }; }
# keep_checkpoints NAME ARGS...: the checkpoints of the sweep with ARGS into $TMP/NAME
# (the final rename onto .../blocked.h5 fails through the LD_PRELOAD shim tests/norename.c,
# after every point is checkpointed; under ASan its runtime is preloaded first)
cc -shared -fPIC -o "$TMP/norename.so" tests/norename.c -ldl || echo "cannot build tests/norename.c"
PRELOAD=$TMP/norename.so
if [ "${BUILD#*san}" != "$BUILD" ]; then PRELOAD="$(cc -print-file-name=libasan.so) $PRELOAD"; fi
keep_checkpoints() {
    local name=$1
    shift
    mkdir -p "$TMP/k/$name"
    LD_PRELOAD="$PRELOAD" "$GAPSIM" run "$S" -q "$@" -o "$TMP/k/$name/blocked.h5" 2>/dev/null &&
        { echo "the blocked write succeeded"; return 1; }
    [ -f "$TMP/k/$name/blocked.h5.gapsim-checkpoints/MANIFEST" ] || { echo "no checkpoints kept"; return 1; }
    rm -rf "$TMP/$name"
    mv "$TMP/k/$name/blocked.h5.gapsim-checkpoints" "$TMP/$name"
}
"$GAPSIM" run "$S" -q -o "$TMP/full.h5" || echo "the uninterrupted sweep failed"
keep_checkpoints good || echo "could not keep checkpoints"
keep_checkpoints seed99 --seed 99 || echo "could not keep checkpoints (seed 99)"
keep_checkpoints cycles8 --set run.cycles=8 || echo "could not keep checkpoints (8 cycles)"
"$GAPSIM" run scenarios/baseline_point.yaml -q -n 600 -o "$TMP/plain.h5" || echo "plain run failed"

check "a finished sweep leaves no checkpoint directory" test ! -e "$TMP/full.h5.gapsim-checkpoints"
check "kept checkpoints: a manifest, a lock, a file and an identity record per point" \
    bash -c "[ \$(ls '$TMP/good' | grep -c '^point_.*\\.h5\$') -eq 6 ] && [ \$(ls '$TMP/good' | grep -c '^point_.*\\.id\$') -eq 6 ] && [ -e '$TMP/good/LOCK' ]"
# resume_with WANT_LOADED WANT_RERUN TAMPER...: a copy of the good checkpoints, tampered
# with by the shell commands TAMPER (run in the directory), resumed: equal to the full run
resume_with() {
    local loaded=$1 rerun=$2 out=$TMP/r.h5
    shift 2
    rm -rf "$out" "$out.gapsim-checkpoints"
    cp -r "$TMP/good" "$out.gapsim-checkpoints"
    (cd "$out.gapsim-checkpoints" && eval "$@") || { echo "tampering failed"; return 1; }
    "$GAPSIM" run "$S" -o "$out" --resume >"$TMP/r.out" 2>&1 || { tail -n 3 "$TMP/r.out"; return 1; }
    grep -q "resumed: $loaded points were read back from checkpoints, $rerun that" "$TMP/r.out" ||
        { echo "wanted $loaded read back, $rerun run again:"; grep resumed "$TMP/r.out"; return 1; }
    same "$TMP/full.h5" "$out" || return 1
    [ ! -e "$out.gapsim-checkpoints" ] || { echo "checkpoints not removed"; return 1; }
}
check "resume of intact checkpoints: every point read back, file equal" resume_with 6 0 true
check "two points swapped (files and records): both run again, file equal" resume_with 4 2 \
    'mv point_000001.h5 t.h5 && mv point_000001.id t.id && mv point_000002.h5 point_000001.h5 && mv point_000002.id point_000001.id && mv t.h5 point_000002.h5 && mv t.id point_000002.id'
check "two point files swapped under their records: both run again" resume_with 4 2 \
    'mv point_000001.h5 t.h5 && mv point_000002.h5 point_000001.h5 && mv t.h5 point_000002.h5'
check "a point from a --seed 99 run: run again, file equal" resume_with 5 1 \
    "cp '$TMP/seed99/point_000003.h5' '$TMP/seed99/point_000003.id' ."
check "a plain run's result copied in as a point: run again" resume_with 5 1 \
    "cp '$TMP/plain.h5' point_000004.h5"
check "a plain run's result copied in without a record: run again" resume_with 5 1 \
    "cp '$TMP/plain.h5' point_000004.h5 && rm point_000004.id"
check "a point copied to another index: run again" resume_with 5 1 \
    'cp point_000000.h5 point_000005.h5 && cp point_000000.id point_000005.id'
check "a checkpoint of another shape (8 cycles): run again, no overflow" resume_with 5 1 \
    "cp '$TMP/cycles8/point_000002.h5' '$TMP/cycles8/point_000002.id' ."
incomplete() { "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); f.attrs['completed']=0" point_000003.h5; }
check "a point whose completed flag is 0: run again" resume_with 5 1 incomplete
check "a truncated point file: run again" resume_with 5 1 'truncate -s 2000 point_000001.h5'
check "a point file without its record (killed between the two): run again" resume_with 5 1 'rm point_000005.id'

two_sweeps() { # the second sweep to the same output is refused while the first runs
    local out=$TMP/busy.h5
    "$GAPSIM" run scenarios/phase_sweep.yaml -q -n 200000 -o "$out" &
    local pid=$!
    for _ in $(seq 1 400); do [ -e "$out.gapsim-checkpoints/MANIFEST" ] && break; sleep 0.05; done
    exit_code 1 "$GAPSIM" run scenarios/phase_sweep.yaml -q -n 200 -o "$out"
    local rc=$?
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    [ "$rc" -eq 0 ] || return 1
    grep -q "another gapsim run is writing $out" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    [ "$(wc -l <"$TMP/last.err")" -eq 1 ] && [ ! -e "$out" ]
}
check "two sweeps to one output: the second is refused with one clear line" two_sweeps
check "--resume with --shard is refused (bad usage)" \
    bash -c "'$GAPSIM' run scenarios/phase_sweep.yaml -q -n 200 --shard 0/2 --resume -o '$TMP/sh.h5' 2>'$TMP/sh.err'; [ \$? -eq 2 ] && grep -q 'cannot be combined with --shard' '$TMP/sh.err' && [ ! -e '$TMP/sh.h5' ]"
plain_interrupted() { # an interrupted plain run leaves no checkpoint directory behind
    local out=$TMP/pi.h5
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 3000000 -o "$out" &
    local pid=$!
    sleep 1
    kill -INT "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" -eq 130 ] || { echo "exit $rc"; return 1; }
    ls -a "$TMP" | grep -q "^pi\.h5\." && { ls -a "$TMP" | grep "^pi\.h5"; return 1; }
    return 0
}
check "an interrupted plain run leaves no checkpoint directory" plain_interrupted
user_dirs() { # a plain run touches no directory named like checkpoints, old or new
    local out=$TMP/u.h5
    mkdir -p "$out.resume" "$out.gapsim-checkpoints"
    echo mine >"$out.resume/notes.txt"
    echo mine >"$out.gapsim-checkpoints/notes.txt"
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 600 -o "$out" || return 1
    [ "$(cat "$out.resume/notes.txt")" = mine ] && [ "$(cat "$out.gapsim-checkpoints/notes.txt")" = mine ] &&
        [ "$(ls -A "$out.gapsim-checkpoints")" = notes.txt ] && [ "$(ls -A "$out.resume")" = notes.txt ]
}
check "a plain run never deletes a user's OUT.resume/ (or touches OUT.gapsim-checkpoints/)" user_dirs
sweep_keeps_user_files() { # a finished sweep removes only its own files from the directory
    local out=$TMP/v.h5
    mkdir -p "$out.gapsim-checkpoints" && echo mine >"$out.gapsim-checkpoints/notes.txt"
    "$GAPSIM" run "$S" -q -o "$out" || return 1
    [ "$(ls -A "$out.gapsim-checkpoints")" = notes.txt ]
}
check "a sweep removes only its own files from its checkpoint directory" sweep_keeps_user_files
missing_dir() {
    exit_code 1 "$GAPSIM" run "$S" -q -o /missing/dir/x.h5 || return 1
    grep -q "directory /missing/dir: No such file or directory" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    exit_code 1 "$GAPSIM" run scenarios/baseline_point.yaml -q -n 600 -o /missing/dir/x.h5 || return 1
    grep -q "directory /missing/dir: No such file or directory" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    ! grep -q "checkpoint" "$TMP/last.err"
}
check "-o /missing/dir/x.h5 names the missing directory (sweep and plain run)" missing_dir
two_plain() { # two plain runs to one target no longer share (and break) a checkpoint directory
    local out=$TMP/pp.h5 a b
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 20000 -o "$out" & a=$!
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 20000 -o "$out" & b=$!
    wait $a || { echo "first run failed"; return 1; }
    wait $b || { echo "second run failed"; return 1; }
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 20000 -o "$TMP/pp1.h5" || return 1
    same "$TMP/pp1.h5" "$out"
}
check "two plain runs to one target both succeed; the file is the run's" two_plain
