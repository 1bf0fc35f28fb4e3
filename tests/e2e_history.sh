#!/usr/bin/env bash
# e2e_history.sh - history-matched runs (docs/history.md): the huge-sigma target that
# accepts everything gives the plain run's statistics bit for bit; the synthetic case
# with a known posterior; a target nobody reaches (exit 1, no file); 1 vs 2 threads and
# 2 MPI ranks bit-identical; 3 shards + merge bit-identical, shards of other targets
# refused at merge, --shard with waves refused; bad history sections and targets files
# (exit 2, FILE:LINE: KEY).  Prints "ok N - ..." / "not ok N - ..." lines.
. tests/lib_e2e.sh
export OMPI_MCA_io=romio321 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1} OMPI_MCA_rmaps_base_oversubscribe=1
D=tests/data/history
S=$D/small.yaml
same() { h5diff --exclude-attribute / "$1" "$2" || { echo "h5diff: $1 and $2 differ"; return 1; }; }

# --- accepting everything is the plain run ------------------------------------------
everything() {
    "$GAPSIM" run $S --history $D/huge_sigma.yaml -n 2500 --paths 40 -q -o "$TMP/all.h5" || return 1
    "$GAPSIM" run $S --no-history -n 2500 --paths 40 -q -o "$TMP/plain.h5" || return 1
    "$PY" - "$TMP/all.h5" <<'PY' || return 1
import sys, h5py
g = h5py.File(sys.argv[1])["history"]
assert g.attrs["drawn"] == 2500 and g.attrs["accepted"] == 2500, dict(g.attrs)
PY
    # every dataset and group of the plain run, the paths included, bit for bit
    h5diff --exclude-attribute / --exclude-path /history "$TMP/all.h5" "$TMP/plain.h5" ||
        { echo "the huge-sigma run differs from the plain run"; return 1; }
    h5ls "$TMP/plain.h5/history" >/dev/null 2>&1 && { echo "plain run has a history group"; return 1; }
    return 0
}
check "a huge-sigma target accepts all 2500 and equals the plain run bit for bit" everything

readers() {
    "$PY" tests/check_output.py "$TMP/t1.h5" --paths || return 1
    "$PY" - "$TMP/t1.h5" <<'PY'
import sys, xarray as xr
for engine in ("h5netcdf", "netcdf4"):
    with xr.open_dataset(sys.argv[1], engine=engine, group="history") as ds:
        assert ds.sizes["target"] == 16 and ds.sizes["level"] == 5, dict(ds.sizes)
        assert list(ds["target_label"].values[:2].astype(str)) == ["T01", "T02"], ds["target_label"].values[:2]
        n = ds.attrs["accepted"]
        assert ds.sizes["accepted"] == n and 0 < n < ds.attrs["drawn"], dict(ds.attrs)
        share = ds["rejection_share"].values
        assert ((share >= 0) & (share <= 1)).all() and share.max() > 0, share
        assert ds["posterior_quantile"].dims == ("parameter", "level")
PY
}

# --- the synthetic known posterior ---------------------------------------------------
synthetic() {
    "$GAPSIM" run $D/synthetic.yaml --paths 1 -q -o "$TMP/syn.h5" || return 1
    "$PY" - "$TMP/syn.h5" <<'PY'
# theta ~ N(1.4, 0.2^2), accepted iff |theta - 1.5| <= 3 * 0.05: N(1.4, 0.2) truncated to
# [1.35, 1.65].  Acceptance Z = Phi(b) - Phi(a); mean mu + s (phi(a) - phi(b)) / Z;
# var s^2 (1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2).  Tolerance 4 SE:
# binomial for the rate, s/sqrt(n) for the mean, sqrt((m4 - s^4) / (4 s^2 n)) for the sd.
import sys, math, h5py, numpy as np
g = h5py.File(sys.argv[1])["history"]
mu, s, lo, hi = 1.4, 0.2, 1.35, 1.65
a, b = (lo - mu) / s, (hi - mu) / s
phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
Z = Phi(b) - Phi(a)
mean = mu + s * (phi(a) - phi(b)) / Z
sd = s * math.sqrt(1 + (a * phi(a) - b * phi(b)) / Z - ((phi(a) - phi(b)) / Z) ** 2)
N, n = int(g.attrs["drawn"]), int(g.attrs["accepted"])
x = g["accepted_draws"][:, 0]
assert len(x) == n and x.min() >= lo and x.max() <= hi, (len(x), n, x.min(), x.max())
rate_se = math.sqrt(Z * (1 - Z) / N)
m4 = np.mean((x - x.mean()) ** 4)
checks = [("acceptance", n / N, Z, rate_se), ("mean", x.mean(), mean, sd / math.sqrt(n)),
          ("sd", x.std(ddof=1), sd, math.sqrt((m4 - sd ** 4) / (4 * sd * sd * n)))]
for name, got, want, se in checks:
    print(f"{name}: {got:.5f} vs {want:.5f} ({(got - want) / se:+.2f} SE)")
    assert abs(got - want) <= 4 * se, name
PY
}
check "synthetic case: acceptance, posterior mean and sd = truncated normal within 4 SE" synthetic

