#!/usr/bin/env bash
# e2e_discover.sh - scenario discovery end to end: `gapsim run --keep-draws` (the
# trajectories group), `gapsim discover`, `gapsim export --format csv` and their bad input.
#   1. the trajectories group: its classes agree with the run's outcome counts, and the
#      run's other datasets are those of a run without --keep-draws;
#   2. the same file (h5diff, root attributes excluded) for 1 and 2 threads, 2 shards +
#      merge and, with the MPI build (make MPI=1), 2 MPI ranks; and the discovery of each
#      (console sentences and the discovery group) equal bit for bit;
#   3. discovery into the result file keeps it whole and replaces an earlier group;
#   4. bad input: a metric or outcome that does not exist, a file without draws, a
#      point-valued run, a sweep with --keep-draws: one line naming the problem, exit 2,
#      and the file untouched;
#   5. export --format csv writes the trajectories table with one row per trajectory.
# Prints "ok N - ..." / "not ok N - ...".
. tests/lib_e2e.sh
export OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
export OMPI_MCA_rmaps_base_oversubscribe=1
# scenarios/uncertain.yaml without its sensitivity: section (shards do not take one)
U=$TMP/uncertain.yaml
sed '/^sensitivity:/,$d' scenarios/uncertain.yaml > "$U"
N=3000
same() { h5diff --exclude-attribute / "$1" "$2" || { echo "h5diff: $1 and $2 differ"; return 1; }; }

"$GAPSIM" run $U -n $N --keep-draws -t 1 -q -o "$TMP/t1.h5" || echo "run -t 1 failed"
"$GAPSIM" run $U -n $N -t 1 -q -o "$TMP/plain.h5" || echo "plain run failed"

classes_agree() {
    "$PY" - "$TMP/t1.h5" "$TMP/plain.h5" <<'PYEOF'
import sys
import h5py
import numpy as np
f, p = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
g = f["trajectories"]
metrics = ["lag_months", "premium", "premium_q", "rent", "closed_share", "closed_labs"]
for q, m in enumerate(metrics):
    c = g["class_" + m][:]
    counts = [int((c == o).sum()) for o in range(3)]
    assert counts == f["outcome_count"][q].tolist(), (m, counts, f["outcome_count"][q])
    assert int((c == -1).sum()) == int(f["outcome_undefined"][q]), m
    assert (g["class_%s_by_cycle" % m][:, -1] == c).all(), m  # the last horizon is K
n = g["trajectory"].shape[0]
assert n == int(f.attrs["trajectories"])
assert len([k for k in g if k.startswith("draw_")]) == 63
for k in ["supply_shocks", "breakthroughs", "governance_switches", "lab_entries", "lab_exits"]:
    x = g[k][:]
    assert x.dtype == np.uint8 and x.shape == (n,) and x.max() > 0, k
cu = g["mean_catch_up"][:]
assert np.nanmin(cu) >= 0 and np.nanmax(cu) <= 1, (np.nanmin(cu), np.nanmax(cu))
import xarray as xr  # netCDF readers take the group
for engine in ("h5netcdf", "netcdf4"):
    t = xr.open_dataset(sys.argv[1], group="trajectories", engine=engine)
    assert t.sizes["trajectory"] == n and (t["class_premium"].values == g["class_premium"][:]).all()
for k in p:  # everything else is the plain run's
    if isinstance(p[k], h5py.Dataset):
        assert np.array_equal(p[k][()], f[k][()], equal_nan=p[k].dtype.kind == "f"), k
PYEOF
}
check "trajectories group: classes = outcome counts, other datasets unchanged" classes_agree

