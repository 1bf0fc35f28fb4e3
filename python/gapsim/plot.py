"""gapsim.plot - the figures of a gapsim result file, headless (matplotlib Agg).

Usage: /usr/bin/python3 analysis/gapsim_plot.py FILE.h5 [-o DIR] [--metric premium]
                                 [--format png,svg,pdf] [--only fan_premium,tornado] [--dpi 150]
(`gapsim plot FILE.h5 [-o DIR]` runs this.)  Writes DIR/<file stem>_<figure>.png and .svg
(DIR defaults to output/) and prints each path written.

Figures, each with a title, units on the axes and a footer naming scenario and seed;
a figure is made only when the file holds what it needs:

  single run   fan_premium, fan_lag, fan_prices (log), fan_closed_share, fan_lcoi (log):
               median, 50% band (25th-75th percentile) and 90% band (5th-95th) over the
               release cycles, x axis in calendar years (the file's `year`); a log axis
               whenever a band spans more than a factor of 20 (symmetric log when it
               holds values <= 0); on the fan of an outcome metric the compound and
               collapse thresholds (ratio x the median at the reference cycle);
               outcomes: P(compound / persist / collapse) per metric with the 95%
               Wilson intervals of outcome_ci_low / outcome_ci_high.
  sweep        (a `point` dimension with param_<key>(point) coordinates)
               sweep_compound, sweep_collapse: P(outcome) of --metric over the first two
               swept keys, a heatmap on a grid (scatter otherwise) with the 0.5 contour
               as the phase boundary; with one swept key, a line with its interval.
  history      (history-matched runs: the file's `history` group)
               history_targets: per target the simulated window mean of the drawn and
               of the kept trajectories (5th-95th percentile, median) against the
               observation, in units of sqrt(sigma^2 + d^2), with the +-cutoff band;
               history_parameters: prior vs posterior of the 12 parameters that moved
               most, in prior interquartile ranges around the prior median.
  sensitivity  (files of runs with uncertain parameters; dims parameter, side, metric)
               tornado_compound, tornado_median: each parameter at its 10th / 90th
               percentile (side p10 / p90), bars from tornado_base_compound / _median;
               sobol: sobol_first and sobol_total (parameter, metric) with their 95%
               intervals sobol_*_ci_low / sobol_*_ci_high.
  discovery    (files with a `discovery` group, gapsim discover; gapsim.discovery)
               discovery_tradeoff: the peeling trajectory, coverage against density,
               with the chosen step and box marked; discovery_pairs: the trajectories
               over the two most important assumptions with the box drawn.

Every label is words and units: parameters by their meaning in sim/params.def and
variables by their long names in sim/model.h (gapsim.labels, generated from both), never
code names.  Colours are the Okabe-Ito palette (distinguishable with colour-blindness);
SVG keeps its text as text (svg.fonttype none), PDF embeds TrueType fonts.

Figures are also available to other scripts: make_figures(ds, path) returns
[(name, title, matplotlib Figure)].
"""
import argparse
import os
import textwrap
import warnings

from . import _io as gio
from . import labels

gio.require("matplotlib", "numpy", "xarray", "h5py", "h5netcdf")
import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.rcParams.update({
    "font.size": 12, "axes.titlesize": 15, "axes.labelsize": 12, "legend.fontsize": 10,
    "svg.hashsalt": "gapsim",  # stable SVG ids: same data, same file
    "svg.fonttype": "none",    # text stays text: labels can be edited in the deck
    "pdf.fonttype": 42, "ps.fonttype": 42,
})

FIGSIZE = (10, 5.6)  # 16:9, readable on a slide
FORMATS = ("png", "svg", "pdf")
# Okabe & Ito (2008), the colour-blind-safe palette
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
             "purple": "#CC79A7"}
COLORS = {"open": OKABE_ITO["green"], "closed": OKABE_ITO["vermillion"],
          "single": OKABE_ITO["blue"], "compound": OKABE_ITO["vermillion"],
          "persist": OKABE_ITO["sky"], "collapse": OKABE_ITO["green"],
          "p10": OKABE_ITO["blue"], "p90": OKABE_ITO["orange"],
          "first": OKABE_ITO["sky"], "total": OKABE_ITO["blue"]}

