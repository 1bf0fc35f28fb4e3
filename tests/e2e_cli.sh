#!/usr/bin/env bash
# e2e_cli.sh - the command line as users type it: per-command --help, --opt=value,
# bundled short options, usage errors with the command's hint, the terminal messages,
# the man page, the bash completion, the README's command reference, make help and
# make clean.  Prints "ok N - name" / "not ok N - name".  Run from the repository root.
. tests/lib_e2e.sh
S=scenarios/baseline_point.yaml

# The options each command must mention in its --help (written out here, not taken from
# the table the help text comes from, so that a lost option is noticed).
declare -A want_options=(
    [run]="--output -o --trajectories -n --seed --threads -t --set --paths --shard --quiet -q --dry-run --memory --resume --target-se --max-trajectories --antithetic --crn --no-crn --keep-draws --help"
    [sweep]="--output --trajectories --seed --set --target-se --no-crn --resume --help"
    [check]="--set --target-se --max-trajectories --antithetic --crn --no-crn --upgrade --output -o --help"
    [merge]="--output -o --quiet --help"
    [keys]="--help"
    [summary]="--point --help"
    [compare]="--point --point-a --point-b --help"
    [plot]="--output --format --dpi --only --metric --help"
    [report]="--output --metric --help"
    [export]="--format --output --help"
    [discover]="--metric --outcome --density --box-count --by-cycle --peel-alpha --paste-alpha --min-mass --output -o --threads -t --quiet -q --help"
    [help]="--all --man --markdown --bash-completion --help"
)
commands=$("$GAPSIM" --help | sed -n 's/^\(usage:\)\{0,1\} *gapsim \([a-z][a-z]*\).*/\2/p')

help_of() { # help_of CMD: exit 0, "usage: gapsim CMD", every wanted option, = `help CMD`
    local cmd=$1 opt
    exit_code 0 "$GAPSIM" "$cmd" --help || return 1
    grep -q "^usage: gapsim $cmd" "$TMP/last.out" || { echo "no usage line"; return 1; }
    for opt in ${want_options[$cmd]}; do
        grep -q -- "$opt\b" "$TMP/last.out" || { echo "$cmd --help lacks $opt"; return 1; }
    done
    "$GAPSIM" help "$cmd" | diff - "$TMP/last.out" || { echo "help $cmd differs"; return 1; }
    exit_code 0 "$GAPSIM" "$cmd" -h
}
unknown_option() { # exit 2, the option named, the command's hint
    exit_code 2 "$GAPSIM" "$1" --frobnicate || return 1
    grep -q -- "--frobnicate" "$TMP/last.err" &&
        grep -q "Try 'gapsim $1 --help'" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
}
check "gapsim --help lists every command of the test (${#want_options[@]})" \
    test "$(echo $commands | wc -w)" -eq "${#want_options[@]}"
for cmd in $commands; do
    [ -n "${want_options[$cmd]:-}" ] || { check "$cmd is known to this test" false; continue; }
    check "$cmd --help: exit 0, usage and its options; the same as 'help $cmd'" help_of "$cmd"
    check "$cmd --frobnicate: exit 2 with 'Try gapsim $cmd --help'" unknown_option "$cmd"
done

