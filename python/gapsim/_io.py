"""gapsim._io - helpers of the plotting and report modules: opening a file with clear
errors, calendar years, the run's one-line description.

Reads only the layout documented in shared/OUTPUT.md: root attributes
(gapsim_format_version, completed, scenario_name, seed, trajectories, param_<key>),
the coordinates cycle/time/quantile/metric/outcome, <var>_quantile(cycle, quantile),
outcome_probability/_stderr/_ci_low/_ci_high(metric, outcome), and for a sweep a
leading `point` dimension with param_<key>(point) coordinates.

Every problem with the file becomes a GapsimFileError whose text is one line
"PATH: problem" (the same wording as the C reader, sim/h5in.c); run_main turns it
into that line on stderr and exit status 2, never a traceback.
"""
import os
import sys

FORMAT_VERSION = 1   # the gapsim_format_version this code reads
START_YEAR = 2024    # calendar year of cycle 0 unless the file has a start_year attribute

METRICS = ["lag_months", "premium", "premium_q", "rent", "closed_share"]
OUTCOMES = ["compound", "persist", "collapse"]
HEADLINE_METRIC = "premium"


def require(*modules):
    """Exits with one line naming the Debian package when a module is missing (the
    scripts need /usr/bin/python3 with Debian's python3-<module> packages)."""
    import importlib.util
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        print(f"gapsim: {sys.executable} lacks {', '.join(missing)}: run the scripts with "
              f"/usr/bin/python3 and install "
              f"{' '.join('python3-' + m for m in missing)} (apt-get install)", file=sys.stderr)
        sys.exit(1)


from . import GapsimFileError  # noqa: E402  (one class for the package and the scripts)


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_file(path):
    """Raises GapsimFileError unless path is a complete gapsim file of FORMAT_VERSION."""
    import h5py
    if not os.path.exists(path):
        raise GapsimFileError(f"{path}: cannot read: No such file or directory")
    if os.path.isdir(path):
        raise GapsimFileError(f"{path}: is a directory, not a result file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise GapsimFileError(f"{path}: not a readable HDF5 file (truncated or damaged?): "
                              f"{_first_line(e)}") from None
    with f:
        version = f.attrs.get("gapsim_format_version")
        if version is None:
            raise GapsimFileError(f"{path}: not a gapsim result file "
                                  "(no gapsim_format_version attribute)")
        version = int(version)
        if version != FORMAT_VERSION:
            advice = ("re-run the scenario to make a current file" if version < FORMAT_VERSION
                      else "use a newer gapsim")
            raise GapsimFileError(f"{path}: gapsim format version {version} is not supported "
                                  f"(this gapsim reads version {FORMAT_VERSION}); {advice}")
        if int(f.attrs.get("completed", 0)) != 1:
            raise GapsimFileError(f"{path}: incomplete file (no completed = 1: the run that "
                                  "wrote it did not finish)")


def open_result(path):
    """The checked file as an xarray.Dataset in memory, labels on the categorical
    coordinates (gapsim.open)."""
    from . import open as open_file
    return open_file(path)


def text(value):
    """An attribute as str (h5py may hand back bytes or numpy scalars)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    # A UTF-8 string stored as ASCII comes back with surrogate escapes: undo them.
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def start_year(ds):
    return float(ds.attrs.get("start_year", START_YEAR))


def years(ds):
    """Calendar years of the cycles (the file's `year`; older files: start + time)."""
    if "year" in ds.variables:
        return ds["year"].values
    return start_year(ds) + ds["time"].values


def is_sweep(ds):
    return "point" in ds.dims


def swept_keys(ds):
    """Names of the param_<key>(point) coordinates of a sweep, in file order."""
    return [name for name, v in ds.variables.items()
            if name.startswith("param_") and v.dims == ("point",)]


def nearest_level(ds, want):
    """(index, level) of the stored quantile level closest to want."""
    levels = ds["quantile"].values
    i = int(abs(levels - want).argmin())
    return i, float(levels[i])


def describe(ds, path=None):
    """One line naming the run for figure footers: scenario, seed, trajectories."""
    name = text(ds.attrs.get("scenario_name", "?"))
    parts = [f"scenario '{name}'", f"seed {int(ds.attrs.get('seed', 0))}",
             f"{int(ds.attrs.get('trajectories', 0)):,} trajectories"]
    if is_sweep(ds):
        parts.append(f"{ds.sizes['point']} sweep points")
    parts.append(text(ds.attrs.get("source", "gapsim")))
    if path:
        parts.append(os.path.basename(path))
    return " · ".join(parts)


def run_main(main):
    """Runs main() and turns failures into one line on stderr and an exit status:
    2 for an unusable file or bad arguments, 1 for anything else, never a traceback."""
    try:
        sys.exit(main())
    except GapsimFileError as e:
        print(f"gapsim: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # one line, never a traceback
        print(f"gapsim: {type(e).__name__}: {_first_line(e)}", file=sys.stderr)
        sys.exit(1)
