#!/usr/bin/python3
"""damage_files.py - copies of a real gapsim file, each with ONE attribute or dataset of
the wrong type or shape, for the reader tests of tests/e2e_damaged.sh.

Usage: damage_files.py GOOD.h5 OUTDIR result|partial
Prints one line per copy: "FILE ITEM" (ITEM is the attribute or dataset changed).

Variants: an attribute holding a string where a number belongs (and a number where a
string belongs), or an array of two values where one belongs; a dataset holding
strings where numbers belong (numbers where names belong), or one entry too few along
its first axis.  Only items the readers use are damaged.
"""
import os
import shutil
import sys

import h5py
import numpy as np

RESULT_ATTRS = ["gapsim_format_version", "completed", "scenario_text", "scenario_sha256",
                "seed", "seed_text", "trajectories", "param_hardware_vol", "param_run_cycles"]
RESULT_DSETS = ["premium_mean", "premium_sd", "premium_quantile", "lag_months_quantile",
                "outcome_probability", "outcome_stderr", "outcome_ci_low", "outcome_ci_high",
                "outcome_count", "outcome_undefined", "quantile", "metric", "outcome",
                "metric_label", "outcome_label"]
PARTIAL_ATTRS = ["gapsim_partial", "gapsim_version", "scenario_text", "scenario_file", "sets",
                 "seed", "seed_set", "trajectories", "paths", "shard", "nshards", "points",
                 "cycles"]
PARTIAL_DSETS = ["values"]


def is_string(value):
    return isinstance(value, (str, bytes, np.bytes_, np.str_))


def damage_attr(f, name, variant):
    old = f.attrs[name]
    del f.attrs[name]
    if variant == "type":
        if is_string(old):
            f.attrs.create(name, np.float64(1.5))
        else:
            f.attrs[name] = "7"  # h5py: a variable-length string
    else:  # two values where one belongs
        f.attrs[name] = [old, old] if not is_string(old) else np.array([old, old])


def damage_dset(f, name, variant):
    data = f[name][...]
    attrs = dict(f[name].attrs)
    dims = f[name].dims
    scales = [d[0] if len(d) else None for d in dims]
    del f[name]
    if variant == "type":
        if data.dtype.kind in "OSU":
            new = np.arange(data.shape[0], dtype="f8")
        else:
            new = np.full(data.shape, b"x", dtype="S8")
    else:
        new = data[:-1] if data.shape and data.shape[0] > 1 else np.zeros((1, 1))
    ds = f.create_dataset(name, data=new)
    for k, v in attrs.items():
        if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid"):
            ds.attrs[k] = v
    # keep the dimension scales where the shape still fits, so that only this item is off
    for i, sc in enumerate(scales):
        if sc is not None and i < ds.ndim and sc.shape[0] == ds.shape[i] and sc.name != ds.name:
            ds.dims[i].attach_scale(sc)


def main():
    good, outdir, kind = sys.argv[1:4]
    attrs, dsets = (RESULT_ATTRS, RESULT_DSETS) if kind == "result" else (PARTIAL_ATTRS, PARTIAL_DSETS)
    os.makedirs(outdir, exist_ok=True)
    with h5py.File(good, "r") as f:
        attrs = [a for a in attrs if a in f.attrs]
        dsets = [d for d in dsets if d in f]
    for items, fn in ((attrs, damage_attr), (dsets, damage_dset)):
        for item in items:
            for variant in ("type", "shape"):
                out = os.path.join(outdir, f"{item}__{variant}.h5")
                shutil.copy(good, out)
                with h5py.File(out, "a") as f:
                    fn(f, item, variant)
                print(out, item)


if __name__ == "__main__":
    main()