waves() {
    "$GAPSIM" run $D/synthetic.yaml --set history.waves=2 --paths 1 -q -o "$TMP/syn2.h5" || return 1
    "$PY" - "$TMP/syn2.h5" <<'PY'
# Wave 2 draws N(1.4, 0.2) truncated to wave 1's accepted range [~1.35, ~1.65] widened by
# 10% of its width per side, [1.32, 1.68] (to 1e-4): its acceptance is the ratio of the
# two boxes' masses, and its accepted draws are again N(1.4, 0.2) truncated to
# [1.35, 1.65].  4 SE.
import sys, math, h5py
g = h5py.File(sys.argv[1])["history"]
Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
mass = lambda lo, hi: Phi((hi - 1.4) / 0.2) - Phi((lo - 1.4) / 0.2)
drawn, acc = g["wave_drawn"][:], g["wave_accepted"][:]
assert list(g["wave"][:]) == [1, 2] and g.attrs["waves"] == 2, g["wave"][:]
want = mass(1.35, 1.65) / mass(1.32, 1.68)
got = acc[1] / drawn[1]
se = math.sqrt(want * (1 - want) / drawn[1])
print(f"wave 1 {acc[0] / drawn[0]:.4f}, wave 2 {got:.4f} vs {want:.4f} ({(got - want) / se:+.2f} SE)")
assert abs(got - want) <= 4 * se
x = g["accepted_draws"][:, 0]
assert len(x) == acc[1] and x.min() >= 1.35 and x.max() <= 1.65
mv = g["wave_movement"][:]
assert mv.shape == (6, 3) and (mv == mv).any(), mv
PY
}
check "waves: wave 2's acceptance = the mass ratio of the boxes within 4 SE" waves

# --- nothing accepted ---------------------------------------------------------------
nothing() {
    exit_code 1 "$GAPSIM" run $S --history $D/unreachable.yaml -n 1500 -o "$TMP/none.h5" || return 1
    [ ! -e "$TMP/none.h5" ] || { echo "a result file was written"; return 1; }
    grep -q "no trajectory of 1500 is consistent with history" "$TMP/last.err" &&
        grep -q "U01 100.0%" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
}
check "an unreachable target: exit 1, the rejecting target named, no result file" nothing

dry_run() {
    "$GAPSIM" run $S --dry-run -o "$TMP/dry.h5" >"$TMP/dry.out" || return 1
    [ ! -e "$TMP/dry.h5" ] || { echo "--dry-run wrote a file"; return 1; }
    grep -q "history: a pilot of 3000 drawn trajectories kept [1-9][0-9]* (" "$TMP/dry.out" ||
        { cat "$TMP/dry.out"; return 1; }
}
check "--dry-run of a history-matched run: a pilot estimates the kept trajectories, no file" dry_run

# --- threads and ranks ----------------------------------------------------------------
"$GAPSIM" run $S -t 1 --paths 50 -q -o "$TMP/t1.h5" || echo "1-thread run failed"
check "1 vs 2 threads: bit-identical (history group and paths included)" bash -c \
    "$(declare -f same); '$GAPSIM' run $S -t 2 --paths 50 -q -o '$TMP/t2.h5' && same '$TMP/t1.h5' '$TMP/t2.h5'"
