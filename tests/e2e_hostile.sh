#!/usr/bin/env bash
# e2e_hostile.sh - hostile and damaged input, special output paths, full disks and
# signals against the real binary (issue 16).  Prints "ok N - name" / "not ok N - name".
# Run from the repository root; the full-disk checks need root (a small tmpfs) and are
# skipped otherwise.  Timing bounds are generous: CI runs under ASan on a busy machine.
. tests/lib_e2e.sh
e2e_cleanup() { mountpoint -q "$TMP/full" 2>/dev/null && umount "$TMP/full"; }
no_temp_files() { ! ls -a "$1" | grep -q '\.tmp'; }
S=scenarios/baseline_point.yaml

# --- partial files (--shard) read defensively by merge --------------------------------
"$GAPSIM" run $S -q -n 3000 --shard 0/2 -o "$TMP/p0.h5" &&
    "$GAPSIM" run $S -q -n 3000 --shard 1/2 -o "$TMP/p1.h5" &&
    "$GAPSIM" run $S -q -n 3000 -o "$TMP/single.h5" || echo "not ok 0 - setup failed"

# damage ITEM in a copy of p1 with h5py, then merge: exit 2, one line naming file and item
damaged_partial() { # damaged_partial CASE ITEM
    rm -f "$TMP/m.h5"
    "$PY" - "$TMP/p1.h5" "$TMP/bad.h5" "$1" <<'EOF' || return 1
import shutil, sys, h5py, numpy as np
src, dst, case = sys.argv[1:]
shutil.copy(src, dst)
with h5py.File(dst, "a") as f:
    a = f.attrs
    if case == "seed_array":      del a["seed"]; a.create("seed", np.array([1, 2, 3], "u8"))
    elif case == "shards_2_40":   del a["nshards"]; a.create("nshards", np.uint64(2**40))
    elif case == "seed_string":   del a["seed"]; a["seed"] = "7"
    elif case == "seed_negative": del a["seed"]; a.create("seed", np.int64(-1))
    elif case == "text_number":   del a["scenario_text"]; a.create("scenario_text", np.float64(1))
    elif case == "values_int":    del f["values"]; f["values"] = np.zeros((1, 17, 3, 2), "i4")
    elif case == "values_rank":   d = f["values"][...]; del f["values"]; f["values"] = d[0]
    elif case == "points_zero":   del a["points"]; a.create("points", np.uint64(0))
EOF
    exit_code 2 "$GAPSIM" merge -o "$TMP/m.h5" "$TMP/p0.h5" "$TMP/bad.h5" || return 1
    [ "$(wc -l <"$TMP/last.err")" -eq 1 ] || { echo "not one line:"; cat "$TMP/last.err"; return 1; }
    grep -q "bad.h5" "$TMP/last.err" && grep -q "'$2'" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    [ ! -e "$TMP/m.h5" ] || { echo "output written"; return 1; }
}
check "merge: a partial whose seed is an array is refused (was SIGSEGV)" damaged_partial seed_array seed
check "merge: a partial claiming 2^40 shards is refused at once (was an endless loop)" damaged_partial shards_2_40 nshards
check "merge: a string seed is refused" damaged_partial seed_string seed
check "merge: a negative seed is refused" damaged_partial seed_negative seed
check "merge: a numeric scenario_text is refused" damaged_partial text_number scenario_text
check "merge: integer values are refused" damaged_partial values_int values
check "merge: values of the wrong rank are refused" damaged_partial values_rank values
check "merge: zero points are refused" damaged_partial points_zero points