# --- option syntax ------------------------------------------------------------------
trajectories_of() { h5dump -a trajectories "$1" | sed -n 's/.*(0): *\([0-9]*\).*/\1/p'; }
opt_equals() {
    "$GAPSIM" run "$S" --trajectories=300 --seed=5 --output="$TMP/eq.h5" --quiet \
        --set=run.cycles=6 >"$TMP/eq.out" || return 1
    [ ! -s "$TMP/eq.out" ] || { echo "--quiet printed"; return 1; }
    [ "$(trajectories_of "$TMP/eq.h5")" = 300 ] || { echo "not 300 trajectories"; return 1; }
    h5dump -H -d cycle "$TMP/eq.h5" | grep -q '( 7 )'
}
check "--opt=value: --trajectories=300 --output=F --set=KEY=V" opt_equals
bundled() {
    (cd "$TMP" && "$GAPSIM" run "$OLDPWD/$S" -qn 400 -t1 -obundled.h5 >bundled.out) || return 1
    [ ! -s "$TMP/bundled.out" ] || { echo "-q was not taken"; return 1; }
    [ "$(trajectories_of "$TMP/bundled.h5")" = 400 ] || { echo "-n 400 was not taken"; return 1; }
    "$GAPSIM" run "$S" -qn500 -o "$TMP/b2.h5" && [ "$(trajectories_of "$TMP/b2.h5")" = 500 ]
}
check "bundled short options: -qn 400, -n500, -oFILE" bundled
check "an ambiguous abbreviation (--t) is a usage error (2)" exit_code 2 "$GAPSIM" run "$S" --t 5
did_you_mean() {
    exit_code 2 "$GAPSIM" summery x.h5 && grep -q "did you mean 'summary'" "$TMP/last.err" &&
        exit_code 2 "$GAPSIM" run "$S" --trajectory=5 &&
        grep -q "did you mean '--trajectories'" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
}
check "a misspelt command or option: 'did you mean' (2)" did_you_mean
check "a missing value is a usage error (2) naming the option" bash -c \
    "'$GAPSIM' run '$S' -n 2>&1 >/dev/null | grep -q -- '--trajectories needs a value'"

# --- terminal messages ------------------------------------------------------------------
set_space() {
    exit_code 2 "$GAPSIM" run "$S" --set hardware.vol 0.5 -o "$TMP/sp.h5" || return 1
    grep -q "use KEY=VALUE" "$TMP/last.err" && grep -q "hardware.vol=0.5" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
    [ ! -e "$TMP/sp.h5" ] || { echo "output written"; return 1; }
    exit_code 2 "$GAPSIM" check "$S" --set hardware.vol && grep -q "use KEY=VALUE" "$TMP/last.err"
}
check "--set hardware.vol 0.5 says 'use KEY=VALUE' (exit 2, nothing written)" set_space
result_to_run() {
    "$GAPSIM" run "$S" -q -n 200 -o "$TMP/r.h5" || return 1
    local cmd
    for cmd in run sweep check; do
        exit_code 2 "$GAPSIM" "$cmd" "$TMP/r.h5" || return 1
        grep -q "this is a result file; did you mean \`gapsim summary" "$TMP/last.err" ||
            { cat "$TMP/last.err"; return 1; }
    done
}
check "a result file given to run/sweep/check: 'did you mean gapsim summary?' (2)" result_to_run
export_dispatch() { # export goes to analysis/gapsim_export.py; a missing script is named
    mkdir -p "$TMP/ana" && cp analysis/gapsim_plot.py "$TMP/ana/"
    GAPSIM_ANALYSIS_DIR="$TMP/ana" "$GAPSIM" export "$TMP/r.h5" --format csv 2>"$TMP/ex.err"
    local rc=$?
    [ "$rc" -eq 1 ] && grep -q "gapsim_export.py, which is missing" "$TMP/ex.err" ||
        { echo "exit $rc"; cat "$TMP/ex.err"; return 1; }
    exit_code 2 "$GAPSIM" export "$TMP/r.h5" --format xml || return 1
    # a stand-in script shows what gapsim passes on
    printf 'import sys\nprint(" ".join(sys.argv[1:]))\n' >"$TMP/ana/gapsim_export.py"
    GAPSIM_ANALYSIS_DIR="$TMP/ana" "$GAPSIM" export "$TMP/r.h5" --format=json -o "$TMP/x.json" \
        >"$TMP/ex.out" || return 1
    grep -qx "$TMP/r.h5 -o $TMP/x.json --format json" "$TMP/ex.out" || { cat "$TMP/ex.out"; return 1; }
}
check "export runs analysis/gapsim_export.py; a missing script is named (exit 1)" export_dispatch

