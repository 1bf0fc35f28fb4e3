#!/usr/bin/env bash
# e2e_analysis.sh - end-to-end checks of the analysis side: gapsim summary / compare /
# plot / report and analysis/*.py on a small run, a small synthetic sweep and a file
# with synthetic sensitivity datasets; bad files (older format version, truncated,
# not HDF5, not gapsim's) get one clear line and a non-zero exit, never a traceback.
# Prints "ok N - name" / "not ok N - name" per check.  Run from the repository root.
. tests/lib_e2e.sh
export GAPSIM_ANALYSIS_DIR=$PWD/analysis   # the scripts of this tree, whatever BUILD is

refused() { # refused WANT_EXIT NEEDLE COMMAND...: exit WANT_EXIT, one stderr line with NEEDLE
    local want=$1 needle=$2
    shift 2
    exit_code "$want" "$@" || return 1
    [ "$(wc -l <"$TMP/last.err")" -eq 1 ] || { echo "stderr is not one line:"; cat "$TMP/last.err"; return 1; }
    grep -q "$needle" "$TMP/last.err" || { echo "stderr lacks '$needle':"; cat "$TMP/last.err"; return 1; }
    ! grep -q 'Traceback' "$TMP/last.err"
}

# --- fixtures: two small runs, a 3x3 sweep assembled from nine runs, sensitivity ------
RUN_ARGS=(-n 4000 --set run.cycles=8 -t 2)
"$GAPSIM" run scenarios/baseline_point.yaml "${RUN_ARGS[@]}" --set training.reinvest=0.45 \
    -o "$TMP/base.h5" >"$TMP/base.run" 2>"$TMP/base.err"
"$GAPSIM" run scenarios/open_catches_up.yaml "${RUN_ARGS[@]}" -q -o "$TMP/open.h5" 2>/dev/null
i=0
for catch_up in 0.3 0.6 0.9; do
    for reinvest in 0.1 0.4 0.7; do
        "$GAPSIM" run scenarios/baseline_point.yaml -n 1000 --set run.cycles=8 -q \
            --set capability.catch_up=$catch_up --set training.reinvest=$reinvest \
            -o "$TMP/point$i.h5" 2>/dev/null
        i=$((i + 1))
    done
done

# The sweep file as OUTPUT.md describes it: a leading `point` dimension on every per-run
# variable, param_<key>(point) coordinates for the swept keys, trajectories(point), the
# sweep_* attributes, the coordinates of one run, dimension scales everywhere.  The sensitivity
# file is a run plus the datasets h5out writes for an uncertainty run: tornado_compound,
# tornado_median (parameter, side, metric), tornado_base_* (metric), sobol_first/_total
# and their _ci_low/_ci_high (parameter, metric).
"$PY" - "$TMP" <<'EOF' >"$TMP/synth.log" 2>&1
import shutil, sys
import h5py, numpy as np
tmp = sys.argv[1]
runs = [h5py.File(f"{tmp}/point{i}.h5", "r") for i in range(9)]
first = runs[0]
SKIP_ATTRS = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST", "_Netcdf4Dimid"}
PER_CYCLE = ("_mean", "_sd", "_quantile")
PER_RUN = {"outcome_probability", "outcome_stderr", "outcome_ci_low", "outcome_ci_high",
           "outcome_count", "outcome_undefined", "nonfinite_count"}

def labels(d):
    for k, v in d.attrs.items():
        if k not in SKIP_ATTRS:
            yield k, v

def scales_of(d):
    return [d.dims[i][0].name.lstrip("/") for i in range(d.ndim)]

