#!/usr/bin/python3
"""gapsim_report.py - one self-contained HTML report of a gapsim result file.

Usage: /usr/bin/python3 analysis/gapsim_report.py FILE.h5 [-o REPORT.html]
                                                 [--params TABLE.tsv] [--metric premium]
(`gapsim report FILE.h5 [-o FILE.html]` runs this and passes --params.)

The report holds the headline answer, the outcome table (or, for a sweep, P(outcome)
per point), the horizon quantiles of the key variables, "What decides it" (the scenario
discovery of `gapsim discover`: its sentence, the limits with quasi-p values and
importance, by cycle, the coverage-density and pair figures) when the file has one, every figure of gapsim_plot
(PNG embedded as data: URIs), the scenario's assumptions (key, value, unit, source and
where the value came from) and the provenance (attributes and the scenario file
verbatim).  Nothing refers to the network or to other files: it can be mailed as is.

--params is the parameter table written by `gapsim report` (tab-separated: key, unit,
symbol, meaning, source, origin); without it the assumptions table has key and value
only.
"""
import argparse
import base64
import html
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gapsim_io as gio  # noqa: E402
import gapsim_plot as gplot  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1060px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.answer { font-size: 1.15em; background: #f6f3e8; padding: 0.7em 1em; border-left: 4px solid #d95f02; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; font-size: 0.85em; white-space: pre-wrap;
      overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
.muted { color: #666; font-size: 0.9em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; } figure, tr { break-inside: avoid; }
  figure img { max-width: 100%; max-height: 120mm; }
  table { width: 100%; font-size: 8pt; table-layout: auto; }
  pre { font-size: 7.5pt; }
  .answer { border-left-width: 3px; }
}
"""

HORIZON_VARS = ["premium", "premium_q", "lag_months", "gap", "price_open", "price_closed",
                "closed_share", "rent", "closed_profit", "lcoi_open", "lcoi_closed"]


def esc(x):
    return html.escape(gio.text(x))


def table(header, rows, numeric=()):
    """An HTML table; columns whose index is in numeric are right-aligned."""
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = "".join(f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                        for i, c in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def fmt(x):
    """Human numbers: 35.1B, not 3.508e+10."""
    return gplot.fmt_value(float(x))


def pm(p, se):
    return f"{p:.3f} ± {se:.3f}"


def headline(ds, metric):
    """The single-run answer sentence, as the console summary words it; when no outcome
    passes 0.5, how close the two leading ones are (their difference in standard errors,
    from the multinomial variance (p1 + p2 - (p1 - p2)^2) / N)."""
    p = ds["outcome_probability"].sel(metric=metric)
    n = int(ds.attrs.get("trajectories", 0))
    undefined = int(ds["outcome_undefined"].sel(metric=metric)) if "outcome_undefined" in ds else 0
    if n and undefined > 0.01 * n:   # docs/model.md §8: no answer when > 1% are undefined
        return (f"No answer: the closed {metric}'s outcome is undefined (not finite) in "
                f"{100.0 * undefined / n:.1f}% of the {n:,} simulated futures (more than 1%).")
    order = sorted(((float(p.sel(outcome=o)), str(o)) for o in p["outcome"].values), reverse=True)
    (p1, best), (p2, second) = order[0], order[1]
    lo = float(ds["outcome_ci_low"].sel(metric=metric, outcome=best))
    hi = float(ds["outcome_ci_high"].sel(metric=metric, outcome=best))
    verb = {"compound": "compounds", "persist": "persists", "collapse": "collapses"}
    words = gplot.metric_words(metric)
    year = int(gio.years(ds)[-1])
    n = (int(ds["outcome_count"].sel(metric=metric).sum()) if "outcome_count" in ds
         else int(ds.attrs.get("trajectories", 0)))
    tail = (f"{int(ds.attrs.get('trajectories', 0)):,} simulated futures, "
            f"seed {gio.text(ds.attrs.get('seed_text', ds.attrs.get('seed', 0)))}.")
    if p1 >= 0.5 or n == 0:
        return (f"The {words} most likely <b>{verb.get(best, best)}</b> by {year}: "
                f"P = {p1:.3f} (95% interval {lo:.3f}-{hi:.3f}), " + tail)
    se = ((p1 + p2 - (p1 - p2) ** 2) / n) ** 0.5
    z = (p1 - p2) / se if se > 0 else float("inf")
    close = ("too close to call" if z < 2 else f"{best} ahead, neither more likely than not")
    return (f"No outcome of the {words} is more likely than not by {year}: "
            f"<b>{best}</b> P = {p1:.3f} and <b>{second}</b> P = {p2:.3f} are "
            f"{p1 - p2:.3f} apart ({z:.1f} standard errors of the difference), {close}. " + tail)


def sweep_headline(ds, metric):
    """What the sweep says in one sentence: the range of P(compound) and P(collapse)
    of the metric over the points, and how many points pass 0.5."""
    words = gplot.metric_words(metric)
    out = []
    for o in ("compound", "collapse"):
        p = ds["outcome_probability"].sel(metric=metric, outcome=o).values
        se = ds["outcome_stderr"].sel(metric=metric, outcome=o).values
        i, j = int(p.argmin()), int(p.argmax())
        out.append(f"P({o}) runs from {pm(p[i], se[i])} (point {i}) to {pm(p[j], se[j])} "
                   f"(point {j}) and passes 0.5 at {int((p > 0.5).sum())} of {len(p)} points")
    return f"Across the sweep, for the {words}: " + "; ".join(out) + "."


def outcome_section(ds, metric):
    if gio.is_sweep(ds):
        keys = gio.swept_keys(ds)
        header = ["point"] + [gplot.key_label(ds, k) for k in keys] + [
            f"P({o}) ± standard error" for o in gio.OUTCOMES]
        rows = []
        for i in range(ds.sizes["point"]):
            pt = ds.isel(point=i)
            rows.append([i] + [fmt(float(pt[k])) for k in keys] + [
                pm(float(pt["outcome_probability"].sel(metric=metric, outcome=o)),
                   float(pt["outcome_stderr"].sel(metric=metric, outcome=o)))
                for o in gio.OUTCOMES])
        return (f"<h2>Outcomes across the sweep ({esc(gplot.metric_words(metric))})</h2>\n"
                + table(header, rows, numeric=set(range(len(header)))))
    # 5 x 3: one row per metric, one column per outcome, "p ± se" and the interval
    outcomes = [gio.text(o) for o in ds["outcome"].values]
    rows = []
    for m in ds["metric"].values:
        row = [gplot.metric_words(gio.text(m))]
        for o in ds["outcome"].values:
            sel = dict(metric=m, outcome=o)
            row.append(f"{pm(float(ds['outcome_probability'].sel(**sel)), float(ds['outcome_stderr'].sel(**sel)))}"
                       f" ({float(ds['outcome_ci_low'].sel(**sel)):.3f}-"
                       f"{float(ds['outcome_ci_high'].sel(**sel)):.3f})")
        rows.append(row)
    compound = ds.attrs.get("param_outcome_compound_ratio", 1.5)
    collapse = ds.attrs.get("param_outcome_collapse_ratio", 0.5)
    undefined = ""
    if "outcome_undefined" in ds:
        undefined = "<p>Undefined (ratio not finite, not counted in the probabilities): " + ", ".join(
            f"{esc(gplot.metric_words(gio.text(m)))} {int(ds['outcome_undefined'].sel(metric=m))}"
            for m in ds["metric"].values) + ".</p>\n"
    k = gplot.reference_cycle(ds)
    return ("<h2>Outcome table</h2>\n"
            f"<p>r = horizon value (mean of the last cycles) / value at history.now "
            f"({gio.years(ds)[k]:g}): compound if r &ge; {compound:g}, collapse if "
            f"r &le; {collapse:g}, persist in between. Each cell: probability ± Monte Carlo "
            "standard error (95% Wilson interval).</p>\n"
            + table(["metric"] + outcomes, rows, numeric={1, 2, 3}) + "\n" + undefined)


def quantile_section(ds):
    if gio.is_sweep(ds):
        return ""
    (i5, p5), (i50, _), (i95, p95) = (gio.nearest_level(ds, p) for p in (0.05, 0.5, 0.95))
    rows = []
    for v in HORIZON_VARS:
        name = f"{v}_quantile"
        if name not in ds.data_vars:
            continue
        q = ds[name].isel(cycle=-1)
        a = ds[name].attrs
        rows.append([gio.text(a.get("long_name", v)).replace("quantiles of ", "").split(" [")[0],
                     gio.text(a.get("gapsim_units", a.get("units", ""))),
                     fmt(float(ds[name].isel(cycle=0, quantile=i50))),
                     fmt(float(q.isel(quantile=i5))), fmt(float(q.isel(quantile=i50))),
                     fmt(float(q.isel(quantile=i95)))])
    return (f"<h2>At the horizon ({int(gio.years(ds)[-1])})</h2>\n"
            + table(["variable", "unit", "start", f"{100 * p5:g}th percentile", "median",
                     f"{100 * p95:g}th percentile"], rows, numeric={2, 3, 4, 5}))


def read_params_table(path):
    """{key: {unit, symbol, meaning, source, origin}} from the TSV of `gapsim report`."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    return {cells[0]: dict(zip(header, cells)) for cells in (l.split("\t") for l in lines[1:])
            if len(cells) == len(header)}