# Outcome metrics in words (the axis of the outcome chart, titles, tables).
METRIC_WORDS = {"lag_months": "lag behind the frontier", "premium": "price premium",
                "premium_q": "quality-adjusted premium", "rent": "rent paid to closed labs",
                "closed_share": "closed share of work", "closed_labs": "number of closed labs"}

# Fan charts: (name, title, [(variable, legend label, colour)], y label)
FANS = [
    ("fan_premium", "Closed price premium over open models",
     [("premium", "premium", COLORS["single"])],
     "premium (closed price / open price - 1)"),
    ("fan_lag", "How far open models trail the closed frontier",
     [("lag_months", "lag", COLORS["single"])],
     "lag (months of frontier progress)"),
    ("fan_prices", "Token prices of open and closed models",
     [("price_open", "open", COLORS["open"]), ("price_closed", "closed", COLORS["closed"])],
     "price (USD per million tokens)"),
    ("fan_closed_share", "Closed models' share of the work",
     [("closed_share", "closed share", COLORS["single"])],
     "share of work (1 = all work)"),
    ("fan_lcoi", "Levelized cost of intelligence",
     [("lcoi_open", "open", COLORS["open"]), ("lcoi_closed", "closed", COLORS["closed"])],
     "price per solved hard task (USD per million tokens)"),
]


def metric_words(m):
    """An outcome metric in words."""
    if m in METRIC_WORDS:
        return METRIC_WORDS[m]
    name = labels.VARIABLES.get(m, (m.replace("_", " "),))[0]
    return name.split(" (")[0]


def param_words(key):
    """A scenario key in words: its meaning from params.def (the key if unknown)."""
    meaning = labels.PARAMS.get(key, (None, None, key))[2]
    return meaning[:1].upper() + meaning[1:]


def param_unit(key):
    unit = labels.PARAMS.get(key, (None, "", None))[1]
    return "" if unit in ("1", None) else unit


def fmt_value(x):
    """A number for a label: 3 significant digits, k/M/B/T for large ones."""
    ax = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def scale_axis(ax, values):
    """Log axis when the plotted values span more than a factor of 20: log when all are
    positive, symmetric log (linear within ±linthresh) otherwise.  Writes the scale in
    the corner of the axes; returns it ("" for a linear axis)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    note = ""
    if v.size == 0:
        return note
    mag = np.abs(v)
    small = np.percentile(mag[mag > 0], 25) if np.any(mag > 0) else 0
    if np.all(v > 0) and v.max() / v.min() > 20:
        ax.set_yscale("log")
        note = "log scale"
    elif mag.max() > 0 and (small == 0 or mag.max() / small > 20) and np.any(v <= 0):
        linthresh = max(small, mag.max() * 1e-3)
        ax.set_yscale("symlog", linthresh=linthresh, linscale=0.6)
        if v.min() >= 0:
            ax.set_ylim(bottom=0)
        note = f"log scale above {fmt_value(linthresh)}, linear below"
    if note:
        ax.text(0.005, 1.005, note, transform=ax.transAxes, fontsize=9, color="0.3",
                ha="left", va="bottom")
    return note


def reference_cycle(ds):
    """The cycle outcomes are measured from: the file's outcome_reference_cycle, else
    history.now's cycle, else 0 (version 1: the start)."""
    if "outcome_reference_cycle" in ds.attrs:
        return int(ds.attrs["outcome_reference_cycle"])
    if "param_history_now" in ds.attrs and "year" in ds.variables:
        y = gio.years(ds)
        dt = float(y[1] - y[0]) if len(y) > 1 else 1.0
        return int(np.clip(np.floor((float(ds.attrs["param_history_now"]) - y[0]) / dt + 0.5),
                           0, len(y) - 1))
    return 0


def thresholds(ds, metric, ref):
    """(compound, collapse) values of the metric for a trajectory at reference value
    ref (the classification of README: ratios of the value, of 1 + value for premium_q,
    of the odds for closed_share); None where undefined."""
    up = float(ds.attrs.get("param_outcome_compound_ratio", 1.5))
    down = float(ds.attrs.get("param_outcome_collapse_ratio", 0.5))
    if metric == "closed_share":
        if not 0 < ref < 1:
            return None
        odds = ref / (1 - ref)
        return tuple(r * odds / (1 + r * odds) for r in (up, down))
    if metric == "premium_q":
        return (up * (1 + ref) - 1, down * (1 + ref) - 1) if ref > -1 else None
    return (up * ref, down * ref) if ref > 0 else None


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


