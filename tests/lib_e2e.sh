# lib_e2e.sh - shared by the end-to-end scripts tests/e2e*.sh (sourced, not run).
# Sets BUILD, PY, GAPSIM (absolute path of the binary), TMP (removed at exit) and the
# check counter n, and defines:
#   check NAME COMMAND...       prints "ok N - NAME" if COMMAND exits 0, else "not ok"
#                               and the last lines of its output (set CHECK_VERBOSE=1 to
#                               show the output of passing checks too)
#   exit_code WANT COMMAND...   succeeds if COMMAND exits with status WANT; its output
#                               is kept in $TMP/last.out and $TMP/last.err
#   skip NAME REASON            prints "ok N - NAME # SKIP REASON"
#   same_file A B [ATTR...]     the two result files hold identical data (h5diff) and
#                               identical root attributes, provenance (history, created,
#                               source, threads) and the ATTRs named left out
# Scripts that need more clean-up define e2e_cleanup, which runs before TMP is removed.
set -u
BUILD=${BUILD:-build}
PY=${PY:-/usr/bin/python3}
case $BUILD in /*) GAPSIM=$BUILD/gapsim ;; *) GAPSIM=$PWD/$BUILD/gapsim ;; esac
TMP=$(mktemp -d)
e2e_exit() {
    declare -F e2e_cleanup >/dev/null && e2e_cleanup
    rm -rf "$TMP"
}
trap e2e_exit EXIT
n=0

check() {
    local name=$1
    shift
    n=$((n + 1))
    local out
    if out=$("$@" 2>&1); then
        echo "ok $n - $name"
        [ "${CHECK_VERBOSE:-0}" = 1 ] && echo "$out" | sed 's/^/    # /'
    else
        echo "not ok $n - $name"
        echo "$out" | sed 's/^/    # /' | tail -n 15
    fi
    return 0
}

exit_code() {
    local want=$1
    shift
    "$@" >"$TMP/last.out" 2>"$TMP/last.err"
    local rc=$?
    [ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want"; cat "$TMP/last.err"; return 1; }
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}

same_file() {
    h5diff --exclude-attribute / "$1" "$2" || return 1
    "$PY" - "$@" <<'PY'
import sys, h5py, numpy as np
skip = {"history", "created", "source", "threads", *sys.argv[3:]}
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ka, kb = set(a.attrs) - skip, set(b.attrs) - skip
if ka != kb: sys.exit(f"attributes differ: {sorted(ka ^ kb)}")
for k in sorted(ka):
    if not np.array_equal(np.asarray(a.attrs[k]), np.asarray(b.attrs[k])):
        sys.exit(f"attribute {k} differs")
PY
}