def set_by(ds):
    """{key: where its value came from}: "scenario file, line N", "override (--set)", "swept",
    "uncertain" or "default", from the file itself (scenario_text, history)."""
    import re
    text = gio.text(ds.attrs.get("scenario_text", ""))
    history = gio.text(ds.attrs.get("history", ""))
    origin = {}
    section = None
    for n, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].rstrip()
        m = re.match(r"^([A-Za-z_]\w*):\s*$", body) or re.match(r"^([A-Za-z_]\w*):\s*\S", body)
        if m and not line.startswith((" ", "\t")):
            section = m.group(1)
            continue
        m = re.match(r"^\s+([A-Za-z_]\w*):", body)
        if m and section:
            origin.setdefault(f"{section}.{m.group(1)}", f"scenario file, line {n}")
    for key in re.findall(r"--set[= ]([\w.]+)=", history):
        origin[key] = "override (--set)"
    for key in gio.text(ds.attrs.get("sweep_keys", "")).split():
        origin[key] = "swept"
    for part in gio.text(ds.attrs.get("uncertain_distributions", "")).split("; "):
        if ": " in part:
            key = part.split(": ", 1)[0]
            origin[key] = "uncertain" + (f" ({origin[key]})" if key in origin else "")
    return origin


def assumptions_section(ds, params):
    """key, value, unit, source: values from param_<key> (attributes, or the sweep's
    coordinates shown as their range)."""
    swept = {k: ds[k].values for k in gio.swept_keys(ds)}
    uncertain = dict(part.split(": ", 1) for part in
                     gio.text(ds.attrs.get("uncertain_distributions", "")).split("; ")
                     if ": " in part)
    rows = []
    origin = set_by(ds)
    if params:
        for key, info in params.items():
            attr = "param_" + key.replace(".", "_")
            if key in uncertain:
                value = f"uncertain: {uncertain[key]}"
            elif attr in swept:
                value = f"swept {fmt(swept[attr].min())} to {fmt(swept[attr].max())}"
            elif attr in ds.attrs:
                value = fmt(float(ds.attrs[attr]))
            else:
                value = "(not recorded)"
            rows.append([key, value, info.get("unit", ""), info.get("meaning", ""),
                         info.get("source", ""),
                         # the sweep or a distribution decides; else gapsim's own origin
                         origin[key] if origin.get(key, "").startswith(("swept", "uncertain"))
                         else info.get("origin", "") or origin.get(key) or "default"])
        header = ["key", "value", "unit", "meaning", "source", "set by"]
    else:
        for attr in sorted(a for a in ds.attrs if a.startswith("param_")):
            rows.append([attr[len("param_"):], fmt(float(ds.attrs[attr]))])
        for attr, values in swept.items():
            rows.append([attr[len("param_"):], f"swept {fmt(values.min())} to {fmt(values.max())}"])
        header = ["key", "value"]
    return ("<h2>Assumptions</h2>\n<p>Every parameter of the run with its unit and the source "
            "of its default value (see the scenario file below for the comments of this "
            "scenario).</p>\n" + table(header, rows, numeric={1}))