def fan_figure(ds, path, title, series, ylabel):
    """Median line with 50% and 90% bands over calendar years for each series; a log
    axis when the bands span more than a factor of 20; the thresholds of an outcome
    metric."""
    fig, ax = new_figure(ds, path)
    x = gio.years(ds)
    plotted = []
    for var, label, color in series:
        im, pm = gio.nearest_level(ds, 0.5)
        median = ds[f"{var}_quantile"].isel(quantile=im).values
        prefix = f"{label}: " if len(series) > 1 else ""
        for lo, hi, alpha in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.38)):
            b = band(ds, var, lo, hi)
            if b:
                ax.fill_between(x, b[0], b[1], color=color, alpha=alpha, linewidth=0,
                                label=prefix + b[2])
                plotted += [b[0], b[1]]
        ax.plot(x, median, color=color, linewidth=2.2, label=f"{prefix}median")
        plotted.append(median)
    metrics = [gio.text(m) for m in ds["metric"].values] if "metric" in ds.coords else []
    if len(series) == 1 and series[0][0] in metrics:
        var = series[0][0]
        k = reference_cycle(ds)
        im, _ = gio.nearest_level(ds, 0.5)
        ref = float(ds[f"{var}_quantile"].isel(quantile=im, cycle=k).values)
        th = thresholds(ds, var, ref)
        if th:
            up = float(ds.attrs.get("param_outcome_compound_ratio", 1.5))
            down = float(ds.attrs.get("param_outcome_collapse_ratio", 0.5))
            when = f"{x[k]:g}"
            ax.axhline(th[0], color=COLORS["compound"], linestyle="--", linewidth=1.4,
                       label=f"compound: x{up:g} the {when} median ({fmt_value(th[0])})")
            ax.axhline(th[1], color=COLORS["collapse"], linestyle=":", linewidth=1.8,
                       label=f"collapse: x{down:g} the {when} median ({fmt_value(th[1])})")
            plotted.append(np.array(th))
    scale_axis(ax, np.concatenate([np.ravel(p) for p in plotted]))
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
                 f"collapse (x{collapse:g} or less)", fontsize=13)
    ax.set_xticks(x)
    ax.set_xticklabels(["\n".join(textwrap.wrap(metric_words(m), 16)) for m in metrics])
    k = reference_cycle(ds)
    ax.set_xlabel(f"outcome metric (its value at the horizon / its value in {gio.years(ds)[k]:g})")
    ax.set_ylabel("probability (95% interval as error bar)")
    ax.set_ylim(0, 1.14)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper center", ncol=len(outcomes), frameon=False)
    return finish(fig)


def key_label(ds, name):
    """Axis label of a swept key: its meaning (params.def) and unit."""
    v = ds[name]
    label = gio.text(v.attrs.get("long_name", name[len("param_"):]))
    key = None
    if label.startswith("swept ") and ":" in label:  # "swept KEY: meaning"
        key = label[len("swept "):label.index(":")]
    if key:
        unit = param_unit(key)
        return param_words(key) + (f" ({unit})" if unit else "")
    units = gio.text(v.attrs.get("gapsim_units", v.attrs.get("units", "")))
    return f"{label} ({units})" if units and units != "1" else label


def sweep_probability(ds, metric, outcome):
    return ds["outcome_probability"].sel(metric=metric, outcome=outcome).values


