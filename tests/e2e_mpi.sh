#!/usr/bin/env bash
# e2e_mpi.sh - beyond one machine: --shard I/N + `gapsim merge` (always), and mpirun runs
# of the MPI build (make MPI=1) when that binary exists.  Every result must equal the
# serial run bit for bit (h5diff, root attributes such as `history` and `created`
# excluded).  Prints "ok N - ..." / "not ok N - ..." lines.
#
# The MPI checks use $MPI_GAPSIM, else $GAPSIM when it is linked with MPI (make MPI=1
# test-mpi), else build-mpi/gapsim; the serial reference is $SERIAL_GAPSIM, else
# build/gapsim, else $GAPSIM.  mpirun runs as in CI: as root allowed, oversubscribed,
# with ROMIO for MPI-IO (OpenMPI's ompio can hang collective HDF5 writes), each under
# `timeout` so that a hang fails instead of blocking, and with
# OMPI_MCA_mpi_yield_when_idle=1 (a rank waiting in a collective yields its core instead
# of busy-polling it: with more ranks than free cores, polling starves the rank waited for).
. tests/lib_e2e.sh
export OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMPI_MCA_rmaps_base_oversubscribe=1
is_mpi() { ldd "$1" 2>/dev/null | grep -q libmpi; }
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
SERIAL=${SERIAL_GAPSIM:-}
[ -z "$SERIAL" ] && ! is_mpi "$GAPSIM" && SERIAL=$GAPSIM
[ -z "$SERIAL" ] && [ -x build/gapsim ] && build/gapsim run --help | grep -q -- --shard && SERIAL=$(abs build/gapsim)
[ -z "$SERIAL" ] && SERIAL=$GAPSIM
MPI=${MPI_GAPSIM:-}
[ -z "$MPI" ] && is_mpi "$GAPSIM" && MPI=$GAPSIM
[ -z "$MPI" ] && [ -x build-mpi/gapsim ] && MPI=$(abs build-mpi/gapsim)
S=scenarios/baseline_point.yaml
SW=scenarios/phase_sweep.yaml
same() { h5diff --exclude-attribute / "$1" "$2" || { echo "h5diff: $1 and $2 differ"; return 1; }; }

