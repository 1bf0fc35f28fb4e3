#!/usr/bin/env bash
# e2e.sh - end-to-end checks of the real gapsim binary; prints "ok N - name" or
# "not ok N - name" per check (TAP style).  Run from the repository root.
. tests/lib_e2e.sh

# --- usage -------------------------------------------------------------------------
check "--help exits 0 and shows usage" bash -c "'$GAPSIM' --help | grep -q 'usage: gapsim run'"
check "--version names the version" bash -c "'$GAPSIM' --version | grep -q '^gapsim [0-9]'"
check "no arguments is a usage error (2)" exit_code 2 "$GAPSIM"
check "unknown command is a usage error (2)" exit_code 2 "$GAPSIM" frobnicate
check "unknown option is a usage error (2)" exit_code 2 "$GAPSIM" run scenarios/baseline_point.yaml --frob
check "--threads 0 is a usage error (2)" exit_code 2 "$GAPSIM" run scenarios/baseline_point.yaml --threads 0
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
# --- input limits (README guarantees): size, depth, tabs, checked before libyaml builds a tree
deep_refused() { # deep_refused DEPTH WANT_TEXT: nested flow lists, refused fast with exit 2
    "$PY" -c "import sys; d=int(sys.argv[1]); print('name: deep'); print('run: ' + '['*d + ']'*d)" "$1" >"$TMP/deep.yaml"
    local t0 ms
    t0=$(date +%s%N)
    exit_code 2 "$GAPSIM" check "$TMP/deep.yaml" || return 1
    ms=$((($(date +%s%N) - t0) / 1000000))
    grep -q "$TMP/deep.yaml:[0-9]*: .*$2" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    # well under a second here; 10 s allows for sanitizers on a loaded machine
    [ "$ms" -lt 10000 ] || { echo "took $ms ms"; return 1; }
}
check "a 10^6-deep YAML is refused at once (size limit), exit 2" deep_refused 1000000 "larger than the limit"
check "a 400000-deep YAML under the size limit is refused at once (depth limit)" deep_refused 400000 "nested deeper than 64"
check "a tab in the indentation is called a tab" bash -c \
    "'$GAPSIM' check tests/data/bad/tab_indent.yaml 2>&1 | grep -q 'tab character in the indentation'"
check "an endless input (/dev/zero) is refused with exit 2" exit_code 2 timeout 20 "$GAPSIM" check /dev/zero
check "--set with a bad value is bad input (2)" exit_code 2 "$GAPSIM" check scenarios/baseline_point.yaml --set hardware.vol=-1
check "--set of an unknown key suggests the right one" bash -c \
    "'$GAPSIM' check scenarios/baseline_point.yaml --set hardware.voll=1 2>&1 | grep -q \"did you mean 'hardware.vol'\""

# --- runs --------------------------------------------------------------------------------
run_small() { # run_small OUT THREADS [extra args]
    local out=$1 threads=$2
    shift 2
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 5000 --seed 7 --threads "$threads" -o "$out" "$@"
}
check "baseline runs with 1 thread" run_small "$TMP/t1.h5" 1 --paths 20
check "baseline runs with 2 threads" run_small "$TMP/t2.h5" 2 --paths 20
check "1 and 2 threads give identical data (h5diff; root attributes hold the command line)" h5diff --exclude-attribute / "$TMP/t1.h5" "$TMP/t2.h5"
check "a different seed gives different data" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -q -n 5000 --seed 8 -o '$TMP/s8.h5' && ! h5diff -q '$TMP/t1.h5' '$TMP/s8.h5' premium_mean premium_mean"
check "output opens in xarray (h5netcdf and netCDF4), named dims, paths group" \
    "$PY" tests/check_output.py "$TMP/t1.h5" --paths
check "no temporary file left after a run" bash -c "! ls -a '$TMP' | grep -q '\.tmp\.'"
check "default output goes to output/<name>.h5" bash -c \
    "cd '$TMP' && cp '$PWD/scenarios/baseline_point.yaml' mybase.yaml && '$GAPSIM' run mybase.yaml -q -n 200 && test -s output/baseline_point.h5"
check "--set run.cycles=4 gives 5 cycle records" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -q -n 100 --set run.cycles=4 --set history.now=2025 -o '$TMP/c4.h5' && h5dump -H -d cycle '$TMP/c4.h5' | grep -q '( 5 )'"
check "summary prints the outcome table" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -n 2000 -o '$TMP/sum.h5' | grep -q 'P(compound)'"
check "unwritable output directory is a runtime error (1) naming the path" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -q -n 100 -o '$TMP/no/such/dir/x.h5' 2>'$TMP/err'; test \$? -eq 1 && grep -q '$TMP/no/such/dir/x.h5' '$TMP/err'"
check "output path that is a directory is a runtime error (1)" bash -c \
    "mkdir -p '$TMP/isdir.h5' && '$GAPSIM' run scenarios/baseline_point.yaml -q -n 100 -o '$TMP/isdir.h5'; test \$? -eq 1"
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
    "$GAPSIM" run scenarios/baseline_point.yaml -q -n 2000 -o "$TMP/snip/output/baseline.h5" || return 1
    awk '/^```python$/{f=1;next} /^```$/{f=0} f' README.md | head -n 40 >"$TMP/snip/snippet.py"
    grep -q 'premium_fan.png' "$TMP/snip/snippet.py" || { echo "snippet not found in README"; return 1; }
    (export PYTHONPATH="$PWD/python"; cd "$TMP/snip" && "$PY" snippet.py >/dev/null) &&
        test -s "$TMP/snip/output/premium_fan.png"
}
check "README xarray snippet runs as written" readme_snippet_runs
v1_refused() { # a version 1 scenario (no `model: 2` line) is refused, saying what to do
    grep -v '^model:' scenarios/chip_crunch.yaml >"$TMP/v1.yaml"
    echo keep >"$TMP/v1.h5"
    "$GAPSIM" run "$TMP/v1.yaml" -q -n 100 -o "$TMP/v1.h5" 2>"$TMP/v1.err"
    [ $? -eq 2 ] || return 1
    grep -q "v1.yaml:1: model: .*model version 1.*add the top-level line 'model: 2'" "$TMP/v1.err" &&
        [ "$(cat "$TMP/v1.h5")" = keep ] && cat "$TMP/v1.err"
}
check "a version 1 scenario is refused with how to convert it" v1_refused
nan_answer() { # issue 16: a premium that is NaN in every trajectory is undefined, not "persists"
    "$GAPSIM" run scenarios/baseline_point.yaml -n 500 -o "$TMP/nan.h5" --set run.cycle_years=10 \
        --set run.cycles=200 --set power.trend=5 >"$TMP/nan.out" 2>&1 || return 1
    grep -q "^Answer: none: the premium's outcome is undefined" "$TMP/nan.out" &&
        ! grep -q "most likely persists" "$TMP/nan.out" &&
        h5dump -d outcome_undefined "$TMP/nan.h5" | grep -q "500"
}
check "undefined outcomes are counted, and the answer names none when they exceed 1%" nan_answer