def sweep_figure(ds, path, metric, outcome):
    """P(outcome) over the swept keys: a line for one key, a heatmap with the 0.5
    contour (the phase boundary) for two or more (the first two keys; others vary)."""
    keys = gio.swept_keys(ds)
    p = sweep_probability(ds, metric, outcome)
    fig, ax = new_figure(ds, path)
    title = f"Probability that the {metric_words(metric)} {outcome}s"
    if len(keys) == 1:
        a = ds[keys[0]].values
        order = np.argsort(a)
        lo = ds["outcome_ci_low"].sel(metric=metric, outcome=outcome).values
        hi = ds["outcome_ci_high"].sel(metric=metric, outcome=outcome).values
        ax.fill_between(a[order], lo[order], hi[order], alpha=0.25, color=COLORS[outcome],
                        label="95% interval")
        ax.plot(a[order], p[order], "o-", color=COLORS[outcome], label=f"probability of {outcome}")
        ax.axhline(0.5, color="0.3", linestyle="--", linewidth=1, label="probability 0.5")
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
            mesh = ax.pcolormesh(ua, ub, grid, shading="nearest", cmap="cividis", vmin=0, vmax=1)
            if len(ua) > 1 and len(ub) > 1 and np.nanmin(grid) < 0.5 < np.nanmax(grid):
                cs = ax.contour(ua, ub, grid, levels=[0.5], colors="white", linewidths=2.5)
                ax.clabel(cs, fmt="P = 0.5", fontsize=10)
            if grid.size <= 100:
                for i in range(len(ub)):
                    for j in range(len(ua)):
                        ax.text(ua[j], ub[i], f"{grid[i, j]:.2f}", ha="center", va="center",
                                fontsize=9, color="white" if grid[i, j] < 0.6 else "black")
        else:
            mesh = ax.scatter(a, b, c=p, cmap="cividis", vmin=0, vmax=1, s=60,
                              edgecolors="0.2")
            if len(p) >= 4 and np.nanmin(p) < 0.5 < np.nanmax(p):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        ax.tricontour(a, b, p, levels=[0.5], colors="black", linewidths=2)
                    except (ValueError, RuntimeError):
                        pass  # degenerate triangulation: the points are enough
        fig.colorbar(mesh, ax=ax, label=f"probability of {outcome}")
        ax.set_xlabel(key_label(ds, keys[0]))
        ax.set_ylabel("\n".join(textwrap.wrap(key_label(ds, keys[1]), 36)))
        if len(keys) > 2:
            title += f" ({len(keys) - 2} other swept keys vary)"
        else:
            title += " (white line: 0.5)"
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
    if f"{metric}_quantile" not in ds:
        return ""
    a = ds[f"{metric}_quantile"].attrs
    return gio.text(a.get("gapsim_units", a.get("units", "")))


# Tornado variables (parameter, side, metric) with their base (metric) and axis label.
TORNADOS = [("tornado_compound", "tornado_base_compound", "probability that the {words} compounds"),
            ("tornado_median", "tornado_base_median", "median {words} at the horizon")]


def swing_values(ds, dim, n):
    """The parameters' 10th and 90th percentile values (tornado_value, else
    parameter_p10/_p90) as two arrays, or None."""
    if "tornado_value" in ds.data_vars and "side" in ds["tornado_value"].dims:
        tv = ds["tornado_value"]
        sides = [gio.text(v) for v in ds["side"].values]
        return (tv.isel(side=sides.index("p10")).values, tv.isel(side=sides.index("p90")).values)
    if "parameter_p10" in ds.data_vars and "parameter_p90" in ds.data_vars:
        return ds["parameter_p10"].values, ds["parameter_p90"].values
    return None


def parameter_ticks(keys, swing=None, order=None):
    """Tick labels: the parameter's meaning, then its key and p10 / p90 values."""
    out = []
    for i in (order if order is not None else range(len(keys))):
        k = keys[i]
        words = textwrap.shorten(param_words(k), 80, placeholder="…")
        words = "\n".join(textwrap.wrap(words, 40)[:2])
        unit = param_unit(k)
        extra = k
        if swing is not None:
            extra += f": {fmt_value(float(swing[0][i]))} to {fmt_value(float(swing[1][i]))}"
            extra += f" {unit}" if unit else ""
        out.append(f"{words}\n{extra}")
    return out


