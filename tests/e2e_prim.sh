#!/usr/bin/env bash
# e2e_prim.sh - PRIM (sim/prim.c) against a second, independent implementation: the plain
# NumPy PRIM of tests/prim_reference.py, written from Friedman & Fisher (1999) on the
# values themselves.  Both run on
#   1. tests/data/prim_uncertain.csv.gz: 8 uncertain-parameter draws, the shock summaries and
#      the premium's class of 18,807 trajectories of a version 2 run of
#      scenarios/uncertain.yaml kept with --keep-draws (tests/data/README.md),
#      target "the premium compounds", default options, two boxes in turn;
#   2. a known box in [0,1]^5 with 5% label noise (NumPy, fixed seed), peel_alpha 0.1 and
#      paste_alpha 0.02, where pasting happens, two boxes.
# Checked: every step's rows, positives and restricted columns exactly, coverage, density
# and mass to 1e-12, the knee, the pasting, the limits, the density gains to 1e-12 and
# the quasi-p values (GSL against SciPy) to 1e-6 relative; and
#   3. with the MPI build of tests/prim_mpi.c, 2 ranks against one process, bit for bit.
# Prints "ok ..." / "not ok ...".
set -u
BUILD=${BUILD:-build}
PY=${PY:-/usr/bin/python3}
TOOL=$BUILD/tests/prim_tool
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$TOOL" ]; then
    echo "not ok prim: $TOOL is missing (make $TOOL)"
    exit 0
fi
if ! "$PY" -c 'import numpy, scipy' 2>/dev/null; then
    echo "not ok prim: $PY cannot import numpy and scipy"
    exit 0
fi

gzip -dc tests/data/prim_uncertain.csv.gz > "$TMP/uncertain.csv"
if "$TOOL" run "$TMP/uncertain.csv" 0.05 0.05 0.05 2 > "$TMP/uncertain.out"; then
    "$PY" tests/prim_reference.py tests/data/prim_uncertain.csv.gz "$TMP/uncertain.out" \
        0.05 0.05 0.05 2 | sed 's/^\(not \)\{0,1\}ok prim/&, uncertain.yaml/'
else
    echo "not ok prim, uncertain.yaml: prim_tool run failed"
fi

"$PY" - "$TMP/box.csv" <<'PYEOF'
import sys
import numpy as np
r = np.random.default_rng(5)
x = r.random((6000, 5)).astype(np.float32)
inside = (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.5) & (x[:, 1] <= 0.9)
cls = np.where(inside ^ (r.random(6000) < 0.05), 0, 1)  # class 0 is the target
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,d,e,class\n")
    for row, c in zip(x, cls):
        f.write(",".join("%.5g" % v for v in row) + ",%d\n" % c)
PYEOF
if "$TOOL" run "$TMP/box.csv" 0.1 0.02 0.05 2 > "$TMP/box.out"; then
    "$PY" tests/prim_reference.py "$TMP/box.csv" "$TMP/box.out" 0.1 0.02 0.05 2 |
        sed 's/^\(not \)\{0,1\}ok prim/&, known box/'
    grep -q 'pastes [1-9]' "$TMP/box.out" && echo "ok prim, known box: pasting was exercised" ||
        echo "not ok prim, known box: no paste happened, the check of pasting is void"
else
    echo "not ok prim, known box: prim_tool run failed"
fi

# 3. the same discovery over 2 MPI ranks, each holding half the rows, against one process
#    (tests/prim_mpi.c), when the MPI build of the helper exists.
MPI_PRIM=${MPI_PRIM:-build-mpi/tests/prim_mpi}
if [ -x "$MPI_PRIM" ] && command -v mpirun >/dev/null; then
    OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        OMPI_MCA_mpi_yield_when_idle=1 OMP_NUM_THREADS=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
        timeout 300 mpirun -np 2 "$MPI_PRIM" 2>&1 | grep -E '^(not )?ok' ||
        echo "not ok prim, 2 MPI ranks: mpirun failed or timed out"
else
    echo "ok prim, 2 MPI ranks # SKIP no $MPI_PRIM (make MPI=1 $MPI_PRIM) or no mpirun"
fi
