#!/usr/bin/env python3
"""prim_reference.py - a plain NumPy PRIM, the second implementation for tests/e2e_prim.sh.

Written from Friedman & Fisher (1999), "Bump hunting in high-dimensional data", and the
rules docs/discovery.md fixes where the paper leaves a choice (ties, the size of a peel
with tied values, the knee); it works on the values themselves, recomputing the box's rows
from its limits at every step, with no binning, no histograms and no incremental updates.

    prim_reference.py DATA.csv[.gz] [C_OUTPUT [PEEL_ALPHA PASTE_ALPHA MIN_MASS BOXES]]

DATA: one column per input, the last column the class (target: class == 0).  With
C_OUTPUT (the output of `prim_tool run DATA`), compares and prints TAP lines "ok ..." /
"not ok ..."; exits 1 on any difference.  Without, prints its own trajectory.
"""
import gzip
import math
import sys

import numpy as np
from scipy.stats import binom

PEEL_ALPHA, PASTE_ALPHA, MIN_MASS, BOXES = 0.05, 0.05, 0.05, 2


def read_csv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        names = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    x = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float32)
    y = np.array([int(r[-1]) == 0 for r in rows], dtype=np.int64)
    return names[:-1], x, y


def inside(x, lower, upper, skip=None):
    """Rows with lower[j] <= x[:, j] <= upper[j] for every column j except `skip`."""
    ok = np.ones(len(x), dtype=bool)
    for j in range(x.shape[1]):
        if j != skip:
            ok &= (x[:, j] >= lower[j]) & (x[:, j] <= upper[j])
    return ok


def better(k1, n1, k2, n2):
    """Is k1/n1 denser than k2/n2, or as dense with more rows?  Exact, in integers."""
    return k1 * n2 > k2 * n1 or (k1 * n2 == k2 * n1 and n1 > n2)


def peel(x, y, active, n_all, k_all, values):
    """The peeling trajectory from the whole active set: a list of steps (rows,
    positives, coverage, density, mass, restricted) and the boxes (lower, upper)."""
    d = x.shape[1]
    lower, upper = np.full(d, -np.inf), np.full(d, np.inf)
    boxes, steps = [], []
    while True:
        box = active & inside(x, lower, upper)
        n, k = int(box.sum()), int(y[box].sum())
        restricted = int(sum(lower[j] > -np.inf or upper[j] < np.inf for j in range(d)))
        steps.append((n, k, k / k_all, k / n, n / n_all, restricted))
        boxes.append((lower.copy(), upper.copy()))
        need = max(1, math.ceil(PEEL_ALPHA * n))
        best = None  # (rows left, positives left, column, side, new limit)
        for j in range(d):
            v, t = x[box, j], y[box]
            vals, inv, cnt = np.unique(v, return_inverse=True, return_counts=True)
            pos = np.bincount(inv, weights=t, minlength=len(vals)).astype(np.int64)
            for side in (0, 1):
                # remove the fewest smallest (side 0) or largest (side 1) values of the box
                # holding at least `need` rows
                o = slice(None) if side == 0 else slice(None, None, -1)
                cum, cum_pos = np.cumsum(cnt[o]), np.cumsum(pos[o])
                m = int(np.searchsorted(cum, need))  # first m with cum[m] >= need
                removed_rows, removed_pos, val = int(cum[m]), int(cum_pos[m]), vals[o][m]
                left, left_k = n - removed_rows, k - removed_pos
                if left == 0 or float(left) < MIN_MASS * float(n_all):
                    continue
                # the new limit: the next value of the column (in all the data) past the
                # removed ones
                col = values[j]
                if side == 0:
                    limit = col[np.searchsorted(col, val, side="right")]
                else:
                    limit = col[np.searchsorted(col, val, side="left") - 1]
                if best is None or better(left_k, left, best[1], best[0]):
                    best = (left, left_k, j, side, limit)
        if best is None:
            return steps, boxes
        _, _, j, side, limit = best
        if side == 0:
            lower[j] = limit
        else:
            upper[j] = limit