# --- shards and merge ---------------------------------------------------------------
"$SERIAL" run $S -n 5000 --paths 3000 -q -o "$TMP/single.h5" || echo "serial run failed"
shards() { # OUT-PREFIX N ARGS...: every shard of a run
    local pre=$1 N=$2 i
    shift 2
    for ((i = 0; i < N; i++)); do "$SERIAL" run "$@" --shard $i/$N -q -o "$pre$i.h5" || return 1; done
}
merge_equal() {
    shards "$TMP/p" 3 $S -n 5000 --paths 3000 || return 1
    "$SERIAL" merge -q -o "$TMP/merged.h5" "$TMP/p2.h5" "$TMP/p0.h5" "$TMP/p1.h5" || return 1
    same "$TMP/single.h5" "$TMP/merged.h5"
}
check "3 shards merged (given out of order) = the single run, paths included" merge_equal
sweep_merge() {
    "$SERIAL" run $SW -n 1100 -q -o "$TMP/sw.h5" || return 1
    shards "$TMP/sp" 2 $SW -n 1100 || return 1
    "$SERIAL" merge -q -o "$TMP/sw_merged.h5" "$TMP/sp0.h5" "$TMP/sp1.h5" || return 1
    same "$TMP/sw.h5" "$TMP/sw_merged.h5"
}
check "a sweep's 2 shards merged = the single sweep" sweep_merge
more_shards() { # more shards than blocks: shard 2 of 3 of 1500 trajectories is empty
    "$SERIAL" run $S -n 1500 --paths 1500 -q -o "$TMP/s1500.h5" || return 1
    shards "$TMP/e" 3 $S -n 1500 --paths 1500 || return 1
    "$SERIAL" merge -q -o "$TMP/e.h5" "$TMP"/e?.h5 || return 1
    same "$TMP/s1500.h5" "$TMP/e.h5"
}
check "more shards than blocks (an empty shard) merge to the single run" more_shards
isa_is() { # FILE WANT: the root attribute isa
    "$PY" - "$1" "$2" <<'PY'
import sys, h5py
got = h5py.File(sys.argv[1], "r").attrs["isa"]
got = got.decode() if isinstance(got, bytes) else str(got)
if got != sys.argv[2]: sys.exit(f"{sys.argv[1]}: isa = {got!r}, want {sys.argv[2]!r}")
PY
}
merged_isa() { # each partial file records its level; the merge writes the shards' one
    GAPSIM_ISA=portable shards "$TMP/ip" 3 $S -n 3000 || return 1
    isa_is "$TMP/ip1.h5" portable || return 1
    "$SERIAL" merge -q -o "$TMP/im.h5" "$TMP/ip2.h5" "$TMP/ip0.h5" "$TMP/ip1.h5" || return 1
    isa_is "$TMP/im.h5" portable || return 1
    cp "$TMP/ip1.h5" "$TMP/old1.h5" # a partial file of an older version: no isa
    "$PY" -c 'import sys, h5py; del h5py.File(sys.argv[1], "r+").attrs["isa"]' "$TMP/old1.h5" || return 1
    "$SERIAL" merge -q -o "$TMP/iold.h5" "$TMP/ip0.h5" "$TMP/old1.h5" "$TMP/ip2.h5" || return 1
    isa_is "$TMP/iold.h5" unknown
}
check "a shard records its isa; merge writes it (portable), unknown without it" merged_isa
mixed_isa() { # shards on different levels: "mixed: a,b" in shard order, the same data
    GAPSIM_ISA=avx2 "$SERIAL" run $S -n 3000 --shard 1/3 -q -o "$TMP/ia1.h5" || return 1
    isa_is "$TMP/ia1.h5" avx2 || return 1
    "$SERIAL" merge -q -o "$TMP/imix.h5" "$TMP/ip0.h5" "$TMP/ia1.h5" "$TMP/ip2.h5" || return 1
    isa_is "$TMP/imix.h5" "mixed: portable,avx2" && same "$TMP/im.h5" "$TMP/imix.h5"
}
if GAPSIM_ISA=avx2 "$SERIAL" run $S -n 10 -q -o "$TMP/probe.h5" >/dev/null 2>&1; then
    check "shards on portable and avx2 merge to isa 'mixed: portable,avx2', the same data" mixed_isa
else
    skip "shards on two levels (mixed isa)" "this CPU lacks avx2"
fi
refused() { # MESSAGE-PART FILES...: merge exits 2 naming the problem, writes nothing
    local want=$1
    shift
    rm -f "$TMP/bad.h5"
    exit_code 2 "$SERIAL" merge -q -o "$TMP/bad.h5" "$@" || return 1
    grep -q "$want" "$TMP/last.err" || { echo "message lacks '$want':"; cat "$TMP/last.err"; return 1; }
    [ ! -e "$TMP/bad.h5" ] || { echo "output written"; return 1; }
}
check "merge refuses a missing shard" refused "shard 1/3 is missing" "$TMP/p0.h5" "$TMP/p2.h5"
check "merge refuses a duplicate shard" refused "given twice" "$TMP/p0.h5" "$TMP/p1.h5" "$TMP/p1.h5" "$TMP/p2.h5"
"$SERIAL" run $S -n 5000 --paths 3000 --seed 7 --shard 1/3 -q -o "$TMP/seed7.h5"
check "merge refuses a shard of another seed" refused "different seeds" "$TMP/p0.h5" "$TMP/seed7.h5" "$TMP/p2.h5"
"$SERIAL" run scenarios/chip_crunch.yaml -n 5000 --paths 3000 --shard 1/3 -q -o "$TMP/other.h5"
check "merge refuses a shard of another scenario" refused "different scenarios" "$TMP/p0.h5" "$TMP/other.h5" "$TMP/p2.h5"
check "merge refuses a file that is not a partial file" refused "not a gapsim --shard partial file" "$TMP/single.h5"
check "--shard 3/3 is a usage error (2)" exit_code 2 "$SERIAL" run $S --shard 3/3 -o "$TMP/x.h5"
check "--shard with --target-se is refused (2)" exit_code 2 "$SERIAL" run $S --shard 0/2 --target-se 0.01 -o "$TMP/x.h5"