def tornado_figures(ds, path, metric):
    """One tornado per tornado_* variable (parameter, side, metric): each uncertain
    parameter at its 10th (side p10) and 90th (p90) percentile, the others at their
    medians, bars from the all-medians value tornado_base_*; every bar labelled with its
    value, every parameter with its p10 and p90 values."""
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
        keys = labels_of(ds, dim[0], len(lo))
        order = np.argsort(np.maximum(np.abs(lo - base), np.abs(hi - base)))
        fig, ax = new_figure(ds, path)
        fig.set_size_inches(FIGSIZE[0], max(FIGSIZE[1], 1.0 + 0.62 * len(order)))
        y = np.arange(len(order))
        ax.barh(y, lo[order] - base, left=base, color=COLORS["p10"],
                label="parameter at its 10th percentile")
        ax.barh(y, hi[order] - base, left=base, color=COLORS["p90"],
                label="parameter at its 90th percentile")
        ax.axvline(base, color="0.2", linewidth=1, label=f"all at their medians ({fmt_value(base)})")
        for yi, i in zip(y, order):
            for v in (lo[i], hi[i]):
                ax.text(v, yi, f" {fmt_value(v)} " if v >= base else f" {fmt_value(v)} ",
                        ha="left" if v >= base else "right", va="center", fontsize=9)
        ax.set_yticks(y)
        ax.set_yticklabels(parameter_ticks(keys, swing_values(ds, dim[0], len(lo)), order),
                           fontsize=9)
        span = np.nanmax(np.abs(np.concatenate([lo, hi]) - base)) or 1.0
        ax.set_xlim(base - 1.35 * span, base + 1.35 * span)
        if name == "tornado_compound":
            ax.set_xlim(max(-0.02, base - 1.35 * span), min(1.02, base + 1.35 * span))
        units = "" if name == "tornado_compound" else metric_units(ds, metric)
        label = what.format(words=metric_words(metric))
        ax.set_xlabel(label + (f" ({units})" if units and units != "1" else ""))
        ax.set_title(f"Which assumption moves the {metric_words(metric)} most")
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3,
                  fontsize=9)
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
    """First-order and total Sobol indices per parameter with their 95% bootstrap
    intervals, each bar labelled with its value; intervals reaching beyond [0, 1]
    (sampling error of the estimator) are drawn in full over a shaded band and marked."""
    parts = [n for n in ("sobol_first", "sobol_total") if n in ds.data_vars]
    if not parts:
        return []
    first = select_metric(ds[parts[0]], metric)
    dim = parameter_dim(first)
    if dim is None:
        return []
    keys = labels_of(ds, dim, first.sizes[dim])
    key = select_metric(ds[parts[-1]], metric).values.astype(float)
    order = np.argsort(key)
    y = np.arange(len(order))
    fig, ax = new_figure(ds, path)
    fig.set_size_inches(FIGSIZE[0], max(FIGSIZE[1], 1.0 + 0.62 * len(order)))
    height = 0.8 / len(parts)
    lo_all, hi_all, beyond = [0.0], [1.0], False
    words = {"sobol_first": "first-order index: the share it explains alone",
             "sobol_total": "total index: with its interactions"}
    for j, name in enumerate(parts):
        v = select_metric(ds[name], metric).values.astype(float)
        ci = interval(ds, name, metric)
        yy = y + (j - (len(parts) - 1) / 2) * height
        xerr = None
        if ci:
            xerr = np.vstack([np.clip(v - ci[0], 0, None), np.clip(ci[1] - v, 0, None)])[:, order]
            lo_all += list(ci[0])
            hi_all += list(ci[1])
            out = (ci[0] < -0.05) | (ci[1] > 1)  # beyond rounding: the estimator's error
            beyond |= bool(np.any(out))
            for yi, i in zip(yy, order):
                if out[i]:
                    ax.annotate(f"95% interval {ci[0][i]:.2f} to {ci[1][i]:.2f}: beyond [0, 1]",
                                (1.0, yi), xytext=(4, 5), textcoords="offset points",
                                fontsize=8, va="bottom", color="0.15")
        ax.barh(yy, v[order], height, xerr=xerr, capsize=3,
                color=COLORS["first" if name == "sobol_first" else "total"],
                label=words[name])
        for yi, i in zip(yy, order):
            ax.text(max(v[i], 0), yi, f" {v[i]:.2f}", ha="left", va="bottom", fontsize=8)
    lo_x = min(0.0, float(np.nanmin(lo_all))) - 0.03
    hi_x = max(1.0, float(np.nanmax(hi_all))) + 0.12
    if beyond:
        ax.axvspan(lo_x, 0, color="0.85", zorder=0)
        ax.axvspan(1, hi_x, color="0.85", zorder=0,
                   label="beyond [0, 1]: only sampling error reaches here")
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.axvline(1, color="0.4", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(parameter_ticks(keys, swing_values(ds, dim, len(keys)), order), fontsize=9)
    ax.set_xlabel("share of the variance at the horizon (1 = all of it; whiskers: 95% interval)")
    ax.set_xlim(lo_x, hi_x)
    ax.set_title(f"What drives the {metric_words(metric)}: Sobol indices")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2,
              fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    return [("sobol", f"Sobol indices ({metric})", finish(fig))]


def open_history(path):
    """The `history` group of a history-matched result file as an xarray Dataset (labels
    decoded to strings), or None when the file has none."""
    if not path:
        return None
    import h5py  # noqa: E402  (gio.require checked it)
    import xarray as xr  # noqa: E402
    with h5py.File(path, "r") as f:
        if "history" not in f or not isinstance(f["history"], h5py.Group):
            return None
    h = xr.open_dataset(path, engine="h5netcdf", group="history").load()
    for attr in ("variables", "transforms"):  # kept before the labels replace the codes
        h.attrs[f"target_{attr}"] = gio.text(h["target"].attrs.get(attr, ""))
    for dim in ("target", "parameter"):
        if f"{dim}_label" in h:
            h = h.assign_coords({dim: [gio.text(x) for x in h[f"{dim}_label"].values]})
    return h


def _transform(name, x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "log":
            return np.log(x)
        if name == "logit":
            return np.log(x / (1 - x))
    return x


def history_targets_figure(ds, path, h):
    """Did the run reproduce history: per target, the simulated window mean of the drawn
    and of the accepted trajectories (5th-95th percentile and median) against the
    observation, in units of the combined uncertainty sqrt(sigma^2 + d^2) of the
    transformed value, so that every target shares one axis and the band is +-cutoff."""
    names = list(h["target"].values)
    variables = h.attrs["target_variables"].split()
    transforms = h.attrs["target_transforms"].split()
    cutoff = float(h.attrs["cutoff"])
    fig, ax = new_figure(ds, path)
    levels = list(np.round(h["level"].values, 6))
    i5, i50, i95 = levels.index(0.05), levels.index(0.5), levels.index(0.95)
    y = np.arange(len(names))[::-1]
    ax.axvspan(-cutoff, cutoff, color="0.9", label=f"consistent with history (|I| <= {cutoff:g})")
    ax.axvline(0, color="0.3", lw=1, label="observation")
    for j, name in enumerate(names):
        s = np.hypot(float(h["sigma"].values[j]), float(h["discrepancy"].values[j]))
        hz = _transform(transforms[j], h["observed"].values[j])
        for key, off, colour, label in (("simulated_drawn", 0.18, OKABE_ITO["sky"], "drawn (prior)"),
                                        ("simulated_accepted", -0.18, OKABE_ITO["vermillion"],
                                         "accepted (posterior)")):
            q = (_transform(transforms[j], h[key].values[j]) - hz) / s
            ax.plot([q[i5], q[i95]], [y[j] + off] * 2, color=colour, lw=3,
                    label=label + ", 5th-95th percentile and median" if j == 0 else None)
            ax.plot([q[i50]], [y[j] + off], "o", color=colour)
    ticks = [f"{n} {variables[j] if j < len(variables) else ''}" for j, n in enumerate(names)]
    ax.set_yticks(y, ticks)
    lim = max(3 * cutoff, 1.0)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-4.5, len(names) - 0.4)  # room for the legend below the targets
    ax.set_xlabel("simulated minus observed, in units of sqrt(sigma^2 + d^2) (transformed)")
    rate = float(h.attrs["acceptance_rate"])
    ax.set_title(f"Reproducing 2024-26: {int(h.attrs['accepted'])} of {int(h.attrs['drawn'])} "
                 f"drawn futures kept ({100 * rate:.1f}%)")
    ax.legend(loc="lower right", fontsize=8)
    return finish(fig)


def history_parameters_figure(ds, path, h, count=12):
    """Prior vs posterior of the parameters history moved most: 5th-95th percentile and
    median of each, in units of the prior's interquartile range around its median."""
    shift = h["shift"].values
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(shift, nan=-1.0)))][:count]
    levels = list(np.round(h["level"].values, 6))
    i5, i25, i50, i75, i95 = (levels.index(v) for v in (0.05, 0.25, 0.5, 0.75, 0.95))
    fig, ax = new_figure(ds, path)
    y = np.arange(len(order))[::-1]
    for r, p in enumerate(order):
        prior, post = h["prior_quantile"].values[p], h["posterior_quantile"].values[p]
        iqr = prior[i75] - prior[i25]
        iqr = iqr if iqr > 0 else 1.0
        for q, off, colour, label in ((prior, 0.15, OKABE_ITO["sky"], "prior"),
                                      (post, -0.15, OKABE_ITO["vermillion"], "posterior (kept)")):
            z = (q - prior[i50]) / iqr
            ax.plot([z[i5], z[i95]], [y[r] + off] * 2, color=colour, lw=3,
                    label=label + ", 5th-95th percentile and median" if r == 0 else None)
            ax.plot([z[i50]], [y[r] + off], "o", color=colour)
    keys = [str(h["parameter"].values[p]) for p in order]
    ax.set_yticks(y, [textwrap.shorten(param_words(k), 48) for k in keys])
    ax.axvline(0, color="0.3", lw=1)
    ax.set_ylim(-2.2, len(order) - 0.4)  # room for the legend below the parameters
    ax.set_xlabel("value minus the prior median, in prior interquartile ranges")
    ax.set_title(f"What history says: the {len(order)} assumptions it moved most")
    ax.legend(loc="lower right", fontsize=8)
    return finish(fig)


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
        for name, title, series, ylabel in FANS:
            if (wanted(name) and "time" in ds.variables
                    and all(f"{v}_quantile" in ds.data_vars for v, _, _ in series)):
                figs.append((name, title, fan_figure(ds, path, title, series, ylabel)))
        if wanted("outcomes") and "outcome_ci_low" in ds.data_vars and "outcome_ci_high" in ds.data_vars:
            figs.append(("outcomes", "Outcome probabilities", outcome_figure(ds, path)))
    if wanted("tornado_compound") or wanted("tornado_median"):
        figs += [f for f in tornado_figures(ds, path, metric) if wanted(f[0])]
    if wanted("sobol"):
        figs += sobol_figure(ds, path, metric)
    if wanted("history"):
        h = open_history(path)
        if h is not None:
            if wanted("history_targets"):
                figs.append(("history_targets", "Reproducing the 2024-26 observations",
                             history_targets_figure(ds, path, h)))
            if wanted("history_parameters") and "shift" in h:
                figs.append(("history_parameters", "Prior and posterior of the assumptions",
                             history_parameters_figure(ds, path, h)))
    if (wanted("discovery_tradeoff") or wanted("discovery_pairs")) and not gio.is_sweep(ds):
        from . import discovery
        figs += [f for f in discovery.figures(ds, path, metric) if wanted(f[0])]
    return figs