def knee(steps):
    """The step of largest (normalised density gained) - (normalised coverage given up)."""
    if len(steps) < 2:
        return None
    c0, cT, r0 = steps[0][2], steps[-1][2], steps[0][3]
    rmax = max(s[3] for s in steps)
    if not rmax > r0:
        return None
    best, chosen = -math.inf, None
    for t in range(1, len(steps)):
        xg = (c0 - steps[t][2]) / (c0 - cT) if c0 > cT else 0.0
        yg = (steps[t][3] - r0) / (rmax - r0)
        if yg - xg > best:
            best, chosen = yg - xg, t
    return chosen


def paste(x, y, active, lower, upper, values):
    """Friedman & Fisher's pasting: widen one limit at a time while the density rises."""
    d = x.shape[1]
    lower, upper = lower.copy(), upper.copy()
    pastes = 0
    while True:
        box = active & inside(x, lower, upper)
        n, k = int(box.sum()), int(y[box].sum())
        need = max(1, math.ceil(PASTE_ALPHA * n))
        best = None
        for j in range(d):
            others = active & inside(x, lower, upper, skip=j)
            for side in (0, 1):
                out = others & ((x[:, j] < lower[j]) if side == 0 else (x[:, j] > upper[j]))
                vals, inv, cnt = np.unique(x[out, j], return_inverse=True, return_counts=True)
                pos = np.bincount(inv, weights=y[out], minlength=len(vals)).astype(np.int64)
                o = slice(None, None, -1) if side == 0 else slice(None)  # outward from the box
                cum, cum_pos = np.cumsum(cnt[o]), np.cumsum(pos[o])
                added = added_pos = 0
                limit = None
                if len(vals):
                    m = min(int(np.searchsorted(cum, need)), len(vals) - 1)
                    added, added_pos, limit = int(cum[m]), int(cum_pos[m]), vals[o][m]
                if added == 0:
                    continue
                col = values[j]
                if added < need or limit == (col[0] if side == 0 else col[-1]):
                    limit = -np.inf if side == 0 else np.inf  # to the end of the column
                nn, nk = n + added, k + added_pos
                if not nk * n > k * nn:
                    continue
                if best is None or better(nk, nn, best[1], best[0]):
                    best = (nn, nk, j, side, limit)
        if best is None:
            return lower, upper, pastes, n, k
        _, _, j, side, limit = best
        if side == 0:
            lower[j] = limit
        else:
            upper[j] = limit
        pastes += 1


def discover(x, y):
    d = x.shape[1]
    values = [np.unique(x[:, j]) for j in range(d)]
    active = np.ones(len(x), dtype=bool)
    n_all, k_all = len(x), int(y.sum())
    found = []
    for _ in range(BOXES):
        if int(y[active].sum()) == 0:
            break
        steps, boxes = peel(x, y, active, n_all, k_all, values)
        t = knee(steps)
        if t is None:
            break
        lower, upper, pastes, n, k = paste(x, y, active, *boxes[t], values)
        limits = []
        for j in range(d):
            lo_p = up_p = math.nan
            gain = 0.0
            if lower[j] > -np.inf or upper[j] < np.inf:
                for side in (0, 1):
                    lo2, up2 = lower.copy(), upper.copy()
                    if side == 0:
                        lo2[j] = -np.inf
                    else:
                        up2[j] = np.inf
                    b2 = active & inside(x, lo2, up2)
                    p0 = y[b2].sum() / b2.sum()
                    qp = binom.sf(k - 1, n, p0)  # P(X >= k), X ~ Bin(n, p0)
                    if side == 0 and lower[j] > -np.inf:
                        lo_p = qp
                    if side == 1 and upper[j] < np.inf:
                        up_p = qp
                b3 = active & inside(x, lower, upper, skip=j)
                gain = k / n - y[b3].sum() / b3.sum()
            limits.append((lower[j], upper[j], lo_p, up_p, gain))
        found.append(dict(steps=steps, chosen=t, pastes=pastes, n=n, k=k, limits=limits))
        active &= ~inside(x, lower, upper)
    return found


