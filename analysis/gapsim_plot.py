#!/usr/bin/python3
"""gapsim_plot.py - the figures of a gapsim result file, headless (matplotlib Agg).

Usage: /usr/bin/python3 analysis/gapsim_plot.py FILE.h5 [-o DIR] [--metric premium]
                                 [--format png,svg] [--only fan_premium,tornado] [--dpi 100]
(`gapsim plot FILE.h5 [-o DIR]` runs this.)  Writes DIR/<file stem>_<figure>.png and .svg
(DIR defaults to output/) and prints each path written.

Figures, each with a title, units on the axes and a footer naming scenario and seed;
a figure is made only when the file holds what it needs:

  single run   fan_premium, fan_lag, fan_prices (log), fan_closed_share, fan_lcoi (log):
               median, 50% band (25th-75th percentile) and 90% band (5th-95th) over the
               release cycles, x axis in calendar years (START_YEAR + time);
               outcomes: P(compound / persist / collapse) per metric with the 95%
               Wilson intervals of outcome_ci_low / outcome_ci_high.
  sweep        (a `point` dimension with param_<key>(point) coordinates)
               sweep_compound, sweep_collapse: P(outcome) of --metric over the first two
               swept keys, a heatmap on a grid (scatter otherwise) with the 0.5 contour
               as the phase boundary; with one swept key, a line with its interval.
  sensitivity  (files of runs with uncertain parameters; dims parameter, side, metric)
               tornado_compound, tornado_median: each parameter at its 10th / 90th
               percentile (side p10 / p90), bars from tornado_base_compound / _median;
               sobol: sobol_first and sobol_total (parameter, metric) with their 95%
               intervals sobol_*_ci_low / sobol_*_ci_high.

Figures are also available to other scripts: make_figures(ds, path) returns
[(name, title, matplotlib Figure)].
"""
import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gapsim_io as gio  # noqa: E402

gio.require("matplotlib", "numpy", "xarray", "h5py", "h5netcdf")
import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.rcParams.update({
    "font.size": 12, "axes.titlesize": 15, "axes.labelsize": 12, "legend.fontsize": 10,
    "svg.hashsalt": "gapsim",  # stable SVG ids: same data, same file
})

FIGSIZE = (10, 5.6)  # 16:9, readable on a slide
COLORS = {"open": "#1b7837", "closed": "#762a83", "single": "#2166ac",
          "compound": "#d95f02", "persist": "#7570b3", "collapse": "#1b9e77"}

# Fan charts: (name, title, [(variable, legend label, colour)], y label, log scale)
FANS = [
    ("fan_premium", "Closed price premium over open models",
     [("premium", "premium", COLORS["single"])],
     r"premium $P^c/P^o - 1$ (ratio)", False),
    ("fan_lag", "How far open models trail the closed frontier",
     [("lag_months", "lag", COLORS["single"])],
     "lag (months of frontier progress)", False),
    ("fan_prices", "Token prices of open and closed models",
     [("price_open", "open", COLORS["open"]), ("price_closed", "closed", COLORS["closed"])],
     "price (USD per million tokens, log scale)", True),
    ("fan_closed_share", "Closed models' share of the work",
     [("closed_share", "closed share", COLORS["single"])],
     "share of work (1 = all work)", False),
    ("fan_lcoi", "Levelized cost of intelligence",
     [("lcoi_open", "open", COLORS["open"]), ("lcoi_closed", "closed", COLORS["closed"])],
     "cost per quality point (USD per million tokens, log scale)", True),
]