vl_strings() { # h5py's default, variable-length strings: read as text, the merge is exact
    "$PY" - "$TMP/p0.h5" "$TMP/p1.h5" "$TMP/v0.h5" "$TMP/v1.h5" <<'EOF' || return 1
import shutil, sys, h5py
for src, dst in ((sys.argv[1], sys.argv[3]), (sys.argv[2], sys.argv[4])):
    shutil.copy(src, dst)
    with h5py.File(dst, "a") as f:
        for k in ("scenario_text", "sets", "scenario_file", "gapsim_version"):
            f.attrs[k] = f.attrs[k].decode()   # str: h5py writes a variable-length string
EOF
    "$GAPSIM" merge -q -o "$TMP/vm.h5" "$TMP/v0.h5" "$TMP/v1.h5" || return 1
    h5diff --exclude-attribute / "$TMP/vm.h5" "$TMP/single.h5"
}
check "merge: variable-length string attributes are read as text (merge = single run)" vl_strings

many_missing() {
    "$GAPSIM" run $S -q -n 3000 --shard 0/100000 -o "$TMP/q0.h5" || return 1
    exit_code 2 timeout 20 "$GAPSIM" merge -o "$TMP/m.h5" "$TMP/q0.h5" || return 1
    [ "$(wc -l <"$TMP/last.err")" -eq 1 ] && grep -q "99999 of 100000 shards missing" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
}
check "merge: 99999 missing shards are reported in one line" many_missing

concurrent_shards() { # two shard runs to one target: each its own temporary file
    "$GAPSIM" run $S -q -n 20000 --shard 0/2 -o "$TMP/cs.h5" &
    local a=$!
    "$GAPSIM" run $S -q -n 20000 --shard 0/2 -o "$TMP/cs.h5" || return 1
    wait $a || return 1
    no_temp_files "$TMP" && h5dump -a nshards "$TMP/cs.h5" >/dev/null
}
check "two --shard runs to one target both succeed (no shared temporary file)" concurrent_shards

# --- special output paths -----------------------------------------------------------
special_paths() {
    local d="$TMP/sp"
    mkdir -p "$d"
    mkfifo "$d/fifo"
    exit_code 1 timeout 60 "$GAPSIM" run $S -q -n 100 -o "$d/fifo" || return 1
    grep -q "FIFO" "$TMP/last.err" && [ -p "$d/fifo" ] || { echo "FIFO:"; cat "$TMP/last.err"; return 1; }
    exit_code 1 "$GAPSIM" run $S -q -n 100 -o "$d" || return 1
    grep -q "directory" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    # /dev/null: refused by a check made before anything is written
    exit_code 1 "$GAPSIM" run $S -q -n 100 -o /dev/null || return 1
    grep -q "character device" "$TMP/last.err" && [ -c /dev/null ] || { cat "$TMP/last.err"; return 1; }
    # a symbolic link: its target is replaced atomically, the link stays a link
    echo old >"$d/real.h5"
    ln -s real.h5 "$d/link.h5"
    "$GAPSIM" run $S -q -n 100 -o "$d/link.h5" || return 1
    [ -L "$d/link.h5" ] && [ "$(readlink "$d/link.h5")" = real.h5 ] || { echo "link replaced"; return 1; }
    h5dump -a completed "$d/real.h5" | grep -q '(0): 1' || { echo "target not written"; return 1; }
    ln -s missing.h5 "$d/dangling.h5"
    exit_code 1 "$GAPSIM" run $S -q -n 100 -o "$d/dangling.h5" || return 1
    grep -q "symbolic link" "$TMP/last.err" && [ ! -e "$d/missing.h5" ] || { cat "$TMP/last.err"; return 1; }
    # merge obeys the same rules
    exit_code 1 "$GAPSIM" merge -o "$d/fifo" "$TMP/p0.h5" "$TMP/p1.h5" || return 1
    no_temp_files "$d"
}
check "-o: FIFO, directory and device refused; a symlink's target replaced, the link kept" special_paths