with h5py.File(f"{tmp}/sweep.h5", "w", track_order=True, libver=("v108", "v108")) as o:
    for k, v in first.attrs.items():
        if isinstance(v, bytes):  # fixed-length UTF-8, as gapsim writes them
            o.attrs.create(k, v, dtype=h5py.string_dtype("utf-8", len(v) + 1))
        else:
            o.attrs[k] = v
    for k, v in (("sweep_kind", "grid"), ("sweep_metric", "premium"),
                 ("sweep_keys", "capability.catch_up training.reinvest")):
        o.attrs[k] = v
    o.create_dataset("point", data=np.arange(9, dtype="u8"))
    o["point"].make_scale("point")
    o["point"].attrs["long_name"] = "sweep point"
    scales = [n for n, d in first.items() if isinstance(d, h5py.Dataset) and h5py.h5ds.is_scale(d.id)]
    for name in scales:  # coordinates and bare dimensions, with their NAME marks
        d = first[name]
        o.create_dataset(name, data=d[()], dtype=d.dtype)
        o[name].make_scale(d.attrs["NAME"].decode())
        for k, v in labels(d):
            o[name].attrs[k] = v
    for name, d in first.items():
        if name in scales or name == "paths" or not isinstance(d, h5py.Dataset):
            continue
        dims = scales_of(d)
        if name.endswith(PER_CYCLE) or name in PER_RUN:
            ax = 1 if dims[0] == "cycle" else 0  # per-cycle statistics are (cycle, point, ...)
            o.create_dataset(name, data=np.stack([r[name][()] for r in runs], axis=ax))
            dims.insert(ax, "point")
        else:
            o.create_dataset(name, data=d[()], dtype=d.dtype)
        for i, s in enumerate(dims):
            o[name].dims[i].attach_scale(o[s])
        for k, v in labels(d):
            o[name].attrs[k] = v
    for key, long_name in (("capability_catch_up", "share of the gap closed per cycle"),
                           ("training_reinvest", "share of profit reinvested")):
        o.create_dataset(f"param_{key}", data=[r.attrs[f"param_{key}"] for r in runs])
        o[f"param_{key}"].dims[0].attach_scale(o["point"])
        o[f"param_{key}"].attrs["long_name"] = long_name
        o[f"param_{key}"].attrs["units"] = "1"
    o.create_dataset("trajectories", data=[int(r.attrs["trajectories"]) for r in runs], dtype="u8")
    o["trajectories"].dims[0].attach_scale(o["point"])

shutil.copy(f"{tmp}/point0.h5", f"{tmp}/sens.h5")
with h5py.File(f"{tmp}/sens.h5", "a") as f:
    names = ["capability.catch_up", "training.reinvest", "pricing.capture_trend", "demand.switching"]
    for scale, labels_ in (("parameter", names), ("side", ["p10", "p90"])):
        f.create_dataset(scale, data=labels_, dtype=h5py.string_dtype())
        f[scale].make_scale(scale)
    rng = np.random.default_rng(1)
    def var(name, data, dims):
        f.create_dataset(name, data=data)
        for i, d in enumerate(dims):
            f[name].dims[i].attach_scale(f[d])
        f[name].attrs["long_name"] = name.replace("_", " ")
        f[name].attrs["units"] = "1"
    base = f["outcome_probability"][:, 0]
    var("tornado_base_compound", base, ["metric"])
    swing = np.stack([base - rng.uniform(0, 0.2, (4, 6)), base + rng.uniform(0, 0.2, (4, 6))], axis=1)
    var("tornado_compound", swing, ["parameter", "side", "metric"])
    var("tornado_base_median", np.ones(6), ["metric"])
    var("tornado_median", 1 + rng.uniform(-0.5, 0.5, (4, 2, 6)), ["parameter", "side", "metric"])
    first_order = rng.uniform(0, 0.4, (4, 6))
    for name, v in (("sobol_first", first_order), ("sobol_total", first_order + 0.1)):
        var(name, v, ["parameter", "metric"])
        var(name + "_ci_low", v - 0.05, ["parameter", "metric"])
        var(name + "_ci_high", v + 0.05, ["parameter", "metric"])
EOF
[ -s "$TMP/synth.log" ] && sed 's/^/# synth: /' "$TMP/synth.log"

