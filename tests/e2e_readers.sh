#!/usr/bin/env bash
# e2e_readers.sh - every reader that Debian packages opens every kind of result file and
# reads its key variables, and every units string parses with udunits2:
#   ncdump (netcdf-bin), CDO (sinfo, showdate, outputtab), Octave's netcdf package
#   (ncinfo, ncread of every variable), R's ncdf4 (every variable, the seed 2^64 - 1),
#   Python netCDF4 / xarray (both engines) / h5py / pandas, the gapsim package and
#   `gapsim export`, a venv `pip install` of python/.
# The file kinds: a single run with stored paths, a sweep, an uncertain run with tornado
# and Sobol sensitivity.  A reader that is not installed is skipped with a message
# (.ci/install-deps installs them all).
cd "$(dirname "$0")/.." || exit 1
. tests/lib_e2e.sh

SEED=18446744073709551615 # 2^64 - 1: comes back exact only through seed_text in R
"$GAPSIM" run scenarios/baseline_point.yaml -q -n 400 --seed $SEED --paths 5 -o "$TMP/run.h5" || exit 1
cat >"$TMP/sweep.yaml" <<'Y'
model: 2
name: small_sweep
sweep:
  grid:
    capability.catch_up: [0.3, 0.6, 0.9]
    training.reinvest: [0.0, 0.5]
Y
"$GAPSIM" run "$TMP/sweep.yaml" -q -n 200 -o "$TMP/sweep.h5" || exit 1
# a small uncertain run with tornado and Sobol (a few priors keep it fast;
# scenarios/uncertain.yaml has 63)
cat >"$TMP/unc.yaml" <<'Y'
model: 2
name: small_uncertain
capability:
  catch_up: {dist: uniform, min: 0.2, max: 0.8}
training:
  reinvest: {dist: uniform, min: 0.2, max: 0.8}
hardware:
  vol: {dist: lognormal, p5: 0.20, p95: 0.55}
sensitivity:
  tornado: true
  sobol: true
  samples: 32
  bootstrap: 10
  trajectories: 200
Y
"$GAPSIM" run "$TMP/unc.yaml" -q -n 400 -o "$TMP/unc.h5" || exit 1
KINDS="run sweep unc"
export PYTHONPATH="$PWD/python"

have() { command -v "$1" >/dev/null 2>&1; }

# The expected dates of the run (baseline: start 2024.0, half-year cycles).
"$PY" -c "
import h5py, sys
f = h5py.File('$TMP/run.h5', 'r')
print(' '.join(f'{int(y):04d}-{1 if y % 1 == 0 else 7:02d}-01' for y in f['year'][()]))
" >"$TMP/dates" || exit 1

# --- ncdump ------------------------------------------------------------------------
if have ncdump; then
    ncdump_kind() { # header of every kind; decoded times (-t) are the run's dates
        local f=$TMP/$1.h5
        ncdump -h "$f" >"$TMP/$1.cdl" || return 1
        grep -q 'time:units = "days since ' "$TMP/$1.cdl" || { echo "no CF time in $1"; return 1; }
        ! grep -q '^\s*string ' "$TMP/$1.cdl" || { echo "string variables in $1"; return 1; }
        ncdump -t -v time "$f" | grep -q "\"$(cut -d' ' -f2 "$TMP/dates")" || { echo "times do not decode"; return 1; }
    }
    for k in $KINDS; do check "ncdump: $k file, CF time decodes, no string variables" ncdump_kind $k; done
else
    skip "ncdump" "netcdf-bin not installed (apt-get install netcdf-bin)"
fi