# --- man page, completion, README ---------------------------------------------------------
man_page() {
    "$GAPSIM" help --man >"$TMP/gapsim.1" || return 1
    local cmd
    if command -v groff >/dev/null; then
        groff -man -Tutf8 -ww -z "$TMP/gapsim.1" 2>"$TMP/groff.err" || return 1
        [ ! -s "$TMP/groff.err" ] || { cat "$TMP/groff.err"; return 1; }
        groff -man -Tutf8 "$TMP/gapsim.1" 2>/dev/null | col -b >"$TMP/man.txt"
    else
        sed 's/\\//g' "$TMP/gapsim.1" >"$TMP/man.txt" # no groff: the source, unescaped
    fi
    for cmd in $commands; do
        grep -q "gapsim $cmd" "$TMP/man.txt" || { echo "man page lacks $cmd"; return 1; }
    done
    grep -q -- "--max-trajectories" "$TMP/man.txt" && grep -q "EXIT STATUS" "$TMP/man.txt"
}
check "man page (gapsim help --man): every command, no groff warning" man_page
complete_words() { # complete_words WORD...: what the completion offers for the last word
    bash -c '. <("$1" help --bash-completion); shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
             cd "$TMPDIR_"; _gapsim; printf "%s\n" "${COMPREPLY[@]}"' _ "$GAPSIM" "$@"
}
completion() {
    export TMPDIR_="$TMP/comp"
    mkdir -p "$TMPDIR_" && touch "$TMPDIR_/a.yaml" "$TMPDIR_/b.h5"
    complete_words gapsim su | grep -qx summary || { echo "no command"; return 1; }
    complete_words gapsim run --traj | grep -qx -- --trajectories || { echo "no option"; return 1; }
    complete_words gapsim plot --d | grep -qx -- --dpi || { echo "no plot option"; return 1; }
    complete_words gapsim run --set hardware.v | grep -qx hardware.vol= || { echo "no key"; return 1; }
    complete_words gapsim run "" | grep -qx a.yaml || { echo "no scenario file"; return 1; }
    complete_words gapsim summary "" | grep -qx b.h5 || { echo "no result file"; return 1; }
    ! complete_words gapsim summary "" | grep -qx a.yaml || { echo "offered a.yaml"; return 1; }
}
check "bash completion: commands, options, --set keys, files by kind" completion
readme_reference() {
    sed -n '/<!-- commands:begin -->/,/<!-- commands:end -->/p' README.md | sed '1d;$d' \
        >"$TMP/readme_cmds"
    "$GAPSIM" help --markdown >"$TMP/cmds"
    diff "$TMP/cmds" "$TMP/readme_cmds" || {
        echo "README command reference is stale: paste 'build/gapsim help --markdown' between the markers"
        return 1
    }
}
check "README command reference equals 'gapsim help --markdown'" readme_reference

# --- the Makefile ---------------------------------------------------------------------------
make_help() { # every target of a .PHONY line is listed by make help
    local t out
    out=$(make -s help) || return 1
    for t in $(sed -n 's/^\.PHONY: *//p' Makefile); do
        echo "$out" | grep -q "make .*\b$t\b" || { echo "make help lacks $t"; return 1; }
    done
}
check "make help lists every .PHONY target" make_help
make_clean() { # in a scratch copy: every build directory goes, sources and results stay
    local d="$TMP/clean"
    mkdir -p "$d"/{build/tests,build-san,build-mpi,build-x,analysis/__pycache__,output,sim}
    cp Makefile "$d/"
    touch "$d/build/gapsim" "$d/build-mpi/gapsim" "$d/output/keep.h5" "$d/sim/x.c"
    make -s -C "$d" clean BUILD=build-x >/dev/null || return 1
    [ ! -e "$d/build" ] && [ ! -e "$d/build-san" ] && [ ! -e "$d/build-mpi" ] && [ ! -e "$d/build-x" ] &&
        [ ! -e "$d/analysis/__pycache__" ] || { echo "left:"; ls "$d"; return 1; }
    [ -e "$d/output/keep.h5" ] && [ -e "$d/sim/x.c" ] && [ -e "$d/Makefile" ]
}
check "make clean removes build, build-san, build-mpi, build-* and caches, keeps the rest" make_clean
# --threads 1: no second thread anywhere (draws, designs, summaries too).  An LD_PRELOAD
# shim logs every pthread_create; the control (-t 2 must log some) shows that it sees
# this build's threads (a sanitizer runtime may intercept them first: then skipped).
cc -shared -fPIC -o "$TMP/threadlog.so" tests/threadlog.c -ldl
sed '/^sensitivity:/,$d' scenarios/uncertain.yaml >"$TMP/unc.yaml"
THREADLOG="$TMP/t2.log" LD_PRELOAD="$TMP/threadlog.so" \
    "$GAPSIM" run "$TMP/unc.yaml" -q -n 3000 -t 2 -o "$TMP/t2.h5" 2>/dev/null