# --- full disk: no crash in HDF5's exit handler, one line, no temporary file ------------
full_disk() {
    mkdir -p "$TMP/full"
    if ! mount -t tmpfs -o size=64k tmpfs "$TMP/full" 2>/dev/null; then
        echo "cannot mount a tmpfs here (not root?): skipped"
        return 0
    fi
    local what rc
    for what in shard merge; do
        if [ $what = shard ]; then
            "$GAPSIM" run $S -q -n 20000 --shard 0/2 -o "$TMP/full/p.h5" 2>"$TMP/err"
        else
            "$GAPSIM" merge -q -o "$TMP/full/m.h5" "$TMP/p0.h5" "$TMP/p1.h5" 2>"$TMP/err"
        fi
        rc=$?
        [ "$rc" -eq 1 ] || { echo "$what: exit $rc, wanted 1 (139 = SIGSEGV)"; cat "$TMP/err"; return 1; }
        [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "No space left on device\|errno = 28" "$TMP/err" ||
            { echo "$what:"; cat "$TMP/err"; return 1; }
        no_temp_files "$TMP/full" || { echo "$what: temporary file left"; ls -a "$TMP/full"; return 1; }
    done
}
check "full disk: --shard and merge exit 1 with one line (were SIGSEGV at exit), no temp file" full_disk

# --- signals ----------------------------------------------------------------------------
stop_within() { # stop_within LIMIT_MS SIGNAL WANT_RC PID
    local t0 rc ms
    t0=$(date +%s%N)
    kill -"$2" "$4"
    wait "$4"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$rc" -eq "$3" ] || { echo "exit $rc, wanted $3"; return 1; }
    [ "$ms" -lt "$1" ] || { echo "took $ms ms to stop"; return 1; }
}

paths_write_interrupt() { # SIGINT while 200,000 full paths are being compressed
    local d="$TMP/pw"
    mkdir -p "$d"
    echo keep >"$d/out.h5"
    "$GAPSIM" run $S -q -n 200000 --paths 200000 -o "$d/out.h5" 2>"$d/err" &
    local pid=$!
    for _ in $(seq 1 4000); do ls -a "$d" | grep -q '\.tmp\.' && break; sleep 0.05; done
    ls -a "$d" | grep -q '\.tmp\.' || { echo "the write never started"; kill $pid; return 1; }
    sleep 1
    # the whole write takes 10-20 s here; before, SIGINT waited for all of it
    stop_within 5000 INT 130 $pid || return 1
    [ "$(cat "$d/out.h5")" = keep ] || { echo "target replaced"; return 1; }
    no_temp_files "$d" || { echo "temporary file left"; ls -a "$d"; return 1; }
}
check "SIGINT during the write of --paths stops within a chunk row: 130, target kept" paths_write_interrupt

merge_interrupt() { # merge SIGNAL WANT: never exit 0, never replace the target
    local d="$TMP/mi_$1"
    mkdir -p "$d"
    "$GAPSIM" run $S -q -n 80000 --shard 0/2 -o "$d/a.h5" &&
        "$GAPSIM" run $S -q -n 80000 --shard 1/2 -o "$d/b.h5" || return 1
    echo keep >"$d/out.h5"
    "$GAPSIM" merge -q -o "$d/out.h5" "$d/a.h5" "$d/b.h5" 2>"$d/err" &
    local pid=$!
    sleep 0.3
    stop_within 10000 "$1" "$2" $pid || { cat "$d/err"; return 1; }
    [ "$(cat "$d/out.h5")" = keep ] || { echo "target replaced"; return 1; }
    no_temp_files "$d" || { echo "temporary file left"; return 1; }
    grep -q interrupted "$d/err" || { cat "$d/err"; return 1; }
}
check "merge given SIGINT exits 130 and keeps the target (was exit 0, replaced)" merge_interrupt INT 130
check "merge given SIGTERM exits 143 and keeps the target" merge_interrupt TERM 143

deep_yaml_term() { # a deep scenario no longer keeps gapsim busy: refused before SIGTERM matters
    "$PY" -c "print('run: ' + '['*400000 + ']'*400000)" >"$TMP/deep.yaml"
    exit_code 2 timeout 10 "$GAPSIM" run "$TMP/deep.yaml" -q -o "$TMP/deep.h5"
}
check "a 400000-deep scenario is refused within timeout's 10 s (was minutes, SIGTERM ignored)" deep_yaml_term
