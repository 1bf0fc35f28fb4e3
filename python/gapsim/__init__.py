"""gapsim - read, run and export gapsim result files from Python.

    import gapsim
    ds = gapsim.open("output/baseline.h5")        # xarray.Dataset, dates decoded
    ds.outcome_probability.sel(metric="premium", outcome="compound")
    frame = gapsim.outcomes(ds)                    # tidy: one row per metric x outcome
    ds2 = gapsim.run("scenarios/baseline.yaml", trajectories=2000,
                     **{"training.reinvest": 0.6})

The file layout is README's "The output file".  Categorical coordinates (metric,
outcome, variable, parameter, side, correlation_pair) are stored as integer codes with
CF flag_values/flag_meanings and a char array <name>_label, because Octave and CDO cannot
read netCDF string variables; open() puts the labels back as the coordinates, so
.sel(metric="premium") works.  Pure Python; needs numpy, xarray and h5py (Debian's
python3-numpy, python3-xarray, python3-h5py), pandas optionally.
"""
import os
import shutil
import subprocess

__all__ = ["open", "decode", "outcomes", "per_cycle", "sweep_table", "run", "seed",
           "GapsimFileError", "FORMAT_VERSION"]

FORMAT_VERSION = 1  # the gapsim_format_version this package reads


class GapsimFileError(Exception):
    """A result file that cannot be used; str() is the one-line message "PATH: problem"."""
    exit_code = 2


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def check_file(path):
    """Raises GapsimFileError unless path is a complete gapsim file of FORMAT_VERSION."""
    from . import _io
    _io.check_file(os.fspath(path))


def _labels(da):
    """The labels of a <name>_label char array as a list of str."""
    import numpy as np
    v = da.values
    if v.dtype.kind == "S" and v.ndim == 2:          # not merged by the reader
        v = np.array([b"".join(row) for row in v])
    return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in v.tolist()]


def decode(ds):
    """Puts the labels back on the integer-coded categorical coordinates of ds: for each
    coordinate NAME with flag_meanings and a variable NAME_label, NAME becomes the labels
    (the codes stay as NAME_code), NAME_label is dropped.  Also makes `year` a
    coordinate.  Returns a new Dataset; a dataset without codes is returned as is."""
    out = ds
    for name in list(ds.coords):
        lab = f"{name}_label"
        if "flag_meanings" in ds[name].attrs and lab in ds.variables:
            labels = _labels(ds[lab])
            attrs = dict(ds[name].attrs)
            out = out.drop_vars(lab).assign_coords({f"{name}_code": (name, ds[name].values)})
            out = out.assign_coords({name: labels})
            out[name].attrs.update({k: v for k, v in attrs.items()
                                    if k not in ("flag_values", "flag_meanings")})
    if "year" in out.data_vars:
        out = out.set_coords("year")
    return out


