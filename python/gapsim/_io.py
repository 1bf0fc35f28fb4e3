"""gapsim._io - opening a result file with clear errors for the plotting, report and
export modules and the analysis/ scripts (analysis/gapsim_io.py re-exports this module):
the contents check, atomic outputs, signals, calendar years, the run's description.

Reads only the layout documented in shared/OUTPUT.md: root attributes
(gapsim_format_version, completed, scenario_name, seed, trajectories, param_<key>),
the dimension cycle with the coordinates time (CF dates) and year, quantile, the
integer-coded metric/outcome (labels put back by gapsim.decode), <var>_quantile(cycle,
quantile), outcome_probability/_stderr/_ci_low/_ci_high(metric, outcome), and for a
sweep a `point` dimension (second after cycle for the per-cycle statistics, first for
the rest) with param_<key>(point) coordinates.

Every problem with the file becomes a GapsimFileError whose text is one line
"PATH: problem" (the same wording as the C reader, sim/h5in.c); run_main turns it
into that line on stderr and exit status 2, never a traceback.
"""
import os
import sys

FORMAT_VERSION = 1   # the gapsim_format_version this code reads
START_YEAR = 2024    # calendar year of cycle 0 unless the file has a start_year attribute

METRICS = ["lag_months", "premium", "premium_q", "rent", "closed_share", "closed_labs"]
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


