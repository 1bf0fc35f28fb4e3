#!/usr/bin/env bash
# run_tests.sh - runs every test tier and prints one closing line "N passed, N failed".
#   unit + statistical: build/tests/test_* (cmocka), counted per test case
#   end-to-end: tests/e2e*.sh, the real binary on real scenario files, counted per check
# TIER=long (make test-long) runs instead the long tier, tests/long/*.sh: the high-N
# statistical checks, in the same ok/not ok form.
# Run from the repository root (make test does).
set -u
BUILD=${BUILD:-build}
export BUILD PY=${PY:-/usr/bin/python3} PCG_REF=${PCG_REF:-$BUILD/tests/pcg_ref}
# Under SANITIZE=address: libhdf5's own caches are not freed at exit once h5util_init has
# turned its exit handler off (H5dont_atexit, so that a failed write cannot crash there);
# LeakSanitizer is told they are libhdf5's, gapsim's own allocations are still checked.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan-hdf5.supp}
passed=0 failed=0 failures=()
scripts=(tests/e2e*.sh)
[ "${TIER:-}" = long ] && scripts=(tests/long/*.sh)

for t in "$BUILD"/tests/test_*; do
    [ "${TIER:-}" = long ] && break
    [ -x "$t" ] || continue
    name=$(basename "$t")
    echo "== $name"
    out=$("$t" 2>&1)
    rc=$?
    echo "$out" | grep -E '^\[ *(RUN|FAILED|ERROR|PASSED) *\]|^\[  SKIPPED|error|Error|expected|SE' | grep -v '^\[ RUN' || true
    p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    p=${p:-0} f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$out" | tail -n 20; fi
    passed=$((passed + p)) failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$name")
done

for e in "${scripts[@]}"; do
    name=$(basename "$e" .sh)
    echo "== $name"
    e2e_out=$(bash "$e" 2>&1)
    echo "$e2e_out"
    p=$(echo "$e2e_out" | grep -c '^ok ')
    f=$(echo "$e2e_out" | grep -c '^not ok ')
    passed=$((passed + p)) failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$name")
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