# --- CDO -----------------------------------------------------------------------------
if have cdo; then
    cdo_dates() { # showdate lists the cycles' dates, none 0000-00-00
        local got
        got=$(cdo -s showdate "$TMP/$1.h5" 2>/dev/null | xargs)
        [ "$got" = "$(cat "$TMP/dates")" ] || { echo "showdate: '$got'"; echo "wanted: '$(cat "$TMP/dates")'"; return 1; }
    }
    cdo_sinfo() { # sinfo sees the per-cycle statistics (all of them, for a sweep per point)
        local names want
        cdo -s sinfo "$TMP/$1.h5" >"$TMP/$1.sinfo" 2>"$TMP/$1.sinfo.err" || { cat "$TMP/$1.sinfo.err"; return 1; }
        grep -q 'RefTime =  2024-01-01 00:00:00  Units = days  Calendar = standard' "$TMP/$1.sinfo" ||
            { echo "no time axis"; cat "$TMP/$1.sinfo"; return 1; }
        names=$(cdo -s showname "$TMP/$1.h5" 2>/dev/null | xargs -n1 | grep -c '_mean$')
        want=$("$PY" -c "import h5py; print(sum(n.endswith('_mean') for n in h5py.File('$TMP/$1.h5', 'r')))")
        [ "$names" = "$want" ] || { echo "CDO sees $names of $want <var>_mean variables"; return 1; }
        ! grep -q 'Time must be the first dimension' "$TMP/$1.sinfo.err" || { grep 'first dim' "$TMP/$1.sinfo.err" | head -3; return 1; }
    }
    cdo_outputtab() { # outputtab of premium_mean: one row per date (and point), the values of the file
        local points=$2
        cdo -s outputtab,date,value -setgrid,r${points}x1 -selname,premium_mean "$TMP/$1.h5" \
            2>/dev/null | grep -v '^#' >"$TMP/$1.tab" || return 1
        "$PY" - "$TMP/$1.h5" "$TMP/$1.tab" <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
want = np.asarray(f["premium_mean"][()], dtype=float).reshape(len(f["year"]), -1)
rows = [line.split() for line in open(sys.argv[2]) if line.strip()]
got = np.array([float(r[1]) for r in rows]).reshape(want.shape)
dates = sorted(set(r[0] for r in rows))
assert len(dates) == want.shape[0] and "0000-00-00" not in dates, dates
assert np.allclose(got, want, rtol=1e-4, atol=1e-9), (got[:2], want[:2])
EOF
    }
    for k in run sweep; do
        check "cdo showdate: $k file, the dates of the cycles" cdo_dates $k
        check "cdo sinfo: $k file, time axis and every <var>_mean" cdo_sinfo $k
    done
    check "cdo outputtab: premium_mean of a run" cdo_outputtab run 1
    check "cdo outputtab: premium_mean of a sweep, every point" cdo_outputtab sweep 6
else
    skip "cdo" "cdo not installed (apt-get install cdo)"
fi

# --- Octave --------------------------------------------------------------------------
if have octave && octave --no-gui -q --eval 'pkg load netcdf' >/dev/null 2>&1; then
    cat >"$TMP/read.m" <<'EOF'
pkg load netcdf
args = argv();
f = args{1};
info = ncinfo(f);
n = 0;
for i = 1:numel(info.Variables)
  x = ncread(f, info.Variables(i).Name);
  n = n + 1;
end
p = ncread(f, "outcome_probability");
t = ncread(f, "time");
lab = ncread(f, "metric_label");
m = lab(:, 2)';
m = m(m != 0 & m != ' ');  % the labels are NUL-padded
s = ncreadatt(f, "/", "seed_text");
s = s(s != 0);  % gapsim's string attributes end in a NUL, which Octave keeps
printf("%d %s %s %g %g\n", n, s, m, t(2), sum(p(:)));
EOF
    octave_kind() {
        local out
        out=$(octave --no-gui -q "$TMP/read.m" "$TMP/$1.h5" 2>"$TMP/octave.err") ||
            { echo "$out"; cat "$TMP/octave.err"; return 1; }
        echo "$out"
        set -- $out
        [ "$1" -gt 20 ] && [ "$3" = premium ] && [ "$4" = 182 ] || { echo "unexpected: $out"; return 1; }
    }
    for k in $KINDS; do check "octave ncinfo + ncread of every variable: $k file" octave_kind $k; done
    check "octave: seed_text is the seed 2^64 - 1" bash -c \
        "octave --no-gui -q '$TMP/read.m' '$TMP/run.h5' 2>/dev/null | grep -q ' $SEED '"
else
    skip "octave" "octave or octave-netcdf not installed (apt-get install octave octave-netcdf)"
fi

# --- R ncdf4 -------------------------------------------------------------------------
if have Rscript && Rscript -e 'library(ncdf4)' >/dev/null 2>&1; then
    cat >"$TMP/read.R" <<'EOF'
suppressMessages(library(ncdf4))
f <- commandArgs(trailingOnly = TRUE)[1]
nc <- nc_open(f)
n <- 0
for (v in names(nc$var)) { x <- ncvar_get(nc, v); n <- n + 1 }
s <- ncatt_get(nc, 0, "seed_text")$value
t <- ncvar_get(nc, "time")
u <- ncatt_get(nc, "time", "units")$value
m <- ncvar_get(nc, "metric_label")
cat(n, s, m[2], t[2], u, "\n")
nc_close(nc)
EOF
    r_kind() {
        local out
        out=$(Rscript "$TMP/read.R" "$TMP/$1.h5" 2>&1) || { echo "$out"; return 1; }
        echo "$out"
        set -- $out
        [ "$1" -gt 20 ] && [ "$3" = premium ] && [ "$4" = 182 ] && [ "$5" = days ] ||
            { echo "unexpected: $out"; return 1; }
    }
    for k in $KINDS; do check "R ncdf4: every variable of the $k file" r_kind $k; done
    check "R ncdf4: the seed 2^64 - 1 exactly (seed_text)" bash -c \
        "Rscript '$TMP/read.R' '$TMP/run.h5' | grep -q '^[0-9]* $SEED '"