class GapsimWriteError(Exception):
    """An output that cannot be written (full disk, no permission); one line, exit 1."""
    exit_code = 1


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwinds like KeyboardInterrupt (temporary files are
    removed on the way out), then the process exits 128 + the signal."""
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


# Variables every single-run file must have for the scripts (the contract of OUTPUT.md
# that plot and report read): missing one is an error, never a silently smaller output.
REQUIRED_VARIABLES = ["time", "year", "quantile", "metric", "outcome",
                      "outcome_probability", "outcome_stderr", "outcome_ci_low",
                      "outcome_ci_high"]
# Recorded variables whose _mean, _sd and _quantile the figures and the report use.
REQUIRED_RECORDED = ["premium", "premium_q", "lag_months", "gap", "price_open",
                     "price_closed", "closed_share", "rent", "closed_profit", "lcoi_open",
                     "lcoi_closed"]


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
        version = _one_int(path, "gapsim_format_version", version)
        if version != FORMAT_VERSION:
            advice = ("re-run the scenario to make a current file" if version < FORMAT_VERSION
                      else "use a newer gapsim")
            raise GapsimFileError(f"{path}: gapsim format version {version} is not supported "
                                  f"(this gapsim reads version {FORMAT_VERSION}); {advice}")
        if _one_int(path, "completed", f.attrs.get("completed", 0)) != 1:
            raise GapsimFileError(f"{path}: incomplete file (no completed = 1: the run that "
                                  "wrote it did not finish)")


def _one_int(path, name, value):
    """An attribute that must be one whole number, as int."""
    import numpy as np
    v = np.asarray(value)
    if v.size != 1 or v.dtype.kind not in "iu":
        raise GapsimFileError(f"{path}: attribute '{name}' is not a single whole number")
    return int(v.reshape(-1)[0])


def open_result(path):
    """The checked file as an xarray.Dataset (engine h5netcdf, loaded into memory)."""
    import xarray as xr
    check_file(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception as e:  # h5netcdf on damaged scales raises anything from OSError to AttributeError
        if isinstance(e, GapsimFileError):
            raise
        raise GapsimFileError(f"{path}: cannot read the datasets: {_first_line(e)}") from None
    from . import decode, seed
    try:
        ds = decode(ds)  # labels back on the integer-coded coordinates
    except Exception as e:  # damaged codes or labels
        raise GapsimFileError(f"{path}: cannot read the categorical coordinates: "
                              f"{_first_line(e)}") from None
    check_contents(ds, path)
    try:
        s = seed(ds)
    except ValueError:
        raise GapsimFileError(f"{path}: attribute 'seed_text' is not a whole number") from None
    if s is not None:
        ds.attrs["seed"] = s
    return ds


def _numeric(da):
    return da.dtype.kind in "iuf"


def check_contents(ds, path):
    """Raises GapsimFileError unless ds has every variable the scripts need, each of
    the right kind and dimensions, and a scenario_text that agrees with the data (its
    scenario_sha256, the number of cycles, the outcome counts)."""
    import hashlib
    import numpy as np
    sweep = is_sweep(ds)
    lead = ("point",) if sweep else ()
    timed = ("cycle", "point") if sweep else ("cycle",)  # CDO's layout: time first
    if "cycle" not in ds.dims:
        raise GapsimFileError(f"{path}: no dimension 'cycle' (gapsim writes it; the file "
                              "was changed or written by another program)")
    want = {name: None for name in REQUIRED_VARIABLES}
    for v in REQUIRED_RECORDED:
        want[f"{v}_mean"] = timed
        want[f"{v}_sd"] = timed
        want[f"{v}_quantile"] = timed + ("quantile",)
    for name in ("outcome_probability", "outcome_stderr", "outcome_ci_low", "outcome_ci_high"):
        want[name] = lead + ("metric", "outcome")
    for name, dims in want.items():
        if name not in ds.variables:
            raise GapsimFileError(f"{path}: no variable '{name}' (gapsim writes it; the file "
                                  "was changed or written by another program)")
        da = ds[name]
        if name in ("metric", "outcome"):
            if da.dtype.kind not in "OSU":
                raise GapsimFileError(f"{path}: variable '{name}' is not a list of names")
            continue
        if not _numeric(da) and da.dtype.kind != "M":   # time may be decoded to dates
            raise GapsimFileError(f"{path}: variable '{name}' is not numeric "
                                  f"(dtype {da.dtype})")
        if dims is not None and tuple(da.dims) != dims:
            raise GapsimFileError(f"{path}: variable '{name}' has dimensions "
                                  f"{tuple(da.dims)}, expected {dims}")
    if "outcome_undefined" in ds.variables:  # optional (older files), checked when there
        da = ds["outcome_undefined"]
        if da.dtype.kind not in "iu" or tuple(da.dims) != lead + ("metric",):
            raise GapsimFileError(f"{path}: variable 'outcome_undefined' is not a count per "
                                  f"metric (dtype {da.dtype}, dimensions {tuple(da.dims)})")
    for name, known in (("metric", METRICS), ("outcome", OUTCOMES)):
        # integer-coded: the codes 0..n-1 (kept as NAME_code by decode) and the labels
        # of NAME_label, which must be the names gapsim writes
        if f"{name}_code" in ds.variables:
            codes = ds[f"{name}_code"].values
            if codes.dtype.kind not in "iu" or codes.tolist() != list(range(codes.size)):
                raise GapsimFileError(f"{path}: variable '{name}' is not the integer codes "
                                      f"0..{codes.size - 1} of its labels")
        labels = [text(v) for v in ds[name].values.tolist()]
        if not labels or any(v not in known for v in labels) or len(set(labels)) != len(labels):
            where = f"{name}_label" if f"{name}_code" in ds.variables else name
            raise GapsimFileError(f"{path}: variable '{where}' does not hold {name} names "
                                  f"({', '.join(known)})")
    for name in ("time", "year", "quantile"):
        if ds[name].dims != (name if name == "quantile" else "cycle",):
            raise GapsimFileError(f"{path}: variable '{name}' has dimensions "
                                  f"{tuple(ds[name].dims)}")
    attrs = ds.attrs
    for name in ("scenario_text", "scenario_sha256", "seed", "trajectories"):
        if name not in attrs:
            raise GapsimFileError(f"{path}: no attribute '{name}'")
    for name, value in attrs.items():  # the assumptions the report lists
        if name.startswith("param_"):
            v = np.asarray(value)
            if v.size != 1 or v.dtype.kind not in "iuf":
                raise GapsimFileError(f"{path}: attribute '{name}' is not a single number")
    sha = attrs["scenario_sha256"]
    if not isinstance(sha, (str, bytes, np.bytes_, np.str_)):
        raise GapsimFileError(f"{path}: attribute 'scenario_sha256' is not a string")
    raw = attrs["scenario_text"]
    if not isinstance(raw, (str, bytes, np.bytes_, np.str_)):
        raise GapsimFileError(f"{path}: attribute 'scenario_text' is not a string")
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
    if hashlib.sha256(data).hexdigest() != text(attrs["scenario_sha256"]):
        raise GapsimFileError(f"{path}: attribute 'scenario_text' contradicts "
                              "'scenario_sha256' (the text was changed after the run)")
    for name in ("seed", "trajectories"):
        v = np.asarray(attrs[name])
        if v.size != 1 or v.dtype.kind not in "iu" or int(v.reshape(-1)[0]) < (name == "trajectories"):
            raise GapsimFileError(f"{path}: attribute '{name}' is not a single whole number")
    if "seed_text" in attrs:
        st = attrs["seed_text"]
        if (not isinstance(st, (str, bytes, np.bytes_, np.str_)) or not text(st).isdigit()
                or int(text(st)) != int(np.asarray(attrs["seed"]).reshape(-1)[0])):
            raise GapsimFileError(f"{path}: attribute 'seed_text' is not the seed as text")
    n_cycles = ds.sizes["cycle"]
    if "param_run_cycles" in attrs:
        k = np.asarray(attrs["param_run_cycles"]).reshape(-1)
        if k.size != 1 or int(k[0]) + 1 != n_cycles:
            raise GapsimFileError(f"{path}: attribute 'param_run_cycles' ({k.tolist()}) "
                                  f"contradicts the {n_cycles} cycles of the data")
    if "outcome_count" in ds.variables and not sweep:
        counts = ds["outcome_count"].values
        total = int(np.asarray(attrs["trajectories"]).reshape(-1)[0])
        if (not _numeric(ds["outcome_count"]) or counts.ndim != 2
                or (counts.sum(axis=-1) > total).any()):
            raise GapsimFileError(f"{path}: variable 'outcome_count' contradicts "
                                  f"trajectories = {total}")


def atomic_write(path, write):
    """Calls write(tmp) for a new temporary file beside path, then renames it onto path:
    never a half-written output, and on any failure or interrupt the temporary file is
    removed.  OSError becomes one line naming path (GapsimWriteError)."""
    import tempfile
    d = os.path.dirname(path) or "."
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".tmp.")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise GapsimWriteError(f"writing {path}: {e.strerror or _first_line(e)}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class AtomicOutputs:
    """Several outputs replaced together: new(path) gives a temporary file beside path;
    commit() renames every one onto its path at the end.  Leaving the block without
    commit (an error, SIGINT, SIGTERM) removes the temporary files and replaces none."""
    def __init__(self):
        self.pending = []

    def __enter__(self):
        return self

    def new(self, path):
        import tempfile
        try:
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".",
                                       prefix="." + os.path.basename(path) + ".tmp.")
        except OSError as e:
            raise GapsimWriteError(f"writing {path}: {e.strerror or _first_line(e)}") from None
        os.close(fd)
        self.pending.append((tmp, path))
        return tmp

    def commit(self):
        mode = 0o666 & ~_umask()
        try:
            for tmp, path in self.pending:
                os.chmod(tmp, mode)
            for tmp, path in self.pending:
                os.replace(tmp, path)
        except OSError as e:
            raise GapsimWriteError(f"writing {e.filename}: {e.strerror}") from None
        self.pending = []

    def __exit__(self, *exc):
        for tmp, _ in self.pending:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    import signal

    def on_signal(signum, frame):
        raise Interrupted(signum)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sys.exit(main())
    except (GapsimFileError, GapsimWriteError) as e:
        print(f"gapsim: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except Interrupted as e:
        print("gapsim: interrupted; no output replaced", file=sys.stderr)
        sys.exit(128 + e.signum)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:  # a write outside atomic_write: name the file and the cause
        where = f"{e.filename}: " if e.filename else ""
        print(f"gapsim: {where}{e.strerror or _first_line(e)}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # one line, never a traceback
        print(f"gapsim: {type(e).__name__}: {_first_line(e)}", file=sys.stderr)
        sys.exit(1)