def parse_c(path):
    boxes = []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "box" and len(f) == 8 and f[2] == "steps":
            boxes.append(dict(chosen=int(f[5]), pastes=int(f[7]), steps=[], limits=[]))
        elif f[0] == "step":
            boxes[-1]["steps"].append((int(f[2]), int(f[3]), float(f[4]), float(f[5]),
                                       float(f[6]), int(f[7])))
        elif f[0] == "final":
            boxes[-1]["n"], boxes[-1]["k"] = int(f[1]), int(f[2])
        elif f[0] == "limit":
            boxes[-1]["limits"].append(tuple(float(v) for v in f[2:7]))
    return boxes


def main():
    global PEEL_ALPHA, PASTE_ALPHA, MIN_MASS, BOXES
    if len(sys.argv) >= 7:
        PEEL_ALPHA, PASTE_ALPHA, MIN_MASS = (float(v) for v in sys.argv[3:6])
        BOXES = int(sys.argv[6])
    names, x, y = read_csv(sys.argv[1])
    ref = discover(x, y)
    if len(sys.argv) < 3:
        for b, box in enumerate(ref):
            for t, s in enumerate(box["steps"]):
                print("box", b, "step", t, *s)
        return 0
    got = parse_c(sys.argv[2])
    bad = 0

    def check(cond, what):
        nonlocal bad
        print(("ok " if cond else "not ok ") + what)
        bad += not cond

    check(len(got) == len(ref), f"prim: {len(ref)} boxes in both")
    for b, (r, g) in enumerate(zip(ref, got)):
        check(len(r["steps"]) == len(g["steps"]), f"prim box {b}: {len(r['steps'])} peeling steps")
        worst = 0.0
        same_counts = len(r["steps"]) == len(g["steps"])
        for rs, gs in zip(r["steps"], g["steps"]):
            same_counts &= rs[0] == gs[0] and rs[1] == gs[1] and rs[5] == gs[5]
            worst = max(worst, abs(rs[2] - gs[2]), abs(rs[3] - gs[3]), abs(rs[4] - gs[4]))
        check(same_counts, f"prim box {b}: rows, positives, restricted columns of every step")
        check(worst <= 1e-12, f"prim box {b}: coverage, density, mass to 1e-12 (max diff {worst:.3g})")
        check(r["chosen"] == g["chosen"], f"prim box {b}: knee at step {r['chosen']} (C: {g['chosen']})")
        check(r["pastes"] == g["pastes"] and r["n"] == g["n"] and r["k"] == g["k"],
              f"prim box {b}: {r['pastes']} pastes to {r['k']}/{r['n']} (C: {g['pastes']}, {g['k']}/{g['n']})")
        lim_ok = gain_ok = qp_ok = True
        for (rl, ru, rpl, rpu, rg), (gl, gu, gpl, gpu, gg) in zip(r["limits"], g["limits"]):
            lim_ok &= np.float32(rl) == np.float32(gl) and np.float32(ru) == np.float32(gu)
            gain_ok &= abs(rg - gg) <= 1e-12
            for rp, gp in ((rpl, gpl), (rpu, gpu)):
                if math.isnan(rp) or math.isnan(gp):
                    qp_ok &= math.isnan(rp) and math.isnan(gp)
                elif rp > 1e-290:  # GSL and SciPy both underflow towards 0 below that
                    qp_ok &= abs(rp - gp) <= 1e-6 * rp
        check(lim_ok, f"prim box {b}: the same limits")
        check(gain_ok, f"prim box {b}: the density gains to 1e-12")
        check(qp_ok, f"prim box {b}: quasi-p values (GSL vs SciPy) to 1e-6 relative")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
