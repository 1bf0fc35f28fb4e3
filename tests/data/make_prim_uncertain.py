#!/usr/bin/python3
"""make_prim_uncertain.py RESULT.h5 > prim_uncertain.csv - the stored PRIM data set from the
`trajectories` group of a `gapsim run --keep-draws` result (tests/data/README.md): the
draws of 8 uncertain parameters, the shock summaries and `premium_class` (0 compound,
1 persist, 2 collapse) of every trajectory whose premium class is defined and whose mean
catch-up is a number.  Draws are rounded to 5 significant digits (ties, which the test
wants too)."""
import sys

import h5py
import numpy as np

KEYS = ["capability.catch_up", "capability.breakthrough_rate", "training.reinvest",
        "training.growth", "pricing.capture", "pricing.capture_trend", "serving.trend",
        "demand.sensitive_share"]
SUMMARIES = ["supply_shocks", "breakthroughs", "governance_switches", "lab_entries",
             "lab_exits", "mean_catch_up"]

g = h5py.File(sys.argv[1], "r")["trajectories"]
cols = [g["draw_" + k][:].astype(np.float64) for k in KEYS] + \
       [g[s][:].astype(np.float64) for s in SUMMARIES]
cls = g["class_premium"][:]
ok = (cls >= 0) & np.isfinite(cols[-1])
out = sys.stdout
out.write(",".join(KEYS + SUMMARIES + ["premium_class"]) + "\n")
for i in np.flatnonzero(ok):
    out.write(",".join("%.5g" % c[i] for c in cols) + ",%d\n" % cls[i])
