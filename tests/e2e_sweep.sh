#!/usr/bin/env bash
# e2e_sweep.sh - end-to-end checks of uncertain parameters, sensitivity and sweeps with
# the real binary; prints "ok N - name" / "not ok N - name" (TAP style).  Run from the
# repository root.  (Malformed distributions and sweeps are in tests/data/bad/, which
# tests/e2e.sh runs.)
. tests/lib_e2e.sh

# --- sweeps ----------------------------------------------------------------------------
sweep_small() { # sweep_small OUT THREADS [extra]
    local out=$1 threads=$2
    shift 2
    "$GAPSIM" run scenarios/phase_sweep.yaml -q -n 400 --seed 3 --threads "$threads" -o "$out" "$@"
}
check "phase sweep runs with 1 thread" sweep_small "$TMP/s1.h5" 1
check "phase sweep runs with 2 threads" sweep_small "$TMP/s2.h5" 2
check "sweep: 1 and 2 threads give identical data (h5diff)" h5diff --exclude-attribute / "$TMP/s1.h5" "$TMP/s2.h5"
check "gapsim sweep is run; --no-crn changes the data" bash -c \
    "'$GAPSIM' sweep scenarios/phase_sweep.yaml -q -n 400 --seed 3 --no-crn -o '$TMP/nocrn.h5' && ! h5diff -q '$TMP/s1.h5' '$TMP/nocrn.h5' outcome_probability outcome_probability"
check "sweep file: point dimension, param_ coordinates, unstacks into a 10 x 8 grid" "$PY" -c "
import xarray as xr
for engine in ('h5netcdf', 'netcdf4'):
    ds = xr.open_dataset('$TMP/s1.h5', engine=engine)
    assert ds.premium_mean.dims == ('cycle', 'point'), ds.premium_mean.dims  # time first, for CDO
    assert ds.outcome_probability.dims == ('point', 'metric', 'outcome')
    assert 'param_capability_catch_up' in ds.coords and 'param_training_funding_elasticity' in ds.coords
    assert not [d for d in ds.dims if d.startswith('phony')]
    assert ds.attrs['sweep_kind'] == 'grid' and list(ds.attrs['sweep_shape']) == [10, 8]
g = ds.set_index(point=ds.attrs['sweep_coordinates'].split()).unstack('point')
p = g.outcome_probability.sel(metric=1, outcome=0)   # premium, compound
assert p.shape == (10, 8), p.shape
# the phase diagram: more catch-up, less compounding (first vs last row, every column)
assert (p.isel(param_capability_catch_up=0) > p.isel(param_capability_catch_up=-1)).all()
"
check "sweep console table has P(compound) per point" bash -c \
    "'$GAPSIM' run scenarios/phase_sweep.yaml -n 200 -o '$TMP/t.h5' | grep -c '^ *[0-9]* *0\\.' | grep -qx 80"
check "an LHS sweep over ranges" bash -c "cat >'$TMP/lhs.yaml' <<'Y'
model: 2
name: lhs
sweep: {design: lhs, points: 5, ranges: {pricing.capture_trend: [-1.0, 0.0], serving.trend: [-0.8, 0.0]}}
Y
'$GAPSIM' run '$TMP/lhs.yaml' -q -n 300 -o '$TMP/lhs.h5' && h5dump -H -d param_serving_trend '$TMP/lhs.h5' | grep -q '( 5 )'"

readme_sweep_snippet() { # the README's sweep example and its unstack snippet, as written
    mkdir -p "$TMP/snip/output" && cd "$TMP/snip" || return 1
    cp -r "$OLDPWD/scenarios" . || return 1
    "$GAPSIM" run scenarios/phase_sweep.yaml -q -n 300 -o output/phase.h5 || return 1
    awk '/^```py$/{f=1;next} /^```$/{f=0} f' "$OLDPWD/README.md" >snippet.py
    grep -q sweep_coordinates snippet.py || { echo "snippet not found in README"; return 1; }
    "$PY" snippet.py | grep -q param_training_funding_elasticity
}
check "README sweep snippet runs as written" readme_sweep_snippet