check "the output passes check_output.py; xarray opens group=history with both engines" readers
summary_again() { # gapsim summary of the file repeats the run's console summary, History block included
    "$GAPSIM" run $S -t 1 -o "$TMP/sum.h5" 2>/dev/null | sed '/^Wrote /d' | sed '${/^$/d}' >"$TMP/run.txt" || return 1
    "$GAPSIM" summary "$TMP/sum.h5" >"$TMP/summary.txt" || return 1
    grep -q "^History: [0-9]* of 3000 drawn trajectories are consistent" "$TMP/summary.txt" || return 1
    diff "$TMP/run.txt" "$TMP/summary.txt"
}
check "gapsim summary of a history-matched file = the run's summary, History block included" summary_again
figures_report() {
    "$PY" analysis/gapsim_plot.py "$TMP/t1.h5" -o "$TMP/figs" --format png --only history >"$TMP/plot.out" || return 1
    [ -s "$TMP/figs/t1_history_targets.png" ] && [ -s "$TMP/figs/t1_history_parameters.png" ] ||
        { ls "$TMP/figs"; return 1; }
    "$PY" analysis/gapsim_report.py "$TMP/t1.h5" -o "$TMP/r.html" >/dev/null || return 1
    grep -q "<h2>History</h2>" "$TMP/r.html" && grep -q "drawn futures" "$TMP/r.html" &&
        grep -q 'id="fig-history_targets"' "$TMP/r.html" || { echo "no History section"; return 1; }
    "$PY" analysis/gapsim_report.py "$TMP/plain.h5" -o "$TMP/p.html" >/dev/null || return 1
    ! grep -q "<h2>History</h2>" "$TMP/p.html"
}
check "figures history_targets / history_parameters and the report's History section" figures_report
is_mpi() { ldd "$1" 2>/dev/null | grep -q libmpi; }
MPI=${MPI_GAPSIM:-}
[ -z "$MPI" ] && is_mpi "$GAPSIM" && MPI=$GAPSIM
[ -z "$MPI" ] && [ -x build-mpi/gapsim ] && MPI=$PWD/build-mpi/gapsim
if [ -z "$MPI" ] || ! command -v mpirun >/dev/null; then
    skip "mpirun -np 2: history-matched run = serial" "no MPI build (make MPI=1) or no mpirun"
else
    check "mpirun -np 2: history-matched run = serial, bit for bit" bash -c \
        "$(declare -f same); OMP_NUM_THREADS=1 timeout 300 mpirun --allow-run-as-root --oversubscribe -np 2 '$MPI' run $S -t 1 --paths 50 -q -o '$TMP/m2.h5' && same '$TMP/t1.h5' '$TMP/m2.h5'"
    check "mpirun -np 2: --target-se of a history-matched run = 1 thread, bit for bit" bash -c \
        "$(declare -f same); '$GAPSIM' run $S -n 400 --target-se 0.015 -t 1 -q -o '$TMP/mse1.h5' && OMP_NUM_THREADS=1 timeout 300 mpirun --allow-run-as-root --oversubscribe -np 2 '$MPI' run $S -n 400 --target-se 0.015 -t 1 -q -o '$TMP/mse2.h5' && same '$TMP/mse1.h5' '$TMP/mse2.h5'"
