#!/usr/bin/python3
"""reference_model.py - the market model (version 2, docs/model.md) in plain NumPy, as an independent check.

Written the way a competent NumPy user would write it: one array per state variable
(vectorised over trajectories), a Python loop over the cycles, numpy.quantile for the
per-cycle quantiles.  It shares no code with the C engine (sim/model.c) and draws its
own random numbers (numpy's PCG64), so the two agree only in distribution: the test
tests/e2e_reference.sh compares them within Monte Carlo error, and `make bench` times
this script against the C engine on the same number of trajectories.

Parameters come from either
  - a gapsim result file: its param_<key> attributes (every parameter as the run used
    it, --set overrides included), seed, trajectories and quantile levels; or
  - a scenario YAML: its keys on top of the defaults of sim/params.def.

usage:
  reference_model.py SOURCE [-n N] [--seed S] [--save FILE.npz] [--quiet]
prints the wall time of the simulation (and a few medians unless --quiet); --save
writes every statistic, with the quantiles' standard errors, to an .npz file.
"""
import argparse
import os
import re
import sys
import time

import numpy as np

# Recorded variables, in the engine's order (sim/model.h, MODEL_VARS).
VARS = ["hw_cost", "power_price", "compute_cost", "serving_cost_open", "serving_cost_closed",
        "training_budget", "funding_multiplier", "quality_closed", "quality_open",
        "quality_open_west", "gap", "lag_months", "value_at_stake", "price_open",
        "price_closed", "readiness", "restricted", "restricted_share", "closed_labs",
        "profit_cover", "capture", "equilibrium_share", "closed_share", "demand",
        "closed_profit", "rent", "premium", "premium_q", "lcoi_open", "lcoi_closed"]
METRICS = ["lag_months", "premium", "premium_q", "rent", "closed_share", "closed_labs"]
OUTCOMES = ["compound", "persist", "collapse"]
SHOCKS = ["hardware", "power", "closed", "open", "demand", "readiness"]
DEFAULT_QUANTILES = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99]

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS_DEF = os.path.join(HERE, "..", "sim", "params.def")


# ------------------------------------------------------------------ parameters

def default_params():
    """The defaults of sim/params.def: {"hardware.vol": 0.35, ...}."""
    text = open(PARAMS_DEF, encoding="utf-8").read()
    pattern = re.compile(r'^X\(\s*\w+,\s*"([a-z_.0-9]+)",\s*"[^"]*",\s*"[^"]*",\s*([-+0-9.eE]+),',
                         re.M)
    return {key: float(value) for key, value in pattern.findall(text)}


def params_from_yaml(path):
    """Defaults overlaid with the scenario's keys; also seed, trajectories, quantiles."""
    import yaml
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    p = default_params()
    run = {"seed": 20260501, "trajectories": 10000, "quantiles": DEFAULT_QUANTILES}
    if doc.get("model") != 2:
        raise SystemExit(f"{path}: not a model version 2 scenario (no 'model: 2' line)")
    for section, body in doc.items():
        if not isinstance(body, dict):
            continue
        for name, value in body.items():
            key = f"{section}.{name}"
            if section == "run" and name in ("seed", "trajectories", "quantiles"):
                run[name] = value
            elif key in p and isinstance(value, (int, float)):
                p[key] = float(value)
    return p, run


def params_from_h5(path):
    """The parameters, seed, trajectories and quantile levels a gapsim run used."""
    import h5py
    p = default_params()
    with h5py.File(path, "r") as f:
        for key in p:
            attr = "param_" + key.replace(".", "_")
            if attr in f.attrs:
                p[key] = float(np.asarray(f.attrs[attr]).ravel()[0])
        run = {"seed": int(np.asarray(f.attrs["seed"]).ravel()[0]),
               "trajectories": int(np.asarray(f.attrs["trajectories"]).ravel()[0]),
               "quantiles": [float(q) for q in f["quantile"][()]]}
    return p, run


def correlation(p):
    """The 6x6 correlation matrix R over (hardware, power, closed, open, demand, readiness)."""
    R = np.eye(len(SHOCKS))
    for i, a in enumerate(SHOCKS):
        for j, b in enumerate(SHOCKS):
            key = f"correlation.{a}_{b}"
            if key in p:
                R[i, j] = R[j, i] = p[key]
    return R


def ou_step(sigma, theta, dt):
    """sigma sqrt((1 - exp(-2 theta dt)) / (2 theta)); sigma sqrt(dt) for theta = 0."""
    if theta * dt < 1e-12:
        return sigma * np.sqrt(dt)
    return sigma * np.sqrt(-np.expm1(-2.0 * theta * dt) / (2.0 * theta))


# ------------------------------------------------------------------ the model

