"""gapsim.discovery - the scenario discovery of a result file (`gapsim discover`,
docs/discovery.md): reading the `discovery` group and its figures.

  read(path, metric=None)    the discovery of `metric` (any outcome; the compound one
                             first), or None when the file has none: a dict with the
                             group's attributes, the columns, the boxes (peeling
                             trajectory, limits, quasi-p values), importance and ranking
  figures(ds, path, metric)  [(name, title, Figure)]:
      discovery_tradeoff  the peeling trajectory as coverage against density, coloured by
                          the number of restricted assumptions, the chosen step and the
                          pasted box marked;
      discovery_pairs     the trajectories over the two most important assumptions
                          (a sample of at most 4,000), the outcome's futures in colour,
                          the chosen box's limits on those two drawn as a rectangle.
"""
import textwrap

import h5py
import numpy as np

from . import labels


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _groups(f, metric):
    if "discovery" not in f:
        return []
    names = list(f["discovery"])
    if metric:
        names = [n for n in names if n.startswith(metric + "_")]
    return sorted(names, key=lambda n: (not n.endswith("_compound"), n))


def read(path, metric=None):
    """The discovery group of `metric` (the compound one first), or None."""
    with h5py.File(path, "r") as f:
        names = _groups(f, metric)
        if not names:
            return None
        g = f["discovery"][names[0]]
        d = {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}
        d["group"] = names[0]
        d["columns"] = _text(g.attrs["columns"]).split("\n")
        d["importance"] = g["importance"][:] if "importance" in g else np.zeros(0)
        d["ranking"] = g["ranking"][:] if "ranking" in g else np.zeros(0, int)
        d["boxes"] = []
        for b in range(int(g.attrs.get("boxes", 0))):
            bg = g[f"box_{b}"]
            box = {k: v for k, v in bg.attrs.items()}
            box["trajectory"] = bg["trajectory"][:]
            box["limits"] = bg["limits"][:]
            d["boxes"].append(box)
        d["cycles"] = sorted((int(g[c].attrs["cycle"]), _text(g[c].attrs.get("sentence", "")))
                             for c in g if c.startswith("cycle_"))
        return d


def column_words(key):
    """A column in words: a parameter's meaning (params.def), or the shock summary."""
    if key in labels.PARAMS:
        return labels.PARAMS[key][2]
    return {"supply_shocks": "number of hardware supply shocks",
            "breakthroughs": "number of open-model breakthroughs",
            "governance_switches": "number of governance switches",
            "lab_entries": "number of closed-lab entries",
            "lab_exits": "number of closed-lab exits",
            "mean_catch_up": "mean open catch-up fraction per cycle"}.get(key, key)


def column_unit(key):
    unit = labels.PARAMS.get(key, (None, "", None))[1]
    return "" if unit in ("1", None) else unit


def _column(f, key):
    g = f["trajectories"]
    name = "draw_" + key if "draw_" + key in g else key
    return g[name][:].astype(np.float64)


def figures(ds, path, metric=None):
    """The discovery figures of the file at `path` ([] when it has no discovery)."""
    if not path:
        return []
    try:
        d = read(path, metric)
    except (OSError, KeyError):
        return []
    if not d or not d["boxes"]:
        return []
    from . import plot as gplot
    plt = gplot.plt
    out = []
    metric_name, outcome = _text(d["metric"]), _text(d["outcome"])
    words = gplot.metric_words(metric_name)
    box = d["boxes"][0]
    t = box["trajectory"]
    # the coverage-density trade-off
    fig, ax = gplot.new_figure(ds, path)
    sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=22,
                    zorder=3)
    ax.plot(t["coverage"], t["density"], color="0.6", lw=1, zorder=2)
    k = int(box["chosen"])
    ax.scatter([t["coverage"][k]], [t["density"][k]], s=160, facecolors="none",
               edgecolors=gplot.OKABE_ITO["black"],
               linewidths=2.2, zorder=4, label=f"chosen step {k} ({_text(d['choice'])})")
    ax.scatter([box["coverage"]], [box["density"]], marker="*", s=180, color=gplot.OKABE_ITO["vermillion"],
               zorder=5, label=f"chosen box after {int(box['pastes'])} pastes")
    ax.axhline(float(d["base_density"]), color="0.4", ls=":", lw=1,
               label=f"all futures ({100 * float(d['base_density']):.0f}%)")
    ax.set_xlabel(f"coverage: share of all {outcome} futures inside the box")
    ax.set_ylabel(f"density: share of the box's futures where it {outcome}s")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("assumptions restricted")
    ax.legend(loc="lower left")
    ax.set_title(f"Where the {words} {outcome}s: coverage against density (PRIM peeling)")
    out.append(("discovery_tradeoff", f"Coverage-density trade-off of the {words}'s "
                f"{outcome} discovery", gplot.finish(fig)))
    # the two most important limits
    # the two columns of largest importance; when the box restricts fewer than two, the
    # next columns the peeling went on to restrict after the chosen step
    rank = [int(j) for j in d["ranking"] if d["importance"][int(j)] > 0][:2]
    for mv in t["moved"][k + 1:]:
        if len(rank) < 2 and mv >= 0 and int(mv) // 2 not in rank:
            rank.append(int(mv) // 2)
    if len(rank) < 2:
        rank += [int(j) for j in d["ranking"] if int(j) not in rank][:2 - len(rank)]
    if len(rank) == 2:
        with h5py.File(path, "r") as f:
            if not isinstance(f.get("trajectories"), h5py.Group):
                return out
            cols = [_column(f, d["columns"][j]) for j in rank]
            cls = f["trajectories"]["class_" + metric_name][:]
        want = {"compound": 0, "persist": 1, "collapse": 2}[outcome]
        ok = (cls >= 0) & np.isfinite(cols[0]) & np.isfinite(cols[1])
        idx = np.flatnonzero(ok)
        if idx.size > 4000:
            idx = np.sort(np.random.default_rng(0).choice(idx, 4000, replace=False))
        fig, ax = gplot.new_figure(ds, path)
        pos = cls[idx] == want
        ax.scatter(cols[0][idx][~pos], cols[1][idx][~pos], s=6, color="0.7",
                   label=f"other futures", rasterized=True)
        ax.scatter(cols[0][idx][pos], cols[1][idx][pos], s=6, color=gplot.OKABE_ITO["blue"],
                   label=f"the {words} {outcome}s", rasterized=True)
        lim = box["limits"]
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        lo = [lim["lower"][j] for j in rank]
        hi = [lim["upper"][j] for j in rank]
        bx = [max(lo[0], x0), min(hi[0], x1)]
        by = [max(lo[1], y0), min(hi[1], y1)]
        ax.plot([bx[0], bx[1], bx[1], bx[0], bx[0]], [by[0], by[0], by[1], by[1], by[0]],
                color=gplot.OKABE_ITO["vermillion"], lw=2.5, label=f"chosen box ({100 * box['density']:.0f}% "
                f"{outcome}, holds {100 * box['coverage']:.0f}% of them)")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        names = [d["columns"][j] for j in rank]
        for setter, key in ((ax.set_xlabel, names[0]), (ax.set_ylabel, names[1])):
            u = column_unit(key)
            text = f"{column_words(key)}" + (f" [{u}]" if u else "")
            setter("\n".join(textwrap.wrap(text, 60 if key == names[0] else 42)))
        ax.legend(loc="best", markerscale=3)
        ax.set_title(f"The two assumptions that matter most for the {words} to {outcome}")
        out.append(("discovery_pairs", f"The chosen box on its two most important limits "
                    f"({names[0]}, {names[1]})", gplot.finish(fig)))
    return out
