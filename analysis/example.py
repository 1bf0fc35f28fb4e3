#!/usr/bin/python3
"""example.py - reading gapsim results in your own Python: copy this and edit.

    build/gapsim run scenarios/baseline.yaml -o output/baseline.h5
    build/gapsim run scenarios/open_catches_up.yaml -o output/open_catches_up.h5
    /usr/bin/python3 analysis/example.py output/baseline.h5 output/open_catches_up.h5

Needs only Debian's python3-xarray, python3-h5netcdf and python3-matplotlib (run it with
/usr/bin/python3) and the gapsim package of this repository (python/gapsim: found next to
this script, or installed with `pip install ./python`).  Writes output/example_premium.png
and prints a few numbers.
"""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if os.path.isfile(os.path.join(_here, "..", "python", "gapsim", "__init__.py")):
    sys.path.insert(0, os.path.join(_here, "..", "python"))

import gapsim                    # noqa: E402
import matplotlib                # noqa: E402
matplotlib.use("Agg")            # no display needed; drop this line to use plt.show()
import matplotlib.pyplot as plt  # noqa: E402

os.makedirs("output", exist_ok=True)
a_path = sys.argv[1] if len(sys.argv) > 1 else "output/baseline.h5"
b_path = sys.argv[2] if len(sys.argv) > 2 else "output/open_catches_up.h5"

# 1. Open a result file.  Every variable is labelled: dimensions cycle, quantile,
#    metric, outcome; `time` (dates) and `year` (decimal years) are coordinates of cycle.
#    gapsim.open is xarray.open_dataset plus the labels of metric and outcome (stored as
#    integer codes for Octave and CDO) and the exact 64-bit seed.
a = gapsim.open(a_path)
print(a.attrs["title"], "-", a.attrs["trajectories"], "trajectories, seed", a.attrs["seed"])

# 2. Select a quantile.  Write ds["quantile"] (ds.quantile is xarray's method), and
#    select levels by value with .sel.
premium_median = a["premium_quantile"].sel(quantile=0.5)          # (cycle,)
premium_band = a["premium_quantile"].sel(quantile=[0.05, 0.95])    # (cycle, quantile)
print("quantile levels stored:", a["quantile"].values)
print("median premium at the horizon:", float(premium_median.isel(cycle=-1)))

# 3. Outcome probabilities: a (metric, outcome) table with Monte Carlo errors.
p = a["outcome_probability"].sel(metric="premium")
se = a["outcome_stderr"].sel(metric="premium")
for outcome in p["outcome"].values:
    print(f"P({outcome}) = {float(p.sel(outcome=outcome)):.3f} "
          f"+- {float(se.sel(outcome=outcome)):.3f}")

# 4. Plot the median and the 90% band against calendar years.
years = a["year"]
fig, ax = plt.subplots(figsize=(9, 5))
ax.fill_between(years, premium_band.sel(quantile=0.05), premium_band.sel(quantile=0.95),
                alpha=0.2, label=f"{a.attrs['scenario_name']}: 90% band")
ax.plot(years, premium_median, label=f"{a.attrs['scenario_name']}: median")

# 5. Compare with a second scenario: same plot, and the change in P(outcome) with its
#    standard error sqrt(se_a^2 + se_b^2) (the runs are independent samples).
b = gapsim.open(b_path)
ax.plot(b["year"], b["premium_quantile"].sel(quantile=0.5),
        label=f"{b.attrs['scenario_name']}: median")
change = b["outcome_probability"] - a["outcome_probability"]
change_se = (a["outcome_stderr"] ** 2 + b["outcome_stderr"] ** 2) ** 0.5
print("change in P(outcome) for the premium, B - A:")
print((change / change_se).sel(metric="premium").round(1).to_series().rename("in SEs")
      .to_frame().assign(change=change.sel(metric="premium").to_series().round(4)))

# 6. The outcome table in tidy form, ready for pandas or a spreadsheet
#    (`gapsim export FILE --format csv` writes it and the per-cycle statistics).
print(gapsim.outcomes(a).query("metric == 'premium'").to_string(index=False))

ax.set_xlabel("year")
ax.set_ylabel("closed price premium P^c/P^o - 1 (ratio)")
ax.set_title("Closed premium: two scenarios")
ax.legend()
fig.savefig("output/example_premium.png", dpi=100)
print("Wrote output/example_premium.png")
