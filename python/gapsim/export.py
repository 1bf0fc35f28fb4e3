"""gapsim.export - a result file's tables as tidy CSV or JSON for spreadsheets.

    python3 -m gapsim.export FILE.h5 --format csv [-o OUT]

CSV: OUT is a directory (default: FILE without .h5, plus "-export") holding
per_cycle.csv, outcomes.csv, for a sweep sweep.csv and, for a run kept with
--keep-draws, trajectories.csv: one row per trajectory with its parameter draws (one
column per parameter key), its outcome class per metric (class_<metric>: compound,
persist, collapse or undefined), its shock summaries and mean catch-up, then the
by-cycle classes (class_<metric>_cycle_<h>: the class if cycle h were the horizon, one
column per metric and cycle of the file's `horizon`).  JSON: one file (default
stdout) {"attributes": {...}, "per_cycle": [...], "outcomes": [...], "sweep": [...]}.
"""
import argparse
import csv
import json
import math
import os
import sys

import gapsim


def _records(frame):
    if frame is None:
        return []
    if hasattr(frame, "to_dict"):
        return frame.to_dict(orient="records")
    return list(frame)


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_csv(path, records):
    cols = []
    for r in records:
        for k in r:
            if k not in cols:
                cols.append(k)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in records:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    os.replace(tmp, path)


_CLASS_NAMES = {-1: "undefined", 0: "compound", 1: "persist", 2: "collapse"}


def write_trajectories_csv(path, out_path, rows_per_block=65536):
    """The `trajectories` group of result file `path` as one CSV table, written in blocks
    of rows (memory stays O(block)); returns False when the file has no such group."""
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        if not isinstance(f.get("trajectories"), h5py.Group):  # a sweep's is a dataset
            return False
        g = f["trajectories"]
        names = [k for k in g if k.startswith("draw_")]
        classes = [k for k in g if k.startswith("class_") and not k.endswith("_by_cycle")]
        rest = [k for k in ("supply_shocks", "breakthroughs", "governance_switches",
                            "lab_entries", "lab_exits", "mean_catch_up") if k in g]
        # appended after the columns above: the by-cycle classes, one column per metric
        # and horizon cycle h (class_<metric>_cycle_<h>), when the file has them
        horizon = [int(h) for h in g["horizon"][:]] if "horizon" in g else []
        by_cycle = [k for k in g if k.startswith("class_") and k.endswith("_by_cycle")
                    and len(g[k].shape) == 2 and g[k].shape[1] == len(horizon)]
        header = ["trajectory"] + [k[5:] for k in names] + classes + rest
        header += [f"{k[:-len('_by_cycle')]}_cycle_{h}" for k in by_cycle for h in horizon]
        n = g["trajectory"].shape[0]
        tmp = out_path + ".tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for a in range(0, n, rows_per_block):
                b = min(n, a + rows_per_block)
                cols = [g["trajectory"][a:b]]
                cols += [g[k][a:b] for k in names]
                cols += [np.array([_CLASS_NAMES.get(int(c), "undefined") for c in g[k][a:b]])
                         for k in classes]
                cols += [g[k][a:b] for k in rest]
                words = np.array([_CLASS_NAMES[c] for c in (-1, 0, 1, 2)])
                for k in by_cycle:  # codes -1..2 to words (anything else: undefined)
                    code = g[k][a:b, :].astype(np.int64)
                    code = np.where((code >= -1) & (code <= 2), code + 1, 0)
                    cols += [words[code[:, j]] for j in range(len(horizon))]
                text = [[("%.9g" % v if isinstance(v, (float, np.floating)) and np.isfinite(v)
                          else "" if isinstance(v, (float, np.floating)) else v)
                         for v in col.tolist()] for col in cols]
                for i in range(b - a):
                    w.writerow([c[i] for c in text])
        os.replace(tmp, out_path)
    return True


def export(path, fmt="csv", out=None):
    """Writes the tables of result file `path`; returns the paths written."""
    ds = gapsim.open(path)
    tables = {"per_cycle": _records(gapsim.per_cycle(ds)),
              "outcomes": _records(gapsim.outcomes(ds))}
    if "point" in ds.dims:
        tables["sweep"] = _records(gapsim.sweep_table(ds))
    if fmt == "csv":
        out = out or os.path.splitext(path)[0] + "-export"
        os.makedirs(out, exist_ok=True)
        written = []
        for name, recs in tables.items():
            p = os.path.join(out, f"{name}.csv")
            write_csv(p, [{k: _clean(v) for k, v in r.items()} for r in recs])
            written.append(p)
        p = os.path.join(out, "trajectories.csv")
        if write_trajectories_csv(path, p):
            written.append(p)
        return written
    attrs = {k: (v.item() if hasattr(v, "item") and getattr(v, "size", 2) == 1 else
                 (v.tolist() if hasattr(v, "tolist") else v))
             for k, v in ds.attrs.items() if k not in ("scenario_text",)}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    doc = {"attributes": attrs}
    doc.update({k: [{kk: _clean(vv) for kk, vv in r.items()} for r in v]
                for k, v in tables.items()})
    text = json.dumps(doc, indent=1, default=str, allow_nan=False)
    if out in (None, "-"):
        sys.stdout.write(text + "\n")
        return ["-"]
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, out)
    return [out]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="gapsim export",
                                 description="per-cycle statistics, outcomes and the sweep "
                                             "table of a result file as tidy CSV or JSON")
    ap.add_argument("file", help="result file (.h5)")
    ap.add_argument("--format", choices=["csv", "json"], default="csv")
    ap.add_argument("-o", "--output", help="CSV: directory; JSON: file (default stdout)")
    a = ap.parse_args(argv)
    for p in export(a.file, a.format, a.output):
        if p != "-":
            print(p, file=sys.stderr)
    return 0


def run_main():
    try:
        sys.exit(main())
    except gapsim.GapsimFileError as e:
        print(f"gapsim: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        print(f"gapsim: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run_main()