fi
shards_merge() { # 3 shards + merge = the serial run, the history group included
    local i
    for i in 0 1 2; do
        "$GAPSIM" run $S --paths 50 --shard $i/3 -q -o "$TMP/hs$i.h5" || return 1
    done
    "$GAPSIM" merge "$TMP/hs2.h5" "$TMP/hs0.h5" "$TMP/hs1.h5" -o "$TMP/hmerged.h5" >"$TMP/hm.out" || return 1
    grep -q "^Merged 3 shards ([0-9]* of 3000 drawn trajectories consistent with history) into" "$TMP/hm.out" ||
        { cat "$TMP/hm.out"; return 1; }
    "$PY" - "$TMP/hs1.h5" <<'PY' || return 1
import sys, h5py
f = h5py.File(sys.argv[1])
n = int(f["history_accepted"][:].sum())
assert f.attrs["history"] == 1 and f["values"].shape[3] == n < 1024, (n, f["values"].shape)
assert f["history_counts"][0] == 1024 and f["history_counts"][1] == n, f["history_counts"][:2]
PY
    same "$TMP/t1.h5" "$TMP/hmerged.h5"
}
check "3 shards + merge of a history-matched run = the serial run, bit for bit (history group included)" shards_merge
shards_other_targets() { # a shard run against other targets: refused at merge
    sed "s|^  targets: .*|  targets: $TMP/tg.yaml|" $S >"$TMP/hsc.yaml"
    cp scenarios/history/observed_2024_2026.yaml "$TMP/tg.yaml"
    "$GAPSIM" run "$TMP/hsc.yaml" -n 1500 --shard 0/2 -q -o "$TMP/ho0.h5" || return 1
    "$GAPSIM" run "$TMP/hsc.yaml" -n 1500 --shard 1/2 -q -o "$TMP/ho1.h5" || return 1
    "$GAPSIM" merge "$TMP/ho0.h5" "$TMP/ho1.h5" -q -o "$TMP/hok.h5" || return 1 # the same targets: fine
    echo "# edited" >>"$TMP/tg.yaml"
    "$GAPSIM" run "$TMP/hsc.yaml" -n 1500 --shard 1/2 -q -o "$TMP/ho1b.h5" || return 1
    exit_code 2 "$GAPSIM" merge "$TMP/ho0.h5" "$TMP/ho1b.h5" -o "$TMP/hbad.h5" || return 1
    [ ! -e "$TMP/hbad.h5" ] || { echo "a result file was written"; return 1; }
    grep -qF "are not shards of the same run: different targets files" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
    # the targets file changed after all shards ran: refused too
    exit_code 2 "$GAPSIM" merge "$TMP/ho0.h5" "$TMP/ho1.h5" -o "$TMP/hbad.h5" || return 1
    grep -qF "has changed since the shards ran" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
}
check "shards of different targets files: merge refuses (exit 2, no file)" shards_other_targets
shards_tampered() { # counts that contradict the decisions: refused, no file
    cp "$TMP/hs1.h5" "$TMP/hst1.h5"
    "$PY" -c "import h5py; f = h5py.File('$TMP/hst1.h5', 'r+'); f['history_counts'][1] += 1" || return 1
    exit_code 2 "$GAPSIM" merge "$TMP/hs0.h5" "$TMP/hst1.h5" "$TMP/hs2.h5" -o "$TMP/hst.h5" || return 1
    [ ! -e "$TMP/hst.h5" ] || { echo "a result file was written"; return 1; }
    grep -qF "hst1.h5: dataset 'history_counts': " "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
}
check "a shard whose history counts contradict its decisions: merge refuses (exit 2, no file)" shards_tampered
shard_waves_refused() {
    exit_code 2 "$GAPSIM" run $S --set history.waves=2 --shard 0/2 -o "$TMP/sh.h5" || return 1
    grep -q "history.targets: --shard and merge support history.waves 1 only" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
}
check "--shard with history.waves 2: refused with exit 2 (a global step between waves)" shard_waves_refused

# --- --target-se: batches of drawn trajectories until the accepted ones are precise ---
target_se() {
    "$GAPSIM" run $S -n 400 --target-se 0.015 -t 1 -o "$TMP/se1.h5" >"$TMP/se1.out" || return 1
    grep -q "^--target-se 0.015: [0-9]* batches of 400 drawn trajectories ([0-9]* drawn, [0-9]* accepted); the target was met" "$TMP/se1.out" &&
        grep -q "Conditioned on history: " "$TMP/se1.out" || { cat "$TMP/se1.out"; return 1; }
    "$PY" - "$TMP/se1.h5" <<'PY' || return 1
# the target is met by the accepted trajectories' outcome probabilities; batches x 400
# = drawn; a smaller run would not do: the SE bound at p = 1/2 of one batch fewer's
# accepted count (at most drawn - 400 of them) is above the target for the worst p
import sys, math, h5py, numpy as np
f = h5py.File(sys.argv[1])
g = f["history"]
b, B, n = int(f.attrs["batches"]), int(f.attrs["batch_size"]), int(f.attrs["trajectories"])
assert f.attrs["target_met"] == 1 and B == 400 and b >= 2, dict(f.attrs)
assert g.attrs["drawn"] == b * B and g.attrs["accepted"] == n, (b, B, dict(g.attrs))
p = f["outcome_count"][:] / n
se = np.sqrt(p * (1 - p) / n)
assert (se < 0.015).all(), se.max()
print(f"{b} batches, {n} of {b * B} accepted, max SE {se.max():.5f}")
PY
    "$GAPSIM" run $S -n 400 --target-se 0.015 -t 2 -q -o "$TMP/se2.h5" || return 1
    same "$TMP/se1.h5" "$TMP/se2.h5" || return 1
    # the cap: 2 batches, not met
    "$GAPSIM" run $S -n 400 --target-se 0.015 --set run.max_trajectories=800 -o "$TMP/se3.h5" >"$TMP/se3.out" || return 1
    grep -q "^--target-se 0.015: 2 batches of 400 drawn trajectories (800 drawn, [0-9]* accepted); the target was NOT met" "$TMP/se3.out" ||
        { cat "$TMP/se3.out"; return 1; }
    # --dry-run estimates the draws from the pilot's acceptance
    "$GAPSIM" run $S -n 400 --target-se 0.015 --dry-run -o "$TMP/se4.h5" >"$TMP/se4.out" || return 1
    grep -q "^  --target-se 0.015: about 1111 accepted trajectories needed" "$TMP/se4.out" &&
        grep -q "^  about [0-9]* drawn in [0-9]* batches of 400" "$TMP/se4.out" || { cat "$TMP/se4.out"; return 1; }
}
check "--target-se: met by the accepted ones, batches x 400 = drawn, 1 vs 2 threads identical, the cap, --dry-run" target_se