def save_figure(fig, path_noext, formats, dpi=150, outputs=None):
    """Writes fig as path_noext.<format> for each format; returns the paths.  With
    outputs (a gapsim._io.AtomicOutputs) the files go to temporary names that
    outputs.commit() renames; without, each file is written atomically on its own."""
    paths = []
    for fmt in formats:
        out = f"{path_noext}.{fmt}"
        meta = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
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
    ap = argparse.ArgumentParser(prog="gapsim plot",
                                 description="Figures of a gapsim result file (PNG + SVG).")
    ap.add_argument("file", help="result file (.h5) written by gapsim run or sweep")
    ap.add_argument("-o", "--output", default="output", help="directory (default: output)")
    ap.add_argument("--metric", help="outcome metric of the sweep and sensitivity figures "
                    "(default: the sweep's metric, else premium)")
    ap.add_argument("--format", default="png,svg",
                    help="comma list of png, svg (text as text), pdf (default: png,svg)")
    ap.add_argument("--only", default="", help="comma list of figure name prefixes, e.g. "
                    "fan_premium,tornado (default: every figure the file supports)")
    ap.add_argument("--dpi", type=int, default=150,
                    help="PNG resolution in dots per inch (default: 150, 1500x840)")
    args = ap.parse_args(argv)
    formats = [f for f in args.format.split(",") if f]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        ap.error(f"--format: {', '.join(bad) or 'nothing'}: choose from {', '.join(FORMATS)}")
    if not 20 <= args.dpi <= 1200:
        ap.error(f"--dpi: {args.dpi}: choose 20 to 1200")
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


def run_main():
    gio.run_main(main)


if __name__ == "__main__":
    run_main()