def new_figure(ds, path):
    """A slide-sized figure with one axis and the footer naming scenario and seed."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    fig.text(0.01, 0.01, gio.describe(ds, path), fontsize=8, color="0.35", ha="left",
             va="bottom")
    return fig, ax


def finish(fig):
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    return fig


def band(ds, var, low, high):
    """(lower, upper, label) of the band between the stored levels nearest low and high,
    or None when those levels are not within 0.02 of what was asked."""
    (il, pl), (ih, ph) = gio.nearest_level(ds, low), gio.nearest_level(ds, high)
    if abs(pl - low) > 0.02 or abs(ph - high) > 0.02 or il == ih:
        return None
    q = ds[f"{var}_quantile"]
    return (q.isel(quantile=il).values, q.isel(quantile=ih).values,
            f"{100 * (ph - pl):.0f}% of futures ({100 * pl:g}th-{100 * ph:g}th percentile)")


def fan_figure(ds, path, title, series, ylabel, log):
    """Median line with 50% and 90% bands over calendar years for each series."""
    fig, ax = new_figure(ds, path)
    x = gio.years(ds)
    positive = True
    for var, label, color in series:
        im, pm = gio.nearest_level(ds, 0.5)
        median = ds[f"{var}_quantile"].isel(quantile=im).values
        prefix = f"{label}: " if len(series) > 1 else ""
        for lo, hi, alpha in ((0.05, 0.95, 0.15), (0.25, 0.75, 0.32)):
            b = band(ds, var, lo, hi)
            if b:
                ax.fill_between(x, b[0], b[1], color=color, alpha=alpha, linewidth=0,
                                label=prefix + b[2])
                positive &= bool(np.all(b[0] > 0))
        ax.plot(x, median, color=color, linewidth=2.2, label=f"{prefix}median")
        positive &= bool(np.all(median > 0))
    if log and positive:
        ax.set_yscale("log")
    elif log:
        ylabel = ylabel.replace(", log scale", "")
    ax.set_title(title)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_xlim(x[0], x[-1])
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", frameon=False)
    return finish(fig)


def outcome_figure(ds, path):
    """P(compound / persist / collapse) per metric with 95% Wilson intervals."""
    fig, ax = new_figure(ds, path)
    metrics = [gio.text(m) for m in ds["metric"].values]
    outcomes = [gio.text(o) for o in ds["outcome"].values]
    x = np.arange(len(metrics))
    width = 0.8 / len(outcomes)
    for j, o in enumerate(outcomes):
        p = ds["outcome_probability"].sel(outcome=ds["outcome"].values[j]).values
        lo = ds["outcome_ci_low"].sel(outcome=ds["outcome"].values[j]).values
        hi = ds["outcome_ci_high"].sel(outcome=ds["outcome"].values[j]).values
        yerr = np.vstack([np.clip(p - lo, 0, None), np.clip(hi - p, 0, None)])
        xs = x + (j - (len(outcomes) - 1) / 2) * width
        ax.bar(xs, p, width, yerr=yerr, capsize=3, color=COLORS.get(o, None), label=o)
        for xi, pi, hii in zip(xs, p, hi):
            ax.text(xi, hii + 0.01, f"{pi:.2f}", ha="center", va="bottom", fontsize=8)
    horizon = gio.years(ds)[-1]
    compound = ds.attrs.get("param_outcome_compound_ratio", 1.5)
    collapse = ds.attrs.get("param_outcome_collapse_ratio", 0.5)
    ax.set_title(f"Outcome by {int(horizon)}: compound (x{compound:g} or more), persist, "
                 f"collapse (x{collapse:g} or less)")
    ax.set_xticks(x)
    ax.set_xticklabels(metrics)
    ax.set_xlabel("metric (value at the horizon / value at the start)")
    ax.set_ylabel("probability (95% interval as error bar)")
    ax.set_ylim(0, 1.14)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper center", ncol=len(outcomes), frameon=False)
    return finish(fig)


def key_label(ds, name):
    """Axis label of a swept key: its long_name (or key) and units."""
    v = ds[name]
    label = gio.text(v.attrs.get("long_name", name[len("param_"):]))
    if label.startswith("swept ") and ":" in label:  # "swept KEY: meaning" -> KEY
        label = label[len("swept "):label.index(":")]
    units = gio.text(v.attrs.get("units", ""))
    return f"{label} ({units})" if units and units != "1" else label


def sweep_probability(ds, metric, outcome):
    return ds["outcome_probability"].sel(metric=metric, outcome=outcome).values


def sweep_figure(ds, path, metric, outcome):
    """P(outcome) over the swept keys: a line for one key, a heatmap with the 0.5
    contour (the phase boundary) for two or more (the first two keys; others vary)."""
    keys = gio.swept_keys(ds)
    p = sweep_probability(ds, metric, outcome)
    fig, ax = new_figure(ds, path)
    title = f"P({outcome}) of the {metric} across the sweep"
    if len(keys) == 1:
        a = ds[keys[0]].values
        order = np.argsort(a)
        lo = ds["outcome_ci_low"].sel(metric=metric, outcome=outcome).values
        hi = ds["outcome_ci_high"].sel(metric=metric, outcome=outcome).values
        ax.fill_between(a[order], lo[order], hi[order], alpha=0.25, color=COLORS[outcome],
                        label="95% interval")
        ax.plot(a[order], p[order], "o-", color=COLORS[outcome], label=f"P({outcome})")
        ax.axhline(0.5, color="0.3", linestyle="--", linewidth=1, label="P = 0.5")
        ax.set_xlabel(key_label(ds, keys[0]))
        ax.set_ylabel("probability")
        ax.set_ylim(0, 1)
        ax.legend(frameon=False)
    else:
        a, b = ds[keys[0]].values, ds[keys[1]].values
        ua, ub = np.unique(a), np.unique(b)
        pairs = set(zip(a.tolist(), b.tolist()))
        if len(ua) * len(ub) == len(p) and len(pairs) == len(p):
            grid = np.full((len(ub), len(ua)), np.nan)
            for k in range(len(p)):
                grid[np.searchsorted(ub, b[k]), np.searchsorted(ua, a[k])] = p[k]
            mesh = ax.pcolormesh(ua, ub, grid, shading="nearest", cmap="viridis", vmin=0, vmax=1)
            if len(ua) > 1 and len(ub) > 1 and np.nanmin(grid) < 0.5 < np.nanmax(grid):
                cs = ax.contour(ua, ub, grid, levels=[0.5], colors="white", linewidths=2.5)
                ax.clabel(cs, fmt="P = 0.5", fontsize=10)
            if grid.size <= 100:
                for i in range(len(ub)):
                    for j in range(len(ua)):
                        ax.text(ua[j], ub[i], f"{grid[i, j]:.2f}", ha="center", va="center",
                                fontsize=9, color="white" if grid[i, j] < 0.6 else "black")
        else:
            mesh = ax.scatter(a, b, c=p, cmap="viridis", vmin=0, vmax=1, s=60,
                              edgecolors="0.2")
            if len(p) >= 4 and np.nanmin(p) < 0.5 < np.nanmax(p):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        ax.tricontour(a, b, p, levels=[0.5], colors="black", linewidths=2)
                    except (ValueError, RuntimeError):
                        pass  # degenerate triangulation: the points are enough
        fig.colorbar(mesh, ax=ax, label=f"P({outcome}), probability")
        ax.set_xlabel(key_label(ds, keys[0]))
        ax.set_ylabel(key_label(ds, keys[1]))
        if len(keys) > 2:
            title += f" ({len(keys) - 2} other swept keys vary)"
        else:
            title += "; line: P = 0.5"
    ax.set_title(title)
    return finish(fig)


def parameter_dim(da):
    """The one dimension of a sensitivity variable that is not metric/cycle, or None."""
    rest = [d for d in da.dims if d not in ("metric", "cycle", "outcome", "point")]
    return rest[0] if len(rest) == 1 else None


def select_metric(da, metric):
    if "metric" in da.dims:
        da = da.sel(metric=metric)
    if "cycle" in da.dims:
        da = da.isel(cycle=-1)
    return da


def labels_of(ds, dim, n):
    if dim in ds.variables:
        return [gio.text(v) for v in ds[dim].values]
    return [f"{dim} {i}" for i in range(n)]


def metric_units(ds, metric):
    """Units of an outcome metric: those of its recorded variable."""
    return gio.text(ds[f"{metric}_quantile"].attrs.get("units", "")) if f"{metric}_quantile" in ds else ""


# Tornado variables (parameter, side, metric) with their base (metric) and axis label.
TORNADOS = [("tornado_compound", "tornado_base_compound", "P(compound) at the horizon"),
            ("tornado_median", "tornado_base_median", "median of the {metric} at the horizon")]


def tornado_figures(ds, path, metric):
    """One tornado per tornado_* variable (parameter, side, metric): each uncertain
    parameter at its 10th (side p10) and 90th (p90) percentile, the others at their
    medians, bars from the all-medians value tornado_base_*."""
    figs = []
    for name, base_name, what in TORNADOS:
        if name not in ds.data_vars or "side" not in ds[name].dims:
            continue
        da = select_metric(ds[name], metric)
        dim = [d for d in da.dims if d != "side"]
        if len(dim) != 1:
            continue
        sides = [gio.text(v) for v in ds["side"].values]
        if "p10" not in sides or "p90" not in sides:
            continue
        lo = da.isel(side=sides.index("p10")).values.astype(float)
        hi = da.isel(side=sides.index("p90")).values.astype(float)
        base = (float(select_metric(ds[base_name], metric).values) if base_name in ds.data_vars
                else float(np.median(np.concatenate([lo, hi]))))
        labels = labels_of(ds, dim[0], len(lo))
        order = np.argsort(np.maximum(np.abs(lo - base), np.abs(hi - base)))
        fig, ax = new_figure(ds, path)
        y = np.arange(len(order))
        ax.barh(y, lo[order] - base, left=base, color="#4393c3",
                label="parameter at its 10th percentile")
        ax.barh(y, hi[order] - base, left=base, color="#d6604d",
                label="parameter at its 90th percentile")
        ax.axvline(base, color="0.2", linewidth=1, label=f"all at their medians ({base:.3g})")
        ax.set_yticks(y)
        ax.set_yticklabels([labels[i] for i in order])
        units = "probability" if name == "tornado_compound" else metric_units(ds, metric)
        label = what.format(metric=metric)
        ax.set_xlabel(label + (f" ({units})" if units and units != "1" else ""))
        ax.set_title(f"Tornado: which assumption moves the {metric} most")
        ax.legend(frameon=False, loc="best")
        ax.grid(True, axis="x", alpha=0.3)
        figs.append((name, f"Tornado: {label}", finish(fig)))
    return figs


def interval(ds, name, metric):
    """(low, high) arrays of the interval of variable name, or None."""
    for lo_name, hi_name in ((f"{name}_ci_low", f"{name}_ci_high"), (f"{name}_low", f"{name}_high")):
        if lo_name in ds.data_vars and hi_name in ds.data_vars:
            return (select_metric(ds[lo_name], metric).values.astype(float),
                    select_metric(ds[hi_name], metric).values.astype(float))
    return None


def sobol_figure(ds, path, metric):
    """First-order and total Sobol indices per parameter with their intervals."""
    parts = [n for n in ("sobol_first", "sobol_total") if n in ds.data_vars]
    if not parts:
        return []
    first = select_metric(ds[parts[0]], metric)
    dim = parameter_dim(first)
    if dim is None:
        return []
    labels = labels_of(ds, dim, first.sizes[dim])
    key = select_metric(ds[parts[-1]], metric).values.astype(float)
    order = np.argsort(key)
    y = np.arange(len(order))
    fig, ax = new_figure(ds, path)
    height = 0.8 / len(parts)
    for j, name in enumerate(parts):
        v = select_metric(ds[name], metric).values.astype(float)
        ci = interval(ds, name, metric)
        xerr = (np.vstack([np.clip(v - ci[0], 0, None), np.clip(ci[1] - v, 0, None)])[:, order]
                if ci else None)
        ax.barh(y + (j - (len(parts) - 1) / 2) * height, v[order], height, xerr=xerr,
                capsize=3, color=["#fdb863", "#5e3c99"][j % 2],
                label={"sobol_first": "first-order index S_i", "sobol_total": "total index S_Ti"}[name])
    ax.set_yticks(y)
    ax.set_yticklabels([labels[i] for i in order])
    ax.set_xlabel("share of the variance of the horizon metric (1 = all; bars: interval)")
    ax.set_xlim(0, max(1.0, float(np.nanmax(key)) * 1.05))
    ax.set_title(f"Sobol indices: what drives the variance of the {metric}")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    return [("sobol", f"Sobol indices ({metric})", finish(fig))]


def make_figures(ds, path=None, metric=None, only=()):
    """Every figure the file supports: [(name, title, Figure)]; the caller closes them.
    metric: the outcome metric of the sweep and sensitivity figures (default: the
    sweep's sweep_metric attribute, else the premium); only: name prefixes of the
    figures wanted (all when empty)."""
    def wanted(name):
        return not only or any(name.startswith(p) for p in only)
    figs = []
    metric = metric or gio.text(ds.attrs.get("sweep_metric", gio.HEADLINE_METRIC))
    metrics = [gio.text(m) for m in ds["metric"].values] if "metric" in ds.variables else []
    if metrics and metric not in metrics:
        raise gio.GapsimFileError(f"{path}: no metric '{metric}' (the file has "
                                  f"{', '.join(metrics)})")
    if gio.is_sweep(ds):
        if gio.swept_keys(ds) and "outcome_probability" in ds.data_vars:
            for outcome in ("compound", "collapse"):
                if wanted(f"sweep_{outcome}"):
                        figs.append((f"sweep_{outcome}", f"P({outcome}) across the sweep",
                                 sweep_figure(ds, path, metric, outcome)))
    else:
        for name, title, series, ylabel, log in FANS:
            if (wanted(name) and "time" in ds.variables
                    and all(f"{v}_quantile" in ds.data_vars for v, _, _ in series)):
                figs.append((name, title, fan_figure(ds, path, title, series, ylabel, log)))
        if wanted("outcomes") and "outcome_ci_low" in ds.data_vars and "outcome_ci_high" in ds.data_vars:
            figs.append(("outcomes", "Outcome probabilities", outcome_figure(ds, path)))
    if wanted("tornado_compound") or wanted("tornado_median"):
        figs += [f for f in tornado_figures(ds, path, metric) if wanted(f[0])]
    if wanted("sobol"):
        figs += sobol_figure(ds, path, metric)
    return figs


def save_figure(fig, path_noext, formats, dpi=100, outputs=None):
    """Writes fig as path_noext.<format> for each format; returns the paths.  With
    outputs (a gapsim_io.AtomicOutputs) the files go to temporary names that
    outputs.commit() renames; without, each file is written atomically on its own."""
    paths = []
    for fmt in formats:
        out = f"{path_noext}.{fmt}"
        meta = {"Date": None} if fmt == "svg" else {}
        try:
            if outputs is not None:
                fig.savefig(outputs.new(out), format=fmt, dpi=dpi, metadata=meta)
            else:
                gio.atomic_write(out, lambda tmp, fmt=fmt, meta=meta:
                                 fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta))
        except OSError as e:
            raise gio.GapsimWriteError(f"writing {out}: {e.strerror or e}") from None
        paths.append(out)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description="Figures of a gapsim result file (PNG + SVG).")
    ap.add_argument("file", help="result file (.h5) written by gapsim run or sweep")
    ap.add_argument("-o", "--output", default="output", help="directory (default: output)")
    ap.add_argument("--metric", help="outcome metric of the sweep and sensitivity figures "
                    "(default: the sweep's metric, else premium)")
    ap.add_argument("--format", default="png,svg", help="comma list of formats (default: png,svg)")
    ap.add_argument("--only", default="", help="comma list of figure name prefixes, e.g. "
                    "fan_premium,tornado (default: every figure the file supports)")
    ap.add_argument("--dpi", type=int, default=100, help="PNG resolution (default: 100, 1000x560)")
    args = ap.parse_args(argv)
    formats = [f for f in args.format.split(",") if f]
    ds = gio.open_result(args.file)
    only = tuple(p for p in args.only.split(",") if p)
    figs = make_figures(ds, args.file, args.metric, only)
    if not figs:
        raise gio.GapsimFileError(f"{args.file}: nothing to plot")
    os.makedirs(args.output, exist_ok=True)
    stem = os.path.splitext(os.path.basename(args.file))[0]
    written = []
    # every figure to a temporary file first, renamed together at the end: an error or
    # a signal on the way replaces none of the old figures
    with gio.AtomicOutputs() as outputs:
        for name, _, fig in figs:
            written += save_figure(fig, os.path.join(args.output, f"{stem}_{name}"), formats,
                                   args.dpi, outputs)
            plt.close(fig)
        outputs.commit()
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    gio.run_main(main)