else
    skip "R ncdf4" "r-cran-ncdf4 not installed (apt-get install r-cran-ncdf4)"
fi

# --- Python --------------------------------------------------------------------------
python_kind() {
    "$PY" - "$TMP/$1.h5" <<'EOF'
import sys, warnings
warnings.simplefilter("ignore")
import h5py, netCDF4, numpy as np, xarray as xr
import gapsim
path = sys.argv[1]
nc = netCDF4.Dataset(path)
assert nc.data_model == "NETCDF4"
for name, v in nc.variables.items():
    v[...]                                        # every variable reads
assert int(nc.seed_text) == int(nc.getncattr("seed")) or nc.seed_text == "18446744073709551615"
dates = netCDF4.num2date(nc["time"][:], nc["time"].units, nc["time"].calendar)
assert dates[0].year == 2024 and dates[1].month == 7, dates[:2]
for engine in ("h5netcdf", "netcdf4"):
    ds = xr.open_dataset(path, engine=engine)
    assert np.issubdtype(ds["time"].dtype, np.datetime64)
    assert not [d for d in ds.dims if "phony" in d]
    ds.load()
with h5py.File(path, "r") as f:
    assert f.attrs["seed_text"].decode() == str(int(f.attrs["seed"]))
ds = gapsim.open(path)
assert ds.attrs["seed"] == int(ds.attrs["seed_text"])
p = ds.outcome_probability.sel(metric="premium", outcome="compound")
out = gapsim.outcomes(ds)
import pandas
assert isinstance(out, pandas.DataFrame) and {"metric", "outcome", "probability"} <= set(out)
tidy = gapsim.per_cycle(ds)
assert len(tidy) == ds.sizes["cycle"] * sum(1 for v in ds.data_vars
                                           if v.endswith("_mean") and "cycle" in ds[v].dims) * \
    (ds.sizes["point"] if "point" in ds.dims else 1)
ds.to_dataframe() if "point" not in ds.dims else ds.premium_mean.to_pandas()
EOF
}
for k in $KINDS; do check "python netCDF4, xarray (both engines), h5py, pandas, gapsim: $k file" python_kind $k; done

export_kind() { # gapsim export: tidy CSV and JSON of every kind
    "$PY" analysis/gapsim_export.py "$TMP/$1.h5" --format csv -o "$TMP/$1-csv" 2>/dev/null || return 1
    "$PY" analysis/gapsim_export.py "$TMP/$1.h5" --format json -o "$TMP/$1.json" 2>/dev/null || return 1
    "$PY" - "$TMP" "$1" <<'EOF'
import csv, json, os, sys
tmp, kind = sys.argv[1:]
d = os.path.join(tmp, kind + "-csv")
per = list(csv.DictReader(open(os.path.join(d, "per_cycle.csv"))))
out = list(csv.DictReader(open(os.path.join(d, "outcomes.csv"))))
assert {"variable", "units", "cycle", "date", "year", "mean", "sd"} <= set(per[0]), per[0]
assert per[1]["date"] == "2024-07-01", per[1]
assert len(out) == 18 * (6 if kind == "sweep" else 1), len(out)  # 6 metrics x 3 outcomes
assert (kind == "sweep") == os.path.exists(os.path.join(d, "sweep.csv"))
doc = json.load(open(os.path.join(tmp, kind + ".json")))
assert len(doc["outcomes"]) == len(out) and len(doc["per_cycle"]) == len(per)
if kind == "sweep":
    rows = list(csv.DictReader(open(os.path.join(d, "sweep.csv"))))
    assert len(rows) == 6 and "capability_catch_up" in rows[0] and "premium_compound_stderr" in rows[0]
EOF
}
for k in $KINDS; do check "gapsim export: tidy CSV and JSON of the $k file" export_kind $k; done
check "gapsim export: a missing file is one line, exit 2" bash -c \
    "'$PY' analysis/gapsim_export.py '$TMP/none.h5' 2>&1 >/dev/null | grep -q '^gapsim: .*none.h5: cannot read'; [ \${PIPESTATUS[0]} -eq 2 ]"

# --- udunits2 over every units attribute -------------------------------------------
if have udunits2; then
    units_all() {
        "$PY" - $(for k in $KINDS; do echo "$TMP/$k.h5"; done) >"$TMP/units" <<'EOF' || return 1
import sys, h5py
seen = set()
def visit(name, obj):
    u = obj.attrs.get("units")
    if u is not None:
        seen.add(u.decode() if isinstance(u, bytes) else str(u))
for p in sys.argv[1:]:
    h5py.File(p, "r").visititems(visit)
print("\n".join(sorted(seen)))
EOF
        local bad=0 u
        while IFS= read -r u; do
            if udunits2 -H "$u" -W "" </dev/null 2>&1 | grep -q "Don't recognize"; then
                echo "udunits2 rejects '$u'"
                bad=1
            fi
        done <"$TMP/units"
        [ "$(wc -l <"$TMP/units")" -ge 5 ] || { echo "too few units found"; return 1; }
        return $bad
    }
    check "udunits2 parses every units string of every file kind" units_all