# --- bad history sections and targets files --------------------------------------------
bad_section() { # WANT-MESSAGE-PART then the history: lines
    local want=$1
    shift
    { printf 'model: 2\nname: bad\nrun:\n  trajectories: 1000\nhistory:\n'
      for l in "$@"; do printf '  %s\n' "$l"; done; } > "$TMP/bad.yaml"
    exit_code 2 "$GAPSIM" run "$TMP/bad.yaml" -o "$TMP/bad.h5" || return 1
    [ ! -e "$TMP/bad.h5" ] || { echo "a result file was written"; return 1; }
    grep -qF -- "$want" "$TMP/last.err" || { echo "want: $want"; cat "$TMP/last.err"; return 1; }
}
T=$PWD/scenarios/history/observed_2024_2026.yaml
check "history.rule: bogus -> FILE:LINE: KEY" bad_section "bad.yaml:7: history.rule: expected max or second_max, got 'bogus'" "targets: $T" "rule: bogus"
check "history.cutoff: 0 -> FILE:LINE: KEY" bad_section "bad.yaml:7: history.cutoff: must be in [0.01, 100], got 0" "targets: $T" "cutoff: 0"
check "history.waves: 0 -> FILE:LINE: KEY" bad_section "bad.yaml:7: history.waves:" "targets: $T" "waves: 0"
check "history.targets: a missing file -> FILE:LINE: history.targets" bad_section "bad.yaml:6: history.targets: " "targets: no/such/file.yaml"
check "history.target (typo) -> did you mean" bad_section "bad.yaml:6: history.target: unknown key; did you mean 'history.targets'?" "target: $T"
sweep_combined() {
    printf 'model: 2\nname: bad\nhistory:\n  targets: %s\nsweep:\n  grid: {hardware.vol: [0.3, 0.4]}\n' "$T" > "$TMP/sw.yaml"
    exit_code 2 "$GAPSIM" run "$TMP/sw.yaml" -o "$TMP/sw.h5" || return 1
    grep -qF "sw.yaml:4: history.targets: history matching cannot be combined with a sweep" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
}
check "history with a sweep -> exit 2, FILE:LINE: history.targets" sweep_combined
bad_targets() { # every file of tests/data/targets_bad: exit 2 and its expected LINE: KEY
    local f want
    for f in tests/data/targets_bad/*.yaml; do
        want=$(sed -n '1s/^# expect: //p' "$f")
        [ -n "$want" ] || continue
        exit_code 2 "$GAPSIM" run $S --history "$f" -n 1000 -o "$TMP/bt.h5" || { echo "$f"; return 1; }
        [ ! -e "$TMP/bt.h5" ] || { echo "$f: a result file was written"; return 1; }
        grep -qF "$f:$want" "$TMP/last.err" || { echo "$f: want $f:$want"; cat "$TMP/last.err"; return 1; }
    done
}
check "every bad targets file (tests/data/targets_bad): exit 2, FILE:LINE: KEY, no file" bad_targets