# --- MPI ----------------------------------------------------------------------------
if [ -z "$MPI" ] || ! command -v mpirun >/dev/null; then
    skip "mpirun checks" "no MPI build (make MPI=1) or no mpirun"
    exit 0
fi
mpi() { # NP ARGS...: mpirun of the MPI binary, killed after 600 s (a hang fails; a loaded CI machine is not a hang)
    local np=$1
    shift
    timeout 600 mpirun --allow-run-as-root --oversubscribe -np "$np" "$MPI" "$@"
}
for np in 2 3; do
    check "mpirun -np $np: run with paths = serial" bash -c \
        "$(declare -f mpi same); MPI='$MPI'; mpi $np run $S -n 5000 --paths 3000 -q -o '$TMP/m$np.h5' && same '$TMP/single.h5' '$TMP/m$np.h5'"
    check "mpirun -np $np: sweep = serial" bash -c \
        "$(declare -f mpi same); MPI='$MPI'; mpi $np run $SW -n 1100 -q -o '$TMP/msw$np.h5' && same '$TMP/sw.h5' '$TMP/msw$np.h5'"
done
# enough trajectories that the cross-rank quantile selection refines buckets over
# several rounds, with 2 threads per rank running the batched local passes
"$SERIAL" run $S -n 300000 -t 2 -q -o "$TMP/big.h5"
check "mpirun -np 2, 2 threads each, 300000 trajectories (refined quantiles) = serial" bash -c \
    "$(declare -f mpi same); MPI='$MPI'; OMP_NUM_THREADS=2 mpi 2 run $S -n 300000 -t 2 -q -o '$TMP/mbig.h5' && same '$TMP/big.h5' '$TMP/mbig.h5'"
check "mpirun -np 3 with 2 blocks (a rank with nothing to do) = serial" bash -c \
    "$(declare -f mpi same); MPI='$MPI'; mpi 3 run $S -n 1500 --paths 1500 -q -o '$TMP/m1500.h5' && same '$TMP/s1500.h5' '$TMP/m1500.h5'"
"$SERIAL" run scenarios/uncertain.yaml -n 1200 -q -o "$TMP/unc.h5"
check "mpirun -np 2: uncertain parameters and sensitivity = serial" bash -c \
    "$(declare -f mpi same); MPI='$MPI'; mpi 2 run scenarios/uncertain.yaml -n 1200 -q -o '$TMP/munc.h5' && same '$TMP/unc.h5' '$TMP/munc.h5'"
bad_mpi() { # a bad scenario: every rank stops at once, non-zero, one gapsim message
    local start=$SECONDS rc
    mpi 3 run tests/data/bad/correlation_not_pd.yaml -n 100 -o "$TMP/bad.h5" >"$TMP/mpi.out" 2>&1
    rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "exit $rc"; return 1; }
    [ $((SECONDS - start)) -lt 60 ] || { echo "took $((SECONDS - start)) s"; return 1; }
    [ "$(grep -c '^gapsim:' "$TMP/mpi.out")" -eq 1 ] || { cat "$TMP/mpi.out"; return 1; }
    [ ! -e "$TMP/bad.h5" ]
}
check "mpirun -np 3: a bad scenario exits non-zero promptly, one message" bad_mpi
unwritable() {
    mpi 2 run $S -n 2000 -q -o /nonexistent-dir/x.h5 >"$TMP/mpi.out" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "exit $rc"; return 1; }
    grep -q "^gapsim: writing /nonexistent-dir/x.h5" "$TMP/mpi.out" || { cat "$TMP/mpi.out"; return 1; }
}
check "mpirun -np 2: unwritable output exits non-zero with one message" unwritable
summary_once() {
    mpi 3 run $S -n 2000 -o "$TMP/sum.h5" >"$TMP/mpi.out" 2>/dev/null || return 1
    [ "$(grep -c '^Wrote ' "$TMP/mpi.out")" -eq 1 ] || { cat "$TMP/mpi.out"; return 1; }
}
check "mpirun -np 3: rank 0 alone prints the summary" summary_once