def embed(name, title, fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure id="fig-{esc(name)}"><img alt="{esc(title)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{esc(title)}</figcaption></figure>')


def pfmt(p):
    return "< 1e-300" if p == 0 else f"{p:.2g}"


def discovery_section(ds, path, metric):
    """"What decides it": the scenario discovery (gapsim discover) of the file, if any."""
    from gapsim import discovery as gdisc
    import h5py
    with h5py.File(path, "r") as f:
        has_traj = isinstance(f.get("trajectories"), h5py.Group)  # a sweep's is a dataset
    d = gdisc.read(path, metric) or gdisc.read(path)
    if d is None:
        if not has_traj:
            return ""
        return ("<h2>What decides it</h2>\n<p>The run kept its trajectories: run "
                f"<code>gapsim discover {esc(os.path.basename(path))} --metric {esc(metric)}"
                "</code> (or give the scenario a <code>discover:</code> section) to find the "
                "assumptions under which the outcome happens.</p>")
    parts = ["<h2>What decides it</h2>",
             f'<p class="answer">{esc(d.get("sentence", ""))}</p>',
             '<p class="muted">Scenario discovery (PRIM, Friedman &amp; Fisher 1999) over '
             f'{int(d["rows"]):,} futures: peeling {float(d["peel_alpha"]):g}, pasting '
             f'{float(d["paste_alpha"]):g}, minimum mass {float(d["min_mass"]):g}, box chosen '
             f'by the {esc(d["choice"])}'
             + (f' (density ≥ {float(d["threshold"]):g})' if d["choice"] == "threshold" else
                " of the coverage-density curve")
             + '. A limit\'s quasi-p value is the chance of the box\'s density if the limit '
             'did nothing; large values flag limits that could be dropped.</p>']
    rows = []
    box = d["boxes"][0] if d["boxes"] else None
    for j in d["ranking"]:
        j = int(j)
        imp = float(d["importance"][j])
        lim = box["limits"][j] if box is not None else None
        restricted = lim is not None and (np.isfinite(lim["lower"]) or np.isfinite(lim["upper"]))
        if not restricted and imp <= 0:
            continue
        key = d["columns"][j]
        unit = gdisc.column_unit(key)
        text, ps = [], []
        if lim is not None and np.isfinite(lim["lower"]):
            text.append(f"≥ {fmt(float(lim['lower']))}")
            ps.append(pfmt(float(lim['p_lower'])))
        if lim is not None and np.isfinite(lim["upper"]):
            text.append(f"≤ {fmt(float(lim['upper']))}")
            ps.append(pfmt(float(lim['p_upper'])))
        rows.append([gdisc.column_words(key), key, " and ".join(text) + (f" {unit}" if text and unit else "")
                     or "not restricted", ", ".join(ps), f"{imp:+.3f}"])
        if len(rows) == 12:
            break
    if rows:
        parts.append(table(["assumption", "key", "limit of the box", "quasi-p", "importance"],
                           rows, numeric={4}))
    if d["cycles"]:
        parts.append("<h3>By cycle</h3>\n<p>The same discovery if each forecast cycle were the "
                     "horizon: when each condition starts to matter.</p>")
        parts.append(table(["cycle", "discovery"],
                           [[str(c), s.split("\n")[0]] for c, s in d["cycles"]], numeric={0}))
    for name, title, fig in gdisc.figures(ds, path, metric):
        parts.append(embed(name, title, fig))
    return "\n".join(parts)


def figures_section(ds, path, metric):
    parts = ["<h2>Figures</h2>"]
    for name, title, fig in gplot.make_figures(ds, path, metric):
        if name.startswith("discovery"):  # in "What decides it"
            plt.close(fig)
            continue
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        parts.append(f'<figure id="fig-{esc(name)}"><img alt="{esc(title)}" '
                     f'src="data:image/png;base64,{data}">'
                     f"<figcaption>{esc(title)}</figcaption></figure>")
    return "\n".join(parts)


def history_section(path):
    """The History section of a history-matched run: drawn, kept, rate, and per target
    the observation, the kept median, the band and the rejection share; the parameters
    history moved most.  "" for other files."""
    h = gplot.open_history(path)
    if h is None:
        return ""
    drawn, kept = int(h.attrs["drawn"]), int(h.attrs["accepted"])
    rate = float(h.attrs["acceptance_rate"])
    levels = [round(float(v), 6) for v in h["level"].values]
    med = levels.index(0.5)
    rows = []
    variables = h.attrs["target_variables"].split()
    for j, name in enumerate(h["target"].values):
        rows.append([str(name), variables[j] if j < len(variables) else "",
                     fmt(h["observed"].values[j]), fmt(h["simulated_accepted"].values[j][med]),
                     f"{fmt(h['band_low'].values[j])} to {fmt(h['band_high'].values[j])}",
                     "yes" if int(h["median_in_band"].values[j]) else "NO",
                     f"{100 * float(h['rejection_share'].values[j]):.1f}%"])
    parts = [f"<h2>History</h2>\n<p>{kept:,} of {drawn:,} drawn futures ({100 * rate:.1f}%) "
             f"reproduce the observations of {esc(gio.text(h.attrs.get('targets_file', '')))} "
             f"(cutoff {float(h.attrs['cutoff']):g}, rule {esc(gio.text(h.attrs['rule']))}); "
             "everything in this report is over them."
             + (" <strong>Fewer than 1% were kept: the priors and the history disagree.</strong>"
                if rate < 0.01 else "") + "</p>",
             table(["target", "variable", "observed", "kept median", "band", "median in band",
                    "rejects"], rows, numeric={2, 3, 6})]
    if "shift" in h:
        order = sorted(range(h.sizes["parameter"]),
                       key=lambda p: -abs(float(h["shift"].values[p])) if h["shift"].values[p] == h["shift"].values[p] else 0)
        prow = []
        for p in order[:8]:
            prior, post = h["prior_quantile"].values[p], h["posterior_quantile"].values[p]
            prow.append([str(h["parameter"].values[p]), fmt(prior[med]), fmt(post[med]),
                         f"{float(h['shift'].values[p]):+.2f}"])
        parts.append("<p>The assumptions history moved most (median; shift in prior "
                     "interquartile ranges):</p>\n"
                     + table(["parameter", "prior median", "posterior median", "shift"], prow,
                             numeric={1, 2, 3}))
    return "\n".join(parts)


def provenance_section(ds, path):
    keys = ["title", "source", "history", "created", "gapsim_format_version", "scenario_file",
            "scenario_sha256", "rng", "seed", "trajectories", "threads", "Conventions"]
    rows = [["file", os.path.basename(path)]] + [
        [k, gio.text(ds.attrs[k])] for k in keys if k in ds.attrs]
    text = gio.text(ds.attrs.get("scenario_text", ""))
    return ("<h2>Provenance</h2>\n" + table(["attribute", "value"], rows)
            + "\n<h3>Scenario file, verbatim</h3>\n<pre>" + esc(text) + "</pre>")


def build_report(ds, path, params, metric):
    name = gio.text(ds.attrs.get("scenario_name", "?"))
    desc = gio.text(ds.attrs.get("scenario_description", ""))
    body = [f"<h1>gapsim: scenario {esc(name)}</h1>"]
    if desc:
        body.append(f"<p>{esc(desc)}</p>")
    body.append(f'<p class="muted">{esc(gio.describe(ds, path))}</p>')
    if not gio.is_sweep(ds):
        body.append(f'<p class="answer">{headline(ds, metric)}</p>')
    elif "outcome_stderr" in ds:
        body.append(f'<p class="answer">{sweep_headline(ds, metric)}</p>')
    body += [history_section(path), outcome_section(ds, metric), quantile_section(ds),
             discovery_section(ds, path, metric) if not gio.is_sweep(ds) else "",
             figures_section(ds, path, metric),
             assumptions_section(ds, params), provenance_section(ds, path)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>gapsim report: {esc(name)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(b for b in body if b) + "\n</body>\n</html>\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description="One self-contained HTML report of a result file.")
    ap.add_argument("file", help="result file (.h5)")
    ap.add_argument("-o", "--output", help="HTML file (default: output/<file stem>.html)")
    ap.add_argument("--params", help="parameter table (TSV) written by gapsim report")
    ap.add_argument("--metric", default=gio.HEADLINE_METRIC, help="headline metric")
    args = ap.parse_args(argv)
    out = args.output or os.path.join(
        "output", os.path.splitext(os.path.basename(args.file))[0] + ".html")
    ds = gio.open_result(args.file)
    page = build_report(ds, args.file, read_params_table(args.params), args.metric)
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
    gio.atomic_write(out, write)  # never a half-written report, no .tmp left
    print(f"Wrote {out} ({len(page) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    gio.run_main(main)