discover_of() { # FILE OUT.h5 OUT.txt: discovery (by cycle, 2 boxes) into a file of its own
    "$GAPSIM" discover "$1" --by-cycle --box-count 2 -o "$2" > "$3"
}
discover_same() { # A B: the discovery of two files is the same bit for bit
    discover_of "$1" "$TMP/da.h5" "$TMP/da.txt" && discover_of "$2" "$TMP/db.h5" "$TMP/db.txt" &&
        cmp <(grep -v '^Wrote' "$TMP/da.txt") <(grep -v '^Wrote' "$TMP/db.txt") && same "$TMP/da.h5" "$TMP/db.h5"
}
threads_same() {
    "$GAPSIM" run $U -n $N --keep-draws -t 2 -q -o "$TMP/t2.h5" && same "$TMP/t1.h5" "$TMP/t2.h5" &&
        discover_same "$TMP/t1.h5" "$TMP/t2.h5" &&
        "$GAPSIM" discover "$TMP/t1.h5" -t 1 --by-cycle -o "$TMP/dt1.h5" >/dev/null &&
        "$GAPSIM" discover "$TMP/t1.h5" -t 2 --by-cycle -o "$TMP/dt2.h5" >/dev/null &&
        same "$TMP/dt1.h5" "$TMP/dt2.h5"
}
check "1 and 2 threads: the same trajectories and the same discovery (run and discover)" threads_same
shards_same() {
    for i in 0 1; do "$GAPSIM" run $U -n $N --keep-draws --shard $i/2 -q -o "$TMP/s$i.h5" || return 1; done
    "$GAPSIM" merge -q -o "$TMP/merged.h5" "$TMP/s1.h5" "$TMP/s0.h5" || return 1
    same "$TMP/t1.h5" "$TMP/merged.h5" && discover_same "$TMP/t1.h5" "$TMP/merged.h5"
}
check "2 shards + merge: the same trajectories and the same discovery" shards_same
mixed_shards() { # shards with and without --keep-draws are not one run
    "$GAPSIM" run $U -n $N --shard 1/2 -q -o "$TMP/s1plain.h5" || return 1
    exit_code 2 "$GAPSIM" merge -q -o "$TMP/mixed.h5" "$TMP/s0.h5" "$TMP/s1plain.h5" &&
        grep -q -- "--keep-draws" "$TMP/last.err" && [ ! -e "$TMP/mixed.h5" ]
}
check "merge refuses shards of which only some kept the draws" mixed_shards

MPI=${MPI_GAPSIM:-}
[ -z "$MPI" ] && [ -x build-mpi/gapsim ] && MPI=build-mpi/gapsim
if [ -z "$MPI" ] || ! command -v mpirun >/dev/null; then
    skip "2 MPI ranks: the same trajectories and discovery" "no MPI build (make MPI=1) or no mpirun"
else
    mpi_same() {
        OMP_NUM_THREADS=1 timeout 300 mpirun -np 2 "$MPI" run $U -n $N --keep-draws -q \
            -o "$TMP/mpi.h5" || return 1
        same "$TMP/t1.h5" "$TMP/mpi.h5" && discover_same "$TMP/t1.h5" "$TMP/mpi.h5"
    }
    check "2 MPI ranks: the same trajectories and the same discovery" mpi_same
fi