def transform(metric, x):
    """The value an outcome compares (docs/model.md §8): odds for closed_share (clamped
    to [1e-9, 1 - 1e-9]), 1 + pi^Q for premium_q, the value itself otherwise."""
    if metric == "closed_share":
        s = np.clip(x, 1e-9, 1.0 - 1e-9)
        return s / (1.0 - s)
    if metric == "premium_q":
        return 1.0 + x
    return x


def classify(reference, horizon, compound_ratio, collapse_ratio):
    """0 compound, 1 persist, 2 collapse, -1 undefined (ratio not finite or negative)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = horizon / reference
    cls = np.where(r >= compound_ratio, 0, np.where(r <= collapse_ratio, 2, 1))
    return np.where(np.isfinite(r) & (r >= 0), cls, -1)


def simulate(p, n, seed, levels, with_se=False):
    """Runs n trajectories; returns per-cycle mean, sd and quantiles of every variable
    (arrays [var, cycle] and [var, cycle, level]), the Monte Carlo standard error of
    each quantile (with_se; zeros otherwise), the outcome probabilities [metric,
    outcome] over the defined trajectories and the undefined counts [metric].

    The standard error of the sample quantile at level q is read off the sample itself:
    its rank is Binomial(n, q), so one standard error in level, s = sqrt(q(1-q)/n),
    maps to (Q(q + 3s) - Q(q - 3s)) / 6 in value (the order-statistic interval over
    three standard errors; no density estimate needed).  The three-SE span matters for
    the whole-numbered variables (closed_labs, restricted): a jump of the distribution
    within 3 SE of the level gives a standard error of 1/6 of the step, where a one-SE
    span would give 0 and make two correct programs disagree by "infinitely many" SE."""
    rng = np.random.default_rng(seed)
    K = int(p["run.cycles"])
    dt = p["run.cycle_years"]
    L = np.linalg.cholesky(correlation(p))
    hw_decay = np.exp(-p["hardware.reversion"] * dt)
    hw_step = ou_step(p["hardware.vol"], p["hardware.reversion"], dt)
    power_decay = np.exp(-p["power.reversion"] * dt)
    power_step = ou_step(p["power.vol"], p["power.reversion"], dt)
    jump_prob = -np.expm1(-p["hardware.shock_rate"] * dt)
    breakthrough_prob = -np.expm1(-p["capability.breakthrough_rate"] * dt)
    on_prob = -np.expm1(-p["governance.switch_on_rate"] * dt)
    off_prob = -np.expm1(-p["governance.switch_off_rate"] * dt)
    b = p["capability.gain_per_efold"]
    a_alg = p["training.algorithmic"]

    def g_budget(k):   # g_{B,k}
        return (p["training.growth_long"] + (p["training.growth"] - p["training.growth_long"])
                * 2.0 ** (-k * dt / p["training.growth_halflife"]))

    def g_demand(k):   # g_{D,k}
        return (p["demand.growth_long"] + (p["demand.growth"] - p["demand.growth_long"])
                * 2.0 ** (-k * dt / p["demand.growth_halflife"]))

    k_now = int(np.floor((p["history.now"] - p["run.start_year"]) / dt + 0.5))
    W = int(p["outcome.window"])
    a_max = p["demand.readiness_max"]
    ratio0 = p["demand.readiness0"] / a_max
    w0 = np.inf if ratio0 >= 1 else np.log(ratio0 / (1 - ratio0))

    # state at cycle 0
    y = np.zeros(n)                        # log deviation of H from its trend
    e = np.zeros(n)                        # log deviation of E from its trend
    qc = np.full(n, p["capability.closed0"])
    qo = np.full(n, p["capability.closed0"] * (1.0 - p["capability.gap0"]))
    log_demand = np.full(n, np.log(p["demand.mtok0"]))
    w = np.full(n, w0)                     # log-odds of A / A_max
    g = np.full(n, p["governance.restricted0"])
    labs = np.full(n, p["labs.count0"])
    share = np.full(n, p["demand.closed_share0"])
    log_funding = 0.0                      # ln F_k
    profit_prev = rent_prev = labs_prev = rent0 = None
    log_x_prev = None

    nv, nq = len(VARS), len(levels)
    mean = np.zeros((nv, K + 1))
    sd = np.zeros((nv, K + 1))
    quant = np.zeros((nv, K + 1, nq))
    quant_se = np.zeros((nv, K + 1, nq))
    lv = np.asarray(levels, dtype=float)
    s_level = np.sqrt(lv * (1.0 - lv) / n)
    lv_lo, lv_hi = np.clip(lv - 3 * s_level, 0.0, 1.0), np.clip(lv + 3 * s_level, 0.0, 1.0)
    reference = {}
    window = {m: [] for m in METRICS}

    for k in range(K + 1):
        t = k * dt
        gx = g_budget(k) + a_alg - p["hardware.trend"]
        # --- the market in cycle k
        hw = p["hardware.cost0"] * np.exp(p["hardware.trend"] * t + y)
        power = p["power.price0"] * np.exp(p["power.trend"] * t + e)
        kwh = p["energy.kwh_per_ah"] * np.exp(p["energy.trend"] * t)
        compute = hw + kwh * power
        serve_open = p["serving.ah_per_mtok"] * np.exp(p["serving.trend"] * t) * compute
        serve_closed = p["serving.closed_size_ratio"] * serve_open
        gap_points = qc - qo
        gap = gap_points / qc
        qw = np.clip(qo - b * gx * p["governance.west_lag_months"] / 12.0, 0.0, qo)
        gap_w = (qc - qw) / qc
        demand = np.exp(log_demand)
        value = (p["demand.value_per_mtok"] * (qc / p["capability.closed0"]) ** p["demand.value_elasticity"]
                 * (demand / p["demand.mtok0"]) ** (-p["demand.value_dilution"]))
        capture = np.minimum(1.0, p["pricing.capture"] * labs ** (-p["pricing.competition_exponent"])
                             * np.exp(p["pricing.capture_trend"] * t))
        price_open = serve_open * (1.0 + p["pricing.open_margin"])
        price_closed = np.maximum(price_open, serve_closed + capture * gap * value)
        diff = price_closed - price_open
        fs = p["demand.sensitive_share"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sig = np.where(gap * value > 0, fs * np.exp(-diff / (gap * value)), 0.0)
            sig_w = np.where(gap_w * value > 0, fs * np.exp(-diff / (gap_w * value)), 0.0)
        ready = a_max / (1.0 + np.exp(-w))
        phi = np.where(g > 0.5, p["governance.restricted_share1"], p["governance.restricted_share0"])
        eq_share = (1.0 - ready) + ready * ((1.0 - phi) * sig + phi * sig_w)
        alpha = 0.0 if k == 0 else p["demand.switching"]
        share = share + alpha * (eq_share - share)
        profit = (price_closed - serve_closed) * share * demand
        rent = diff * share * demand
        if k == 0:                          # R_{-1} = R_0, Pi_{-1} = Pi_0, n_{-1} = n_0
            rent0, rent_prev, profit_prev, labs_prev = rent.copy(), rent.copy(), profit.copy(), labs.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            mult = np.where(rent0 > 0, ((rent_prev + rent0) / (2.0 * rent0)) ** p["training.funding_elasticity"], 1.0)
        budget = (p["training.budget0"] * np.exp(log_funding) * mult
                  + p["training.reinvest"] * np.maximum(0.0, profit_prev / labs_prev))
        cover = profit / (labs * budget)
        log_x = np.log(budget) + np.log(dt) + a_alg * t - np.log(compute)
        if log_x_prev is None:
            log_x_prev = log_x - gx * dt      # X_{-1} = X_0 e^{-g_{X,0} dt}
        z_open = np.minimum(-(qo - qc + p["intelligence.hard_task_offset"]) / p["intelligence.difficulty_spread"], 600.0)
        z_closed = min(-p["intelligence.hard_task_offset"] / p["intelligence.difficulty_spread"], 600.0)
        lcoi_open = price_open * (1.0 + np.exp(z_open))
        lcoi_closed = price_closed * (1.0 + np.exp(z_closed))
        record = {
            "hw_cost": hw, "power_price": power, "compute_cost": compute,
            "serving_cost_open": serve_open, "serving_cost_closed": serve_closed,
            "training_budget": budget, "funding_multiplier": mult,
            "quality_closed": qc, "quality_open": qo, "quality_open_west": qw,
            "gap": gap, "lag_months": 12.0 * gap_points / (b * gx), "value_at_stake": value,
            "price_open": price_open, "price_closed": price_closed, "readiness": ready,
            "restricted": g, "restricted_share": phi, "closed_labs": labs,
            "profit_cover": cover, "capture": capture,
            "equilibrium_share": eq_share, "closed_share": share, "demand": demand,
            "closed_profit": profit, "rent": rent,
            "premium": price_closed / price_open - 1.0,
            "premium_q": lcoi_closed / lcoi_open - 1.0,
            "lcoi_open": lcoi_open, "lcoi_closed": lcoi_closed,
        }
        for v, name in enumerate(VARS):
            x = np.broadcast_to(record[name], (n,))
            mean[v, k] = x.mean()
            sd[v, k] = x.std(ddof=1) if n > 1 else 0.0
            quant[v, k] = np.quantile(x, lv)
            if with_se:
                quant_se[v, k] = (np.quantile(x, lv_hi) - np.quantile(x, lv_lo)) / 6.0
        for m in METRICS:
            if k == k_now:
                reference[m] = transform(m, record[m]).copy()
            if k > K - W:
                window[m].append(transform(m, record[m]).copy())
        if k == K:
            break

        # --- shocks and events, then the state of cycle k+1
        eps = rng.standard_normal((n, len(SHOCKS))) @ L.T
        shock = rng.random(n) < jump_prob
        breakthrough = rng.random(n) < breakthrough_prob
        jump = rng.normal(p["hardware.shock_mean"], p["hardware.shock_sd"], n)
        u_gov = rng.random(n)
        u_labs = rng.random(n)
        y = y * hw_decay + hw_step * eps[:, 0] + np.where(shock, jump, 0.0)
        e = e * power_decay + power_step * eps[:, 1]
        gain = b * (log_x - log_x_prev) + p["capability.closed_noise"] * np.sqrt(dt) * eps[:, 2]
        qc_next = qc + np.maximum(0.0, gain)
        kappa = np.clip(p["capability.catch_up"] * (1.0 - p["governance.catch_up_cut"] * g)
                        + p["capability.catch_up_sd"] * eps[:, 3], 0.0, 1.0)
        qo = qo + kappa * (qc_next - qo)
        qo = np.where(breakthrough, qo + p["capability.breakthrough_close"] * (qc_next - qo), qo)
        qc = qc_next
        log_demand = (log_demand + (g_demand(k) - 0.5 * p["demand.vol"] ** 2) * dt
                      + p["demand.vol"] * np.sqrt(dt) * eps[:, 4])
        w = w + p["demand.readiness_rate"] * dt + p["demand.readiness_vol"] * np.sqrt(dt) * eps[:, 5]
        g = np.where(g > 0.5, np.where(u_gov < off_prob, 0.0, 1.0), np.where(u_gov < on_prob, 1.0, 0.0))
        zr = cover / p["labs.required_cover"]
        enter = (zr >= 1) & (u_labs < -np.expm1(-p["labs.entry_rate"] * dt * (zr - 1)))
        leave = (zr < 1) & (u_labs < -np.expm1(-p["labs.exit_rate"] * dt * (1 - zr)))
        labs_prev = labs
        labs = np.clip(labs + enter - leave, 1.0, p["labs.max"])
        log_x_prev = log_x
        profit_prev, rent_prev = profit, rent
        log_funding += g_budget(k) * dt

    prob = np.zeros((len(METRICS), len(OUTCOMES)))
    undefined = np.zeros(len(METRICS), dtype=np.int64)
    for q, m in enumerate(METRICS):
        vals = np.array(window[m])
        with np.errstate(divide="ignore", invalid="ignore"):
            horizon = vals.mean(axis=0) if m == "closed_labs" else np.exp(np.log(vals).mean(axis=0))
        cls = classify(reference[m], horizon, p["outcome.compound_ratio"], p["outcome.collapse_ratio"])
        undefined[q] = int(np.sum(cls < 0))
        defined = cls[cls >= 0]
        prob[q] = np.bincount(defined, minlength=3) / max(1, defined.size)
    return {"mean": mean, "sd": sd, "quantile": quant, "quantile_se": quant_se,
            "outcome_probability": prob, "outcome_undefined": undefined,
            "levels": np.asarray(levels), "trajectories": n}


def save_npz(path, res):
    np.savez(path, **res)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="gapsim result file (.h5) or scenario (.yaml)")
    ap.add_argument("-n", "--trajectories", type=int, default=0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--save", help="write the statistics to this .npz file")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.source.endswith((".yaml", ".yml")):
        p, run = params_from_yaml(a.source)
    else:
        p, run = params_from_h5(a.source)
    n = a.trajectories or int(run["trajectories"])
    seed = a.seed if a.seed is not None else int(run["seed"])
    t0 = time.perf_counter()
    res = simulate(p, n, seed, run["quantiles"], with_se=bool(a.save))
    wall = time.perf_counter() - t0
    print(f"reference_model: {n} trajectories x {int(p['run.cycles'])} cycles in {wall:.3f} s")
    if not a.quiet:
        levels = list(res["levels"])
        if 0.5 in levels:
            j = levels.index(0.5)
            for name in ("premium", "lag_months", "closed_share"):
                v = VARS.index(name)
                print(f"  median {name}: cycle 0 {res['quantile'][v, 0, j]:.6g}, "
                      f"cycle {res['quantile'].shape[1] - 1} {res['quantile'][v, -1, j]:.6g}")
    if a.save:
        save_npz(a.save, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
