#!/usr/bin/python3
"""check_output.py - checks a gapsim HDF5 file against shared/OUTPUT.md with the readers
researchers use.

Usage: /usr/bin/python3 tests/check_output.py FILE.h5 [--paths]

Opens FILE with xarray under engine="h5netcdf" and engine="netcdf4" and checks: no
phony_dim, the dimensions cycle/quantile/metric/outcome, the coordinates (time among
them, as a float in years, not decoded to timedeltas), every variable of the contract
with long_name and units, the metric and outcome labels, the root attributes
(completed == 1 and scenario_sha256 == SHA-256 of scenario_text), and
netCDF4.Dataset(FILE).data_model == "NETCDF4".  With --paths also the `paths` group
(xr.open_dataset(FILE, group="paths")).  Prints "check_output: OK FILE" and exits 0, or
prints every failed check and exits 1.

The recorded variables are read from sim/model.h (MODEL_VARS), next to this script.
"""
import hashlib
import os
import re
import sys
import warnings

import netCDF4
import numpy as np
import xarray as xr

METRICS = ["lag_months", "premium", "premium_q", "rent", "closed_share", "closed_labs"]
OUTCOMES = ["compound", "persist", "collapse"]
ENGINES = ["h5netcdf", "netcdf4"]
ROOT_ATTRS = ["Conventions", "title", "source", "history", "gapsim_format_version",
              "scenario_text", "scenario_sha256", "rng", "seed", "trajectories",
              "created", "completed", "seed_text", "start_year"]