# --- uncertain parameters and sensitivity ---------------------------------------------
# (a few priors keep it fast; scenarios/uncertain.yaml has 63)
cat >"$TMP/unc.yaml" <<'EOF'
model: 2
name: unc
capability: {catch_up: {dist: beta, p5: 0.40, p95: 0.80}}
training:
  growth: {dist: uniform, min: 0.1, max: 0.9}
  funding_elasticity: {dist: uniform, min: 0, max: 0.8}
demand: {value_dilution: {dist: triangular, min: 0, mode: 0.25, max: 1.0}}
uncertainty:
  design: lhs
  correlations:
    - [training.funding_elasticity, training.growth, 0.4]
sensitivity: {tornado: true, sobol: true, samples: 256, bootstrap: 100}
EOF
unc_small() { # unc_small OUT THREADS: -n also sizes the tornado runs
    "$GAPSIM" run "$TMP/unc.yaml" -q -n 800 --seed 5 --threads "$2" -o "$1"
}
check "uncertain run with sensitivity, 1 thread" unc_small "$TMP/u1.h5" 1
check "uncertain run with sensitivity, 2 threads" unc_small "$TMP/u2.h5" 2
check "uncertain: 1 and 2 threads give identical data (h5diff)" h5diff --exclude-attribute / "$TMP/u1.h5" "$TMP/u2.h5"
check "sensitivity in the file: parameter dim, Sobol indices with CIs, tornado" "$PY" -c "
import xarray as xr, numpy as np
ds = xr.open_dataset('$TMP/u1.h5', engine='h5netcdf')
assert ds.sobol_total.dims == ('parameter', 'metric')
assert ds.tornado_compound.dims == ('parameter', 'side', 'metric')
assert 'capability.catch_up' in [str(x) for x in ds.parameter_label.values]
lo, hi, s = ds.sobol_total_ci_low, ds.sobol_total_ci_high, ds.sobol_total
assert bool(((lo <= s) & (s <= hi)).all())
assert abs(float(ds.rank_correlation_achieved[0]) - 0.4) < 0.1
"
check "sensitivity table printed, ranked" bash -c \
    "'$GAPSIM' run '$TMP/unc.yaml' -n 400 -o '$TMP/u3.h5' | grep -q 'What decides premium at the horizon (ranked by total Sobol index)'"
check "--target-se reports its batches and meets the target" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -n 1000 --target-se 0.008 -o '$TMP/se.h5' | grep -q 'batches of 1000 trajectories.*the target was met'"
check "--target-se: same seed, same answer (h5diff)" bash -c \
    "'$GAPSIM' run scenarios/baseline_point.yaml -q -n 1000 --target-se 0.008 -t 1 -o '$TMP/se1.h5' && h5diff --exclude-attribute / '$TMP/se.h5' '$TMP/se1.h5'"
cat >"$TMP/anti.yaml" <<'Y'
model: 2
name: anti
training: {reinvest: {dist: uniform, min: 0.0, max: 0.7}}
Y
check "--antithetic pairs the draws (summary says so)" bash -c \
    "'$GAPSIM' run '$TMP/anti.yaml' -n 400 --antithetic -o '$TMP/a.h5' | grep -q 'Antithetic pairs'"
check "--antithetic with an LHS design is bad input (2)" bash -c \
    "'$GAPSIM' run scenarios/uncertain.yaml -q -n 100 --antithetic -o '$TMP/b.h5'; test \$? -eq 2"
# The run attributes are named in sim/runkeys.def (the RA lines); h5out writes each one
# in the files that have it (a single run, a sweep, sensitivity, --target-se, antithetic).
check "every output attribute of runkeys.def is in the result files" "$PY" -c "
import re, sys, h5py
text = open('sim/runkeys.def').read()
named = re.findall(r'^RA\(\w+, \"([^\"]+)\".*?\"(\w+)\"\)\n', text, re.S | re.M)
if len(named) < 9: sys.exit('only %d RA lines found' % len(named))
have = set()
for f in ['$TMP/s1.h5', '$TMP/u1.h5', '$TMP/se.h5', '$TMP/a.h5']:
    have |= set(h5py.File(f, 'r').attrs)
missing = [k + ' -> ' + a for k, a in named if a not in have]
if 'seed_text' not in have: missing.append('run.seed -> seed_text')
if missing: sys.exit('not written: ' + ', '.join(missing))
"