# The slow commands (Python, a few seconds each) run in the background, two cores at a
# time; the checks below look at their exit status (bg_done) and their files.
bg() { # bg NAME COMMAND...: run in the background, status into $TMP/NAME.rc
    local name=$1
    shift
    ( "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; echo $? >"$TMP/$name.rc" ) &
}
bg_done() { # bg_done NAME: the background command NAME exited 0
    [ "$(cat "$TMP/$1.rc" 2>/dev/null)" = 0 ] || { echo "$1: exit $(cat "$TMP/$1.rc" 2>/dev/null)"; cat "$TMP/$1.err"; return 1; }
}
# Files of the simulator's own sweep and uncertainty runs (issue 3), when it can make them.
"$GAPSIM" run scenarios/phase_sweep.yaml -n 200 -q -o "$TMP/real_sweep.h5" 2>/dev/null
# (three priors keep it fast; scenarios/uncertain.yaml has 63)
cat >"$TMP/uncertain_small.yaml" <<'EOF'
model: 2
name: uncertain_small
run: {trajectories: 500}
capability: {catch_up: {dist: beta, p5: 0.40, p95: 0.80}}
training: {funding_elasticity: {dist: uniform, min: 0, max: 0.8}}
demand: {value_dilution: {dist: triangular, min: 0, mode: 0.25, max: 1.0}}
uncertainty: {design: lhs}
sensitivity: {tornado: true, sobol: true, samples: 64, bootstrap: 50, trajectories: 500}
EOF
"$GAPSIM" run "$TMP/uncertain_small.yaml" -n 500 -o "$TMP/real_unc.h5" >"$TMP/real_unc.run" 2>/dev/null
[ -f "$TMP/real_sweep.h5" ] && bg plot_real_sweep "$GAPSIM" plot "$TMP/real_sweep.h5" -o "$TMP/rsfig"
[ -f "$TMP/real_unc.h5" ] && bg plot_real_unc "$PY" analysis/gapsim_plot.py "$TMP/real_unc.h5" \
    -o "$TMP/rufig" --format png --only tornado,sobol
bg plot_run env -u DISPLAY "$GAPSIM" plot "$TMP/base.h5" -o "$TMP/fig"
bg report_run "$GAPSIM" report "$TMP/base.h5" -o "$TMP/base.html"
bg plot_sweep "$GAPSIM" plot "$TMP/sweep.h5" -o "$TMP/sfig"
bg report_sweep "$GAPSIM" report "$TMP/sweep.h5" -o "$TMP/sweep.html"
bg plot_sens "$PY" analysis/gapsim_plot.py "$TMP/sens.h5" -o "$TMP/tfig" --format png \
    --only tornado,sobol,fan_premium
bg example bash -c "cd '$TMP' && '$PY' '$PWD/analysis/example.py' base.h5 open.h5"
wait

# --- summary ----------------------------------------------------------------------
# The run's stdout is its summary, a blank line and the "Wrote ..." line.
summary_reproduces() {
    exit_code 0 "$GAPSIM" summary "$TMP/base.h5" || return 1
    head -n -2 "$TMP/base.run" >"$TMP/base.want"
    tail -n 1 "$TMP/base.run" | grep -q '^Wrote ' || { echo "run output does not end in Wrote"; return 1; }
    cmp "$TMP/base.want" "$TMP/last.out" || { diff "$TMP/base.want" "$TMP/last.out"; return 1; }
}
check "summary FILE reproduces the run's console summary byte for byte" summary_reproduces
sweep_point_summary() { # point 4 of the sweep is run point4.h5
    "$GAPSIM" run scenarios/baseline_point.yaml -n 1000 --set run.cycles=8 --set capability.catch_up=0.6 \
        --set training.reinvest=0.4 -o "$TMP/p4.h5" | head -n -2 >"$TMP/p4.want"
    exit_code 0 "$GAPSIM" summary "$TMP/sweep.h5" --point 4 || return 1
    cmp "$TMP/p4.want" "$TMP/last.out" || { diff "$TMP/p4.want" "$TMP/last.out"; return 1; }
}
check "summary --point 4 of the sweep equals the summary of that run" sweep_point_summary
check "summary of a sweep without --point is a usage error (2)" \
    refused 2 'choose one with --point' "$GAPSIM" summary "$TMP/sweep.h5"

# --- compare ------------------------------------------------------------------------
compare_self() {
    exit_code 0 "$GAPSIM" compare "$TMP/base.h5" "$TMP/base.h5" || return 1
    grep -q '^No differences beyond the Monte Carlo error' "$TMP/last.out" || { cat "$TMP/last.out"; return 1; }
    ! grep -q ' yes$' "$TMP/last.out" || { echo "a difference was flagged"; return 1; }
    grep -q 'Assumptions: all' "$TMP/last.out"
}
check "compare of a file with itself reports no differences" compare_self
compare_two() {
    exit_code 0 "$GAPSIM" compare "$TMP/base.h5" "$TMP/open.h5" || return 1
    local out="$TMP/last.out"
    grep -qE '^[0-9]+ of [0-9]+ numbers differ beyond the Monte Carlo error' "$out" || { cat "$out"; return 1; }
    # open_catches_up: the premium collapses far more often; catch-up is a changed key.
    grep -qE '^  premium +collapse .* yes$' "$out" || { echo "premium collapse not flagged"; cat "$out"; return 1; }
    grep -qE '^  capability.catch_up ' "$out" || { echo "catch_up not listed"; return 1; }
    grep -qE '^  premium +1 +0.50 .* yes$' "$out" || { echo "median premium not flagged"; return 1; }
}
check "compare of two scenarios reports the differences" compare_two
compare_points() {
    exit_code 0 "$GAPSIM" compare "$TMP/sweep.h5" "$TMP/sweep.h5" --point-a 0 --point-b 8 || return 1
    grep -qE '^  capability.catch_up +0.3 +0.9 ' "$TMP/last.out" || { cat "$TMP/last.out"; return 1; }
    grep -qE '^  training.reinvest +0.1 +0.7 ' "$TMP/last.out"
}
check "compare of two sweep points lists the swept keys that differ" compare_points

# --- plot -----------------------------------------------------------------------------
images_ok() { # images_ok DIR NAME...: DIR/NAME.png and .svg exist and are not trivial
    local dir=$1 f
    shift
    for f in "$@"; do
        for ext in png svg; do
            [ -f "$dir/$f.$ext" ] || { echo "missing $dir/$f.$ext"; ls "$dir"; return 1; }
            [ "$(stat -c %s "$dir/$f.$ext")" -gt 15000 ] || { echo "$f.$ext is too small"; return 1; }
        done
        head -c 8 "$dir/$f.png" | od -An -c | grep -q 'P   N   G' || { echo "$f.png is not a PNG"; return 1; }
        grep -q '<svg' "$dir/$f.svg" || { echo "$f.svg is not SVG"; return 1; }
    done
}
plot_run() {
    bg_done plot_run || return 1
    images_ok "$TMP/fig" base_fan_premium base_fan_lag base_fan_prices base_fan_closed_share \
        base_fan_lcoi base_outcomes || return 1
    [ "$(ls "$TMP/fig" | wc -l)" -eq 12 ] || { echo "expected 12 files"; ls "$TMP/fig"; return 1; }
}
check "plot of a run writes the fan charts and outcome bars, PNG and SVG, headless" plot_run
plot_sweep() {
    bg_done plot_sweep || return 1
    images_ok "$TMP/sfig" sweep_sweep_compound sweep_sweep_collapse || return 1
    [ "$(ls "$TMP/sfig" | wc -l)" -eq 4 ] || { echo "a sweep should give only its 2 figures"; ls "$TMP/sfig"; return 1; }
}
check "plot of a 3x3 sweep writes the P(compound) and P(collapse) heatmaps only" plot_sweep
plot_sensitivity() { # gapsim_plot.py on its own, PNG only (half the time)
    bg_done plot_sens || return 1
    for f in sens_tornado_compound sens_tornado_median sens_sobol sens_fan_premium; do
        [ "$(stat -c %s "$TMP/tfig/$f.png" 2>/dev/null || echo 0)" -gt 15000 ] || { echo "$f.png missing or small"; return 1; }
    done
    [ ! -e "$TMP/tfig/sens_sobol.svg" ] || { echo "--format png wrote SVG"; return 1; }
    [ "$(ls "$TMP/tfig" | wc -l)" -eq 4 ] || { echo "--only: expected 4 figures"; ls "$TMP/tfig"; return 1; }
}
check "gapsim_plot.py --only --format png: tornado and Sobol charts of a file with sensitivity data" plot_sensitivity

if_made() { # if_made FILE NAME COMMAND...: the check, or "ok # SKIP" if FILE was not made
    local file=$1 name=$2
    shift 2
    if [ -f "$file" ]; then
        check "$name" "$@"
    else
        n=$((n + 1))
        echo "ok $n - $name # SKIP gapsim run could not make $(basename "$file")"
    fi
}
real_sweep() {
    bg_done plot_real_sweep || return 1
    images_ok "$TMP/rsfig" real_sweep_sweep_compound real_sweep_sweep_collapse || return 1
    exit_code 0 "$GAPSIM" summary "$TMP/real_sweep.h5" --point 79 || return 1
    grep -q "scenario 'phase_sweep'" "$TMP/last.out"
}
if_made "$TMP/real_sweep.h5" "plot and summary --point of a sweep written by gapsim (phase_sweep.yaml)" real_sweep
real_uncertainty() {
    bg_done plot_real_unc || return 1
    for f in real_unc_tornado_compound real_unc_tornado_median real_unc_sobol; do
        [ "$(stat -c %s "$TMP/rufig/$f.png" 2>/dev/null || echo 0)" -gt 15000 ] || { echo "$f.png missing or small"; ls "$TMP/rufig"; return 1; }
    done
}
if_made "$TMP/real_unc.h5" "tornado and Sobol charts of an uncertainty run written by gapsim" real_uncertainty
unc_summary() { # the uncertain parameters and the ranked sensitivity tables come back too
    exit_code 0 "$GAPSIM" summary "$TMP/real_unc.h5" || return 1
    head -n -2 "$TMP/real_unc.run" | cmp - "$TMP/last.out" || { head -n -2 "$TMP/real_unc.run" | diff - "$TMP/last.out"; return 1; }
    grep -q '^What decides premium' "$TMP/last.out"
}
if_made "$TMP/real_unc.h5" "summary of an uncertainty run reproduces its console summary" unc_summary

# --- report ---------------------------------------------------------------------------
no_external() { # no_external FILE: nothing that would fetch from the network or another file
    ! grep -Eiq 'https?://|href=|src="(https?:|//|[a-z0-9_./-]+\.(png|svg|js|css))|url\(|@import|<script|<link' "$1" \
        || { grep -Eio '.{20}(https?://|href=|src="[^d]|url\(|@import|<script|<link).{20}' "$1" | head -n 3; return 1; }
}
report_run() {
    bg_done report_run || return 1
    local h="$TMP/base.html"
    grep -q '<h2>Outcome table</h2>' "$h" || { echo "no outcome table"; return 1; }
    # 5 x 3: a row per metric in words, "p ± se (interval)" per outcome
    grep -qE '<tr><td>price premium</td><td class="num">0\.[0-9]{3} ± 0\.[0-9]{3} \(0\.[0-9]{3}-[01]\.[0-9]{3}\)</td>' "$h" || { echo "no premium row"; return 1; }
    grep -q '<th>compound</th><th>persist</th><th>collapse</th>' "$h" || { echo "not 5 x 3"; return 1; }
    grep -q '@media print' "$h" && grep -q 'size: A4' "$h" || { echo "no print CSS"; return 1; }
    [ "$(grep -o 'src="data:image/png;base64,[A-Za-z0-9+/=]\{2000,\}"' "$h" | wc -l)" -eq 6 ] \
        || { echo "expected 6 embedded PNG figures"; return 1; }
    grep -q '<td>training.reinvest</td><td class="num">0.45</td><td>1</td>' "$h" || { echo "assumption row missing"; return 1; }
    grep -q 'override (--set)' "$h" || { echo "the --set override is not shown"; return 1; }
    grep -q 'Epoch AI' "$h" || { echo "no sources in the assumptions table"; return 1; }
    grep -q '<h2>Provenance</h2>' "$h" && grep -q 'scenario_sha256' "$h" || { echo "no provenance"; return 1; }
    no_external "$h"
}
check "report: outcome table, 6 embedded figures, assumptions with sources, provenance" report_run
report_sweep() {
    bg_done report_sweep || return 1
    grep -q 'Outcomes across the sweep' "$TMP/sweep.html" || return 1
    [ "$(grep -c 'src="data:image/png;base64,' "$TMP/sweep.html")" -eq 2 ] || { echo "expected 2 figures"; return 1; }
    grep -q 'swept 0.3 to 0.9' "$TMP/sweep.html" || { echo "swept range not shown"; return 1; }
    grep -q '<p class="answer">Across the sweep' "$TMP/sweep.html" || { echo "no headline"; return 1; }
    grep -qE 'class="num">[01]\.[0-9]{3} ± 0\.[0-9]{3}<' "$TMP/sweep.html" || { echo "no standard errors"; return 1; }
    "$PY" - "$TMP/sweep.html" <<'PYEOF' || return 1
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
t = h[h.index("<h2>Assumptions"):]
t = t[:t.index("</table>")]
rows = re.findall(r"<tr>(.*?)</tr>", t)
assert "set by" in rows[0], rows[0]
last = [re.findall(r"<td[^>]*>(.*?)</td>", r)[-1] for r in rows[1:]]
assert last and all(last), "empty set by"
swept = [r for r in rows if "capability.catch_up" in r]
assert swept and swept[0].endswith("<td>swept</td>"), swept
PYEOF
    no_external "$TMP/sweep.html"
}
check "report of a sweep: per-point outcome table and the heatmaps, self-contained" report_sweep
no_external_negative() { # the link check can fail
    printf '<img src="https://example.org/x.png">' >"$TMP/bad.html"
    ! no_external "$TMP/bad.html" >/dev/null
}
check "the no-external-links check catches a remote image" no_external_negative

# --- example.py -------------------------------------------------------------------------
example_runs() {
    bg_done example || return 1
    [ "$(stat -c %s "$TMP/output/example_premium.png")" -gt 15000 ]
}
check "analysis/example.py runs and plots two scenarios" example_runs

# --- bad files: one line, non-zero, no traceback, no crash --------------------------------
"$PY" - "$TMP" <<'EOF'
import shutil, sys
import h5py, numpy as np
tmp = sys.argv[1]
shutil.copy(f"{tmp}/base.h5", f"{tmp}/old.h5")
with h5py.File(f"{tmp}/old.h5", "a") as f:
    f.attrs.modify("gapsim_format_version", np.int32(0))
with h5py.File(f"{tmp}/foreign.h5", "w") as f:
    f["x"] = np.arange(3)
EOF
head -c 20000 "$TMP/base.h5" >"$TMP/cut.h5"
echo "this is not HDF5" >"$TMP/text.h5"

for cmd in summary plot report compare; do
    args=()
    [ "$cmd" = compare ] && args=("$TMP/base.h5")
    check "$cmd: older format version is refused in one line (2)" \
        refused 2 'format version 0 is not supported' "$GAPSIM" $cmd "${args[@]}" "$TMP/old.h5"
    check "$cmd: truncated file is refused in one line (2)" \
        refused 2 'truncated' "$GAPSIM" $cmd "${args[@]}" "$TMP/cut.h5"
done
check "summary: a text file is refused in one line (2)" \
    refused 2 'not a readable HDF5 file' "$GAPSIM" summary "$TMP/text.h5"
check "summary: an HDF5 file not written by gapsim is refused (2)" \
    refused 2 'not a gapsim result file' "$GAPSIM" summary "$TMP/foreign.h5"
check "summary: a missing file is refused (2)" \
    refused 2 'No such file' "$GAPSIM" summary "$TMP/nope.h5"
check "gapsim_plot.py: older format version, one line, no traceback (2)" \
    refused 2 'format version 0 is not supported' "$PY" analysis/gapsim_plot.py "$TMP/old.h5" -o "$TMP/py"
check "gapsim_report.py: truncated file, one line, no traceback (2)" \
    refused 2 'truncated' "$PY" analysis/gapsim_report.py "$TMP/cut.h5" -o "$TMP/py.html"
check "summary with a stray option is a usage error (2)" exit_code 2 "$GAPSIM" summary "$TMP/base.h5" --frob
check "compare with one file is a usage error (2)" exit_code 2 "$GAPSIM" compare "$TMP/base.h5"

# --- make install puts the scripts where the installed binary finds them (-o: the binary
# is installed as built, never rebuilt here) ------------------------------------------------
install_finds_scripts() {
    make -s -o "$BUILD/gapsim" BUILD="$BUILD" install DESTDIR="$TMP/inst" PREFIX=/opt/gs >"$TMP/install.log" 2>&1 \
        || { cat "$TMP/install.log"; return 1; }
    [ -f "$TMP/inst/opt/gs/share/gapsim/analysis/gapsim_plot.py" ] || { echo "scripts not installed"; return 1; }
    mkdir -p "$TMP/cwd"
    (cd "$TMP/cwd" && unset GAPSIM_ANALYSIS_DIR &&
        exit_code 0 "$TMP/inst/opt/gs/bin/gapsim" plot "$TMP/sweep.h5") || return 1
    images_ok "$TMP/cwd/output" sweep_sweep_collapse   # output/ is the default directory
}
check "make install installs the scripts; the installed gapsim plot works, into output/" install_finds_scripts