else
    skip "udunits2" "udunits-bin not installed (apt-get install udunits-bin)"
fi

# --- the package in a virtual environment ------------------------------------------
pip_venv() {
    "$PY" -m venv --system-site-packages "$TMP/venv" || return 1
    cp -r python "$TMP/pysrc"   # pip builds in the tree: keep the source clean
    "$TMP/venv/bin/pip" install -q --no-build-isolation --no-deps --no-index "$TMP/pysrc" || return 1
    (cd "$TMP" && env -u PYTHONPATH "$TMP/venv/bin/python" -c "
import gapsim, sys
assert gapsim.__file__.startswith('$TMP/venv'), gapsim.__file__
ds = gapsim.open('$TMP/run.h5')
assert ds.attrs['seed'] == $SEED
")
}
if "$PY" -m venv --help >/dev/null 2>&1 && "$PY" -c 'import setuptools' 2>/dev/null; then
    check "pip install ./python into a venv (--system-site-packages), gapsim.open works" pip_venv
else
    skip "pip install into a venv" "python3-venv or python3-setuptools not installed"
fi

run_api() { # gapsim.run calls the binary with overrides and opens the result
    GAPSIM="$GAPSIM" "$PY" -c "
import gapsim
ds = gapsim.run('scenarios/baseline_point.yaml', '$TMP/api.h5', trajectories=200, seed=3,
                **{'training.reinvest': 0.6}, pricing__capture_trend=-0.3)
assert float(ds.attrs['param_training_reinvest']) == 0.6
assert float(ds.attrs['param_pricing_capture_trend']) == -0.3
try:
    gapsim.run('scenarios/baseline_point.yaml', '$TMP/api2.h5', **{'training.reinvst': 1})
except Exception as e:
    assert 'did you mean' in str(e.stderr), e.stderr
else:
    raise SystemExit('bad key accepted')
"
}
check "gapsim.run: overrides as keys and as key__names, errors carry gapsim's message" run_api

check "python/gapsim/labels.py is up to date with sim/params.def and sim/model.h (make labels)" \
    bash -c "'$PY' python/tools/gen_labels.py . | cmp - python/gapsim/labels.py"

# --- deck-ready figures -------------------------------------------------------------
figures_deck() { # real text in SVG, words not code names, log axis, thresholds, pdf, dpi
    local d=$TMP/figs
    "$PY" analysis/gapsim_plot.py "$TMP/unc.h5" -o "$d" --format svg,pdf,png --dpi 200 >/dev/null || return 1
    for f in fan_premium fan_lag fan_closed_share outcomes tornado_compound sobol; do
        [ -s "$d/unc_$f.svg" ] && [ -s "$d/unc_$f.pdf" ] || { echo "unc_$f missing"; return 1; }
    done
    "$PY" - "$d" <<'PYEOF'
import re, sys, struct
d = sys.argv[1]
def texts(name):
    svg = open(f"{d}/unc_{name}.svg", encoding="utf-8").read()
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
for name in ("fan_premium", "outcomes", "tornado_compound", "sobol"):
    t = texts(name)
    assert len(t) > 10, (name, "no real text: glyphs as paths?")
    joined = " ".join(t)
    for code in ("premium_q", "closed_share", "lag_months", "S_i", "S_Ti"):
        assert code not in t, (name, code)
fan = " ".join(texts("fan_premium"))
assert "log scale" in fan, "premium fan not on a log axis"
assert "compound: x1.5" in fan and "collapse: x0.5" in fan, "thresholds not drawn"
assert "quality-adjusted premium" in " ".join(texts("outcomes"))
tor = " ".join(texts("tornado_compound"))
assert "Mean fraction of the gap open releases" in tor and " to " in tor, "parameter words or p10/p90"
w, h = struct.unpack(">II", open(f"{d}/unc_fan_premium.png", "rb").read()[16:24])
assert w == 2000, w   # 10 in at --dpi 200
PYEOF
}
check "figures: SVG text as text, words not code names, log axis, thresholds, PDF, --dpi" figures_deck
check "figures: --format gif is refused with the choices" bash -c \
    "'$PY' analysis/gapsim_plot.py '$TMP/run.h5' -o '$TMP/f2' --format gif 2>&1 | grep -q 'choose from png, svg, pdf'"