into_file() {
    cp "$TMP/t1.h5" "$TMP/into.h5"
    "$GAPSIM" discover "$TMP/into.h5" -q && "$GAPSIM" discover "$TMP/into.h5" --density 0.8 -q &&
        "$GAPSIM" summary "$TMP/into.h5" >/dev/null &&
        "$PY" - "$TMP/into.h5" "$TMP/t1.h5" <<'PYEOF'
import sys
import h5py
import numpy as np
f, o = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
g = f["discovery/premium_compound"]
assert g.attrs["choice"] == b"threshold" and g.attrs["threshold"] == 0.8  # replaced
assert list(f["discovery"]) == ["premium_compound"]
b = g["box_0"]
assert b.attrs["density"] >= 0.8
t = b["trajectory"][:]
assert t["rows"][0] == g.attrs["rows"] and (np.diff(t["rows"].astype(np.int64)) < 0).all()
lim = b["limits"][:]
assert lim.shape[0] == len(g.attrs["columns"].decode().split("\n")) == g["importance"].shape[0]
for k in o:  # the run's data are still there, unchanged
    if isinstance(o[k], h5py.Dataset):
        assert np.array_equal(o[k][()], f[k][()], equal_nan=o[k].dtype.kind == "f"), k
assert f.attrs["completed"] == 1
PYEOF
}
check "discovery into the result file: group replaced, the run's data intact" into_file
section() { # a discover: section runs the discovery after the run, into its result file
    { cat "$U"; printf 'discover:\n  metric: premium\n  outcome: collapse\n  box_count: 2\n'; } > "$TMP/sec.yaml"
    "$GAPSIM" run "$TMP/sec.yaml" -n 2000 -o "$TMP/sec.h5" > "$TMP/sec.txt" || return 1
    grep -q "the premium collapses in" "$TMP/sec.txt" &&
        "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1]); assert 'trajectories' in f and f['discovery/premium_collapse'].attrs['box_count'] == 2" "$TMP/sec.h5"
}
check "a discover: section keeps the draws and runs the discovery after the run" section
section_bad() { # discover.metric that does not exist: FILE:LINE: KEY: problem, exit 2
    { cat "$U"; printf 'discover:\n  metric: premum\n'; } > "$TMP/secbad.yaml"
    exit_code 2 "$GAPSIM" run "$TMP/secbad.yaml" -n 100 -q -o "$TMP/secbad.h5" &&
        grep -q "secbad.yaml:[0-9]*: discover.metric: 'premum' is not an outcome metric" "$TMP/last.err" &&
        [ ! -e "$TMP/secbad.h5" ] &&
        { printf 'model: 2\ndiscover: {}\n'; } > "$TMP/secpoint.yaml" &&
        exit_code 2 "$GAPSIM" check "$TMP/secpoint.yaml" && grep -q "nothing to discover" "$TMP/last.err"
}
check "bad input: a discover: section naming no metric, or on a point-valued run" section_bad

one_line() { # WANT-PART: exit 2, one line on stderr naming the problem, nothing on stdout
    [ "$(wc -l < "$TMP/last.err")" -eq 1 ] && grep -q -- "$1" "$TMP/last.err" &&
        [ ! -s "$TMP/last.out" ] || { echo "stderr:"; cat "$TMP/last.err"; return 1; }
}
untouched() { # FILE SUM
    [ "$(sha256sum < "$1")" = "$2" ] || { echo "$1 changed"; return 1; }
}
SUM=$(sha256sum < "$TMP/t1.h5")
bad_metric() {
    exit_code 2 "$GAPSIM" discover "$TMP/t1.h5" --metric premum && one_line "'premum' is not an outcome metric" &&
        untouched "$TMP/t1.h5" "$SUM"
}
check "bad input: a metric that does not exist" bad_metric
bad_outcome() {
    exit_code 2 "$GAPSIM" discover "$TMP/t1.h5" --outcome grows && one_line "'grows' is not an outcome" &&
        untouched "$TMP/t1.h5" "$SUM"
}
check "bad input: an outcome that does not exist" bad_outcome
no_draws() {
    local s
    s=$(sha256sum < "$TMP/plain.h5")
    exit_code 2 "$GAPSIM" discover "$TMP/plain.h5" && one_line "no trajectories group" &&
        untouched "$TMP/plain.h5" "$s"
}
check "bad input: a file without draws (no --keep-draws)" no_draws
point_valued() {
    "$GAPSIM" run scenarios/baseline_point.yaml -n 2000 --keep-draws -q -o "$TMP/point.h5" || return 1
    exit_code 2 "$GAPSIM" discover "$TMP/point.h5" && one_line "point-valued run" &&
        "$PY" -c "import h5py,sys; g=h5py.File(sys.argv[1])['trajectories']; assert 'class_premium' in g and not any(k.startswith('draw_') for k in g)" "$TMP/point.h5"
}
check "bad input: a point-valued run (nothing to discover)" point_valued
not_hdf5() {
    echo "not a result" > "$TMP/x.h5"
    exit_code 2 "$GAPSIM" discover "$TMP/x.h5" && [ "$(wc -l < "$TMP/last.err")" -eq 1 ]
}
check "bad input: a file that is not a result file" not_hdf5
bad_option() {
    exit_code 2 "$GAPSIM" discover "$TMP/t1.h5" --density 1.5 && grep -q -- "--density" "$TMP/last.err" &&
        exit_code 2 "$GAPSIM" discover "$TMP/t1.h5" --box-count 0 && untouched "$TMP/t1.h5" "$SUM"
}
check "bad input: --density 1.5 and --box-count 0" bad_option
sweep_refused() {
    exit_code 2 "$GAPSIM" run scenarios/phase_sweep.yaml -n 500 --keep-draws -q -o "$TMP/sw.h5" &&
        grep -q "keep-draws" "$TMP/last.err" && [ ! -e "$TMP/sw.h5" ]
}
check "bad input: --keep-draws on a sweep" sweep_refused
no_dir() {
    exit_code 1 "$GAPSIM" discover "$TMP/t1.h5" -o "$TMP/nodir/d.h5" || exit_code 2 "$GAPSIM" discover "$TMP/t1.h5" -o "$TMP/nodir/d.h5"
    [ ! -e "$TMP/nodir" ] && untouched "$TMP/t1.h5" "$SUM"
}
check "discover -o into a missing directory fails and writes nothing" no_dir