def open(path, group=None):
    """Opens a gapsim result file as an xarray.Dataset, loaded into memory.

    `time` is decoded to dates (numpy datetime64), `year` is a coordinate (decimal
    calendar years), categorical coordinates carry their labels (decode()), and
    ds.attrs["seed"] is the exact 64-bit seed (a Python int).  The file's contents are
    checked (every variable the figures and the report need, the scenario text against
    its hash).  group="paths" opens the stored trajectories.  Raises GapsimFileError
    with a one-line message for a missing, damaged, incomplete or foreign file."""
    from . import _io
    path = os.fspath(path)
    if group is None:
        ds = _io.open_result(path)
        ds.attrs["gapsim_path"] = path
        return ds
    import xarray as xr
    _io.check_file(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf", group=group) as ds:
            ds = ds.load()
    except Exception as e:
        raise GapsimFileError(f"{path}: cannot read the datasets: {_first_line(e)}") from None
    ds = decode(ds)
    ds.attrs["gapsim_path"] = path
    return ds


def seed(ds):
    """The run's seed as a Python int, exact up to 2**64 - 1 (from seed_text)."""
    if "seed_text" in ds.attrs:
        return int(_text(ds.attrs["seed_text"]))
    return int(ds.attrs["seed"]) if "seed" in ds.attrs else None


def _frame(records):
    try:
        import pandas as pd
        return pd.DataFrame.from_records(records)
    except ImportError:
        return records


def outcomes(ds):
    """The outcome table in tidy form: one row per (point,) metric and outcome with
    probability, stderr, ci_low, ci_high and count.  A pandas DataFrame when pandas is
    installed, else a list of dicts.  ds may be a Dataset from open() or a path."""
    if not hasattr(ds, "data_vars"):
        ds = open(ds)
    cols = {"probability": "outcome_probability", "stderr": "outcome_stderr",
            "ci_low": "outcome_ci_low", "ci_high": "outcome_ci_high", "count": "outcome_count"}
    cols = {k: v for k, v in cols.items() if v in ds.variables}
    points = range(ds.sizes["point"]) if "point" in ds.dims else [None]
    records = []
    for p in points:
        sub = ds if p is None else ds.isel(point=p)
        for m in sub["metric"].values.tolist():
            for o in sub["outcome"].values.tolist():
                row = {} if p is None else {"point": p, **_point_params(sub)}
                row.update(metric=m, outcome=o)
                for k, v in cols.items():
                    x = sub[v].sel(metric=m, outcome=o).values.item()
                    row[k] = int(x) if k == "count" else float(x)
                records.append(row)
    return _frame(records)


def _point_params(sub):
    return {name[len("param_"):]: float(sub[name].values)
            for name in sub.coords if name.startswith("param_") and sub[name].ndim == 0}


def per_cycle(ds):
    """The per-cycle statistics in tidy form: one row per (point,) recorded variable and
    cycle with date, year, mean, sd and one column per stored quantile (q0.05 ...);
    the variables are whatever <var>_mean the file holds."""
    if not hasattr(ds, "data_vars"):
        ds = open(ds)
    names = [v[:-5] for v in ds.data_vars if v.endswith("_mean") and "cycle" in ds[v].dims]
    levels = ds["quantile"].values.tolist() if "quantile" in ds.coords else []
    points = range(ds.sizes["point"]) if "point" in ds.dims else [None]
    records = []
    for p in points:
        sub = ds if p is None else ds.isel(point=p)
        dates = [str(t)[:10] for t in sub["time"].values] if "time" in sub.coords else None
        years = sub["year"].values.tolist() if "year" in sub.coords else None
        for name in names:
            mean = sub[f"{name}_mean"].values
            sd = sub[f"{name}_sd"].values if f"{name}_sd" in sub else None
            q = sub[f"{name}_quantile"].values if f"{name}_quantile" in sub else None
            units = _text(sub[f"{name}_mean"].attrs.get(
                "gapsim_units", sub[f"{name}_mean"].attrs.get("units", "")))
            for k in range(mean.shape[0]):
                row = {} if p is None else {"point": p, **_point_params(sub)}
                row.update(variable=name, units=units, cycle=k)
                if dates:
                    row["date"] = dates[k]
                if years:
                    row["year"] = float(years[k])
                row["mean"] = float(mean[k])
                if sd is not None:
                    row["sd"] = float(sd[k])
                if q is not None:
                    for j, lev in enumerate(levels):
                        row[f"q{lev:g}"] = float(q[k, j])
                records.append(row)
    return _frame(records)


def sweep_table(ds):
    """A sweep's points: one row per point with its param_<key> values, trajectories and
    P(compound)/P(collapse) of every metric; None for a file that is not a sweep."""
    if not hasattr(ds, "data_vars"):
        ds = open(ds)
    if "point" not in ds.dims:
        return None
    records = []
    for p in range(ds.sizes["point"]):
        sub = ds.isel(point=p)
        row = {"point": p, **_point_params(sub)}
        if "trajectories" in sub:
            row["trajectories"] = int(sub["trajectories"].values)
        for m in sub["metric"].values.tolist():
            for o in ("compound", "collapse"):
                row[f"{m}_{o}"] = float(sub["outcome_probability"].sel(metric=m, outcome=o))
                row[f"{m}_{o}_stderr"] = float(sub["outcome_stderr"].sel(metric=m, outcome=o))
        records.append(row)
    return _frame(records)


def _binary(binary=None):
    if binary:
        return binary
    if os.environ.get("GAPSIM"):
        return os.environ["GAPSIM"]
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "build", "gapsim"),):
        if os.access(cand, os.X_OK):
            return os.path.normpath(cand)
    found = shutil.which("gapsim")
    if not found:
        raise FileNotFoundError("cannot find the gapsim binary: pass binary=, set $GAPSIM "
                                "or put gapsim on PATH")
    return found


def run(scenario, output=None, *, trajectories=None, seed=None, paths=None, threads=None,
        binary=None, **overrides):
    """Runs `gapsim run SCENARIO` and returns open(OUTPUT).

    overrides are scenario keys: gapsim.run(s, **{"training.reinvest": 0.6}) or, as
    keyword names, with "__" for the dot (training__reinvest=0.6); values may be
    numbers or distribution strings ("0.3 to 0.8").  Raises subprocess.CalledProcessError
    with gapsim's message on failure."""
    if output is None:
        import tempfile
        fd, output = tempfile.mkstemp(suffix=".h5", prefix="gapsim-")
        os.close(fd)
        os.unlink(output)
    cmd = [_binary(binary), "run", os.fspath(scenario), "-q", "-o", os.fspath(output)]
    if trajectories is not None:
        cmd += ["-n", str(int(trajectories))]
    if seed is not None:
        cmd += ["--seed", str(int(seed))]
    if paths is not None:
        cmd += ["--paths", str(int(paths))]
    if threads is not None:
        cmd += ["-t", str(int(threads))]
    for key, value in overrides.items():
        cmd += ["--set", f"{key.replace('__', '.')}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout,
                                            proc.stderr.strip())
    return open(output)
