#!/usr/bin/env bash
# bench_mpi.sh - scaling of the MPI build (make MPI=1 bench-mpi).  Prints figures;
# asserts nothing.  Baseline scenario, one OpenMP thread per rank (so that ranks, not
# threads, share the cores), best of 3 wall times:
#   strong scaling: N = $STRONG trajectories on 1, 2, 3 ranks: time, speed-up, efficiency
#   weak scaling:   N = $WEAK trajectories per rank on 1, 2, 3 ranks: time, efficiency
# With more ranks than cores (3 ranks on 2 cores here) mpirun runs --oversubscribe and
# the figures measure time sharing, not scaling.  Waiting ranks yield their core
# (OMPI_MCA_mpi_yield_when_idle=1) instead of busy-polling it, which with as many ranks
# as cores (or more) would take the core from the rank being waited for.
set -eu
BUILD=${BUILD:-build-mpi}
GAPSIM=$BUILD/gapsim
STRONG=${STRONG:-400000}
WEAK=${WEAK:-200000}
CORES=$(nproc)
export OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
ldd "$GAPSIM" | grep -q libmpi || { echo "bench-mpi: $GAPSIM is not an MPI build: make MPI=1 bench-mpi"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
best() { # NP N: best of 3 wall-clock seconds
    local b=999999 t
    for _ in 1 2 3; do
        t=$( { /usr/bin/time -f %e mpirun --allow-run-as-root --oversubscribe -np "$1" "$GAPSIM" run \
            scenarios/baseline_point.yaml -n "$2" -t 1 -q -o "$TMP/b.h5" >/dev/null; } 2>&1 | tail -n 1)
        b=$(awk -v a="$b" -v c="$t" 'BEGIN { print (c < a ? c : a) }')
    done
    echo "$b"
}
echo "bench-mpi: $CORES cores, $(mpirun --version | head -n 1), 1 thread per rank, best of 3, yield_when_idle=$OMPI_MCA_mpi_yield_when_idle"
echo "strong scaling, N = $STRONG:"
t1=$(best 1 "$STRONG")
for np in 1 2 3; do
    t=$([ "$np" = 1 ] && echo "$t1" || best "$np" "$STRONG")
    awk -v np="$np" -v t="$t" -v t1="$t1" -v n="$STRONG" 'BEGIN { printf "  %d rank(s)  %6.2f s  speed-up %.2f  efficiency %3.0f%%  %.2e trajectory-cycles/s\n", np, t, t1 / t, 100 * t1 / t / np, n * 17 / t }'
done
echo "weak scaling, N = $WEAK per rank:"
w1=$(best 1 "$WEAK")
for np in 1 2 3; do
    t=$([ "$np" = 1 ] && echo "$w1" || best "$np" $((WEAK * np)))
    awk -v np="$np" -v t="$t" -v t1="$w1" -v n=$((WEAK * np)) 'BEGIN { printf "  %d rank(s)  N = %7d  %6.2f s  efficiency %3.0f%%\n", np, n, t, 100 * t1 / t }'
done