csv_export() {
    "$GAPSIM" export "$TMP/t1.h5" --format csv -o "$TMP/csv" >/dev/null || return 1
    "$PY" - "$TMP/csv" "$TMP/t1.h5" <<'PYEOF'
import csv
import os
import sys
import h5py
import numpy as np
d, f = sys.argv[1], h5py.File(sys.argv[2], "r")
g = f["trajectories"]
path = [os.path.join(d, p) for p in os.listdir(d) if p.endswith("trajectories.csv")]
assert len(path) == 1, os.listdir(d)
rows = list(csv.DictReader(open(path[0])))
assert len(rows) == g["trajectory"].shape[0]
x = np.array([float(r["capability.catch_up"]) for r in rows])
assert np.allclose(x, g["draw_capability.catch_up"][:], rtol=1e-6)
names = {"undefined": -1, "compound": 0, "persist": 1, "collapse": 2}
c = np.array([names[r["class_premium"]] for r in rows])
assert (c == g["class_premium"][:]).all()
assert (np.array([int(r["supply_shocks"]) for r in rows]) == g["supply_shocks"][:]).all()
assert any(p.endswith("cycles.csv") or "cycle" in p for p in os.listdir(d)), os.listdir(d)
# the by-cycle classes come after every other column, one per metric and horizon cycle
header = next(csv.reader(open(path[0])))
hz = [int(h) for h in g["horizon"][:]]
by = [k for k in g if k.endswith("_by_cycle")]
assert len(hz) > 1 and len(by) == 6, (hz, by)
want = [f"{k[:-9]}_cycle_{h}" for k in by for h in hz]
assert header[-len(want):] == want, header[-len(want):]
assert header.index("mean_catch_up") == len(header) - len(want) - 1
for k in by:
    for j, h in enumerate(hz):
        c = np.array([names[r[f"{k[:-9]}_cycle_{h}"]] for r in rows])
        assert (c == g[k][:, j]).all(), (k, h)
assert (np.array([names[r[f"class_premium_cycle_{hz[-1]}"]] for r in rows]) == g["class_premium"][:]).all()
PYEOF
}
check "export --format csv: the trajectories table, one row per trajectory, by-cycle classes appended" csv_export