def model_vars():
    """Names of the recorded variables, in order, from MODEL_VARS in sim/model.h."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "sim", "model.h"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("#define MODEL_VARS(X)"):]
    block = block[:block.index("\n\n")]
    return re.findall(r"X\((\w+),", block)


def as_text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


class Checker:
    def __init__(self):
        self.failures = []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    def labelled(self, ds, name, where, units=True):
        """Variable `name` exists with long_name (and units unless units=False)."""
        if not self.check(name in ds.variables, f"{where}: variable {name} missing"):
            return False
        attrs = ds[name].attrs
        self.check("long_name" in attrs, f"{where}: {name} has no long_name")
        if units:
            self.check("units" in attrs, f"{where}: {name} has no units")
        return True

    def dims_are(self, ds, name, dims, where):
        if name in ds.variables:
            self.check(ds[name].dims == dims,
                       f"{where}: {name} has dims {ds[name].dims}, expected {dims}")

    def no_phony(self, ds, where):
        phony = [d for d in ds.dims if "phony_dim" in str(d)]
        self.check(not phony, f"{where}: phony dimensions {phony}")

    def root(self, ds, where, names):
        self.no_phony(ds, where)
        for d in ["cycle", "quantile", "metric", "outcome"]:
            self.check(d in ds.dims, f"{where}: dimension {d} missing")
        for c in ["time", "quantile", "metric", "outcome"]:
            self.check(c in ds.coords, f"{where}: {c} is not a coordinate")
        # cycle is a dimension without a variable (so that CDO takes `time` as its time
        # axis); time is CF time that xarray decodes to dates; year decimal years
        self.check("cycle" not in ds.variables, f"{where}: cycle should be a bare dimension")
        for c in ["quantile", "year"]:
            self.labelled(ds, c, where)
        self.labelled(ds, "time", where, units=False)
        for c in ["metric", "outcome"]:
            self.labelled(ds, c, where, units=False)
        if "time" in ds.variables:
            self.check(np.issubdtype(ds["time"].dtype, np.datetime64),
                       f"{where}: time decoded as {ds['time'].dtype}, expected dates")
            self.check(str(ds["time"].encoding.get("units", "")).startswith("days since "),
                       f"{where}: time units not 'days since ...'")
            self.check(ds["time"].encoding.get("calendar") == "standard",
                       f"{where}: time calendar not 'standard'")
            self.dims_are(ds, "time", ("cycle",), where)
        if "year" in ds.variables and "time" in ds.variables:
            y = ds["year"].values
            self.check(bool(np.all(np.diff(y) > 0)), f"{where}: year not increasing")
            first = np.datetime64(f"{int(y[0]):04d}-01-01")
            self.check(ds["time"].values[0] >= first, f"{where}: time[0] before year[0]")
        if "quantile" in ds.variables:
            q = ds["quantile"].values
            self.check(bool(np.all((q > 0) & (q < 1))), f"{where}: quantile levels outside (0, 1)")
        # categorical coordinates: integer codes with flag_meanings, labels in <name>_label
        for name, want in [("metric", METRICS), ("outcome", OUTCOMES)]:
            if name in ds.variables:
                self.check(list(ds[name].values) == list(range(len(want))),
                           f"{where}: {name} codes are not 0..{len(want) - 1}")
                got = as_text(ds[name].attrs.get("flag_meanings", "")).split()
                self.check(got == want, f"{where}: {name} flag_meanings = {got}, expected {want}")
                if self.check(f"{name}_label" in ds.variables, f"{where}: {name}_label missing"):
                    lab = [as_text(v) for v in ds[f"{name}_label"].values]
                    self.check(lab == want, f"{where}: {name}_label = {lab}, expected {want}")
        for v in names:
            for suffix, dims in [("_mean", ("cycle",)), ("_sd", ("cycle",)),
                                 ("_quantile", ("cycle", "quantile"))]:
                if self.labelled(ds, v + suffix, where):
                    self.dims_are(ds, v + suffix, dims, where)
                    self.check(ds[v + suffix].dtype == np.float64,
                               f"{where}: {v + suffix} is {ds[v + suffix].dtype}")
        for v in ["outcome_probability", "outcome_stderr", "outcome_ci_low",
                  "outcome_ci_high", "outcome_count"]:
            if self.labelled(ds, v, where):
                self.dims_are(ds, v, ("metric", "outcome"), where)
        if self.labelled(ds, "nonfinite_count", where):
            self.dims_are(ds, "nonfinite_count", ("variable",), where)
        if {"outcome_probability", "outcome_ci_low", "outcome_ci_high"} <= set(ds.variables):
            p, lo, hi = (ds[n].values for n in ["outcome_probability", "outcome_ci_low",
                                                 "outcome_ci_high"])
            self.check(bool(np.all((lo <= p + 1e-12) & (p <= hi + 1e-12))),
                       f"{where}: outcome_probability outside its interval")
        a = ds.attrs
        for name in ROOT_ATTRS:
            self.check(name in a, f"{where}: root attribute {name} missing")
        self.check(a.get("Conventions") == "CF-1.8", f"{where}: Conventions != CF-1.8")
        self.check(a.get("completed") == 1, f"{where}: completed != 1")
        if "scenario_text" in a and "scenario_sha256" in a:
            sha = hashlib.sha256(as_text(a["scenario_text"]).encode("utf-8")).hexdigest()
            self.check(sha == a["scenario_sha256"],
                       f"{where}: scenario_sha256 is not the SHA-256 of scenario_text")

    def paths(self, ds, where, names, n_cycles):
        self.no_phony(ds, where)
        for d in ["trajectory", "cycle"]:
            self.check(d in ds.dims, f"{where}: dimension {d} missing")
        for c in ["trajectory", "time"]:
            self.check(c in ds.coords, f"{where}: {c} is not a coordinate")
        self.labelled(ds, "trajectory", where)
        self.labelled(ds, "time", where, units=False)
        if n_cycles is not None and "cycle" in ds.dims:
            self.check(ds.sizes["cycle"] == n_cycles, f"{where}: cycle length differs from root")
        for v in names:
            if self.labelled(ds, v, where):
                self.dims_are(ds, v, ("trajectory", "cycle"), where)
                self.check(ds[v].dtype == np.float32, f"{where}: {v} is {ds[v].dtype}, not float32")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = [a for a in argv[1:] if a.startswith("--")]
    if len(args) != 1 or set(flags) - {"--paths"}:
        print("usage: check_output.py FILE.h5 [--paths]", file=sys.stderr)
        return 2
    path, want_paths = args[0], "--paths" in flags
    c = Checker()
    names = model_vars()
    c.check(len(names) > 0, "no recorded variables found in sim/model.h")
    warnings.simplefilter("ignore")
    for engine in ENGINES:
        where = f"{engine}"
        n_cycles = None
        try:
            with xr.open_dataset(path, engine=engine) as ds:
                c.root(ds, where, names)
                n_cycles = ds.sizes.get("cycle")
        except Exception as e:  # a file that does not open is a failed check
            c.check(False, f"{where}: open_dataset failed: {type(e).__name__}: {e}")
        if want_paths:
            where = f"{engine} group=paths"
            try:
                with xr.open_dataset(path, engine=engine, group="paths") as ds:
                    c.paths(ds, where, names, n_cycles)
            except Exception as e:
                c.check(False, f"{where}: open_dataset failed: {type(e).__name__}: {e}")
    try:
        with netCDF4.Dataset(path) as nc:
            c.check(nc.data_model == "NETCDF4", f"netCDF4: data_model = {nc.data_model}")
            c.check(getattr(nc, "completed", None) == 1, "netCDF4: completed != 1")
            c.check(not want_paths or "paths" in nc.groups, "netCDF4: no group paths")
    except Exception as e:
        c.check(False, f"netCDF4.Dataset failed: {type(e).__name__}: {e}")
    if c.failures:
        for f in c.failures:
            print(f"check_output: FAIL {path}: " + " ".join(f.split()))
        return 1
    print(f"check_output: OK {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
