#!/usr/bin/env bash
# e2e.sh - end-to-end checks of the real gapsim binary; prints "ok N - name" or
# "not ok N - name" per check (TAP style).  Run from the repository root.
. tests/lib_e2e.sh

# --- usage -------------------------------------------------------------------------
check "--help exits 0 and shows usage" bash -c "'$GAPSIM' --help | grep -q 'usage: gapsim run'"
check "--version names the version" bash -c "'$GAPSIM' --version | grep -q '^gapsim [0-9]'"
check "no arguments is a usage error (2)" exit_code 2 "$GAPSIM"
check "unknown command is a usage error (2)" exit_code 2 "$GAPSIM" frobnicate
check "unknown option is a usage error (2)" exit_code 2 "$GAPSIM" run scenarios/baseline.yaml --frob
check "--threads 0 is a usage error (2)" exit_code 2 "$GAPSIM" run scenarios/baseline.yaml --threads 0
check "missing scenario file is bad input (2)" exit_code 2 "$GAPSIM" check "$TMP/nope.yaml"

# --- every shipped scenario validates -------------------------------------------------
for f in scenarios/*.yaml; do
    check "check $f" exit_code 0 "$GAPSIM" check "$f"
done

# --- malformed scenarios: exit 2, FILE:LINE: KEY:, no output, existing target kept -----
bad_file() {
    local f=$1 expect
    expect=$(sed -n 's/^# expect: *//p' "$f" | head -n 1)
    [ -n "$expect" ] || { echo "$f has no '# expect: LINE: KEY' line"; return 1; }
    rm -f "$TMP/bad.h5"
    exit_code 2 "$GAPSIM" run "$f" -o "$TMP/bad.h5" -n 10 || return 1
    grep -qF "$f:$expect:" "$TMP/last.err" || { echo "message lacks '$f:$expect:':"; cat "$TMP/last.err"; return 1; }
    [ ! -e "$TMP/bad.h5" ] || { echo "output file was created"; return 1; }
    ls -a "$TMP" | grep -q '\.tmp\.' && { echo "temporary file left behind"; return 1; }
    echo keep >"$TMP/keep.h5"
    exit_code 2 "$GAPSIM" run "$f" -o "$TMP/keep.h5" -n 10 || return 1
    [ "$(cat "$TMP/keep.h5")" = keep ] || { echo "existing output was touched"; return 1; }
}
for f in tests/data/bad/*.yaml; do
    check "rejects $(basename "$f")" bad_file "$f"
done
check "--set with a bad value is bad input (2)" exit_code 2 "$GAPSIM" check scenarios/baseline.yaml --set hardware.vol=-1
check "--set of an unknown key suggests the right one" bash -c \
    "'$GAPSIM' check scenarios/baseline.yaml --set hardware.voll=1 2>&1 | grep -q \"did you mean 'hardware.vol'\""

# --- runs --------------------------------------------------------------------------------
run_small() { # run_small OUT THREADS [extra args]
    local out=$1 threads=$2
    shift 2
    "$GAPSIM" run scenarios/baseline.yaml -q -n 5000 --seed 7 --threads "$threads" -o "$out" "$@"
}
check "baseline runs with 1 thread" run_small "$TMP/t1.h5" 1 --paths 20
check "baseline runs with 2 threads" run_small "$TMP/t2.h5" 2 --paths 20
check "1 and 2 threads give identical data (h5diff; root attributes hold the command line)" h5diff --exclude-attribute / "$TMP/t1.h5" "$TMP/t2.h5"
check "a different seed gives different data" bash -c \
    "'$GAPSIM' run scenarios/baseline.yaml -q -n 5000 --seed 8 -o '$TMP/s8.h5' && ! h5diff -q '$TMP/t1.h5' '$TMP/s8.h5' premium_mean premium_mean"
check "output opens in xarray (h5netcdf and netCDF4), named dims, paths group" \
    "$PY" tests/check_output.py "$TMP/t1.h5" --paths
check "no temporary file left after a run" bash -c "! ls -a '$TMP' | grep -q '\.tmp\.'"
check "default output goes to output/<name>.h5" bash -c \
    "cd '$TMP' && cp '$PWD/scenarios/baseline.yaml' mybase.yaml && '$GAPSIM' run mybase.yaml -q -n 200 && test -s output/baseline.h5"
check "--set run.cycles=4 gives 5 cycle records" bash -c \
    "'$GAPSIM' run scenarios/baseline.yaml -q -n 100 --set run.cycles=4 -o '$TMP/c4.h5' && h5dump -H -d cycle '$TMP/c4.h5' | grep -q '( 5 )'"
check "summary prints the outcome table" bash -c \
    "'$GAPSIM' run scenarios/baseline.yaml -n 2000 -o '$TMP/sum.h5' | grep -q 'P(compound)'"
check "unwritable output directory is a runtime error (1) naming the path" bash -c \
    "'$GAPSIM' run scenarios/baseline.yaml -q -n 100 -o '$TMP/no/such/dir/x.h5' 2>'$TMP/err'; test \$? -eq 1 && grep -q '$TMP/no/such/dir/x.h5' '$TMP/err'"
check "output path that is a directory is a runtime error (1)" bash -c \
    "mkdir -p '$TMP/isdir.h5' && '$GAPSIM' run scenarios/baseline.yaml -q -n 100 -o '$TMP/isdir.h5'; test \$? -eq 1"
for f in scenarios/*.yaml; do
    check "run $(basename "$f") (small)" bash -c "'$GAPSIM' run '$f' -q -n 500 -o '$TMP/scen.h5'"
done

# --- the README stays true -----------------------------------------------------------
readme_keys_current() {
    sed -n '/<!-- keys:begin -->/,/<!-- keys:end -->/p' README.md | sed '1d;$d' >"$TMP/readme_keys"
    "$GAPSIM" keys >"$TMP/keys"
    diff "$TMP/keys" "$TMP/readme_keys" || { echo "README key table is stale: paste 'build/gapsim keys' between the markers"; return 1; }
}
check "README key table equals 'gapsim keys'" readme_keys_current
readme_snippet_runs() { # the xarray fan-chart snippet, run as written in a scratch directory
    mkdir -p "$TMP/snip/output"
    "$GAPSIM" run scenarios/baseline.yaml -q -n 2000 -o "$TMP/snip/output/baseline.h5" || return 1
    awk '/^```python$/{f=1;next} /^```$/{f=0} f' README.md | head -n 40 >"$TMP/snip/snippet.py"
    grep -q 'premium_fan.png' "$TMP/snip/snippet.py" || { echo "snippet not found in README"; return 1; }
    (export PYTHONPATH="$PWD/python"; cd "$TMP/snip" && "$PY" snippet.py >/dev/null) &&
        test -s "$TMP/snip/output/premium_fan.png"
}
check "README xarray snippet runs as written" readme_snippet_runs