threads_bound() {
    THREADLOG="$TMP/t1.log" LD_PRELOAD="$TMP/threadlog.so" \
        "$GAPSIM" run "$TMP/unc.yaml" -q -n 3000 -t 1 -o "$TMP/t1.h5" || return 1
    [ ! -s "$TMP/t1.log" ] || { echo "-t 1 started $(wc -l <"$TMP/t1.log") threads"; return 1; }
    h5diff -q --exclude-attribute / "$TMP/t1.h5" "$TMP/t2.h5" || { echo "-t 1 and -t 2 differ"; return 1; }
}
if [ -s "$TMP/t2.log" ]; then
    check "--threads 1 starts no second thread (parameter draws included), same file as -t 2" threads_bound
else
    skip "--threads 1 starts no second thread" "the shim does not see this build's thread creation"
fi

# The closing "Wrote" line times every phase that took time: an uncertain run's parameter
# draws (with their summary), a sensitivity analysis; the total covers the phases it
# names (each printed to 0.01 s).  A point-valued run names no draws.  20000 trajectories
# of 63 parameters: draws of a few hundredths of a second, which a total without them
# would miss.
wrote_phases() { # FILE [WANTED PHASE...]: the line parses, the phases are named, sum <= total
    local line file=$1 p
    shift
    line=$(grep '^Wrote ' "$file") || { echo "no Wrote line"; return 1; }
    for p in "$@"; do
        echo "$line" | grep -Eq " $p [0-9.]+s[,)]" || { echo "no $p in: $line"; return 1; }
    done
    echo "$line" | awk '{
        s = $0; sub(/^[^(]*\(/, "", s); split(s, a, "s: "); total = a[1] + 0
        n = split(a[2], part, ", "); sum = 0
        for (i = 1; i <= n; i++) { split(part[i], f, " "); sum += f[2] + 0 }
        if (sum > total + 0.005 * (n + 1) + 1e-9) { print "phases sum to " sum " > total " total; exit 1 }
    }'
}
timing_line() {
    "$GAPSIM" run "$S" -n 2000 -t 1 -o "$TMP/tp.h5" >"$TMP/tp.out" 2>/dev/null || return 1
    wrote_phases "$TMP/tp.out" model statistics output || return 1
    ! grep '^Wrote ' "$TMP/tp.out" | grep -q 'draws\|sensitivity' || { echo "a point run names draws"; return 1; }
    "$GAPSIM" run "$TMP/unc.yaml" -n 20000 -t 1 -o "$TMP/tu.h5" >"$TMP/tu.out" 2>/dev/null || return 1
    wrote_phases "$TMP/tu.out" draws model statistics output || return 1
    ! grep '^Wrote ' "$TMP/tu.out" | grep -q sensitivity || { echo "names a sensitivity it did not run"; return 1; }
    sed 's/^  samples: .*/  samples: 64/' scenarios/uncertain.yaml >"$TMP/sens.yaml"
    "$GAPSIM" run "$TMP/sens.yaml" -n 2000 -t 1 -o "$TMP/ts.h5" >"$TMP/ts.out" 2>/dev/null || return 1
    wrote_phases "$TMP/ts.out" draws model statistics sensitivity output || return 1
    "$GAPSIM" run scenarios/baseline.yaml -n 20000 -t 1 -o "$TMP/th.h5" >"$TMP/th.out" 2>/dev/null || return 1
    wrote_phases "$TMP/th.out" draws model statistics output # history matching: every wave's draws
}
check "the Wrote line times the draws and a sensitivity analysis when the run has them" timing_line
