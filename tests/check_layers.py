#!/usr/bin/python3
"""check_layers.py [SIM_DIR] - every library file includes only headers of its own layer or
of layers below it (README "Code layout").  Prints one line per violation and exits 1;
a sim/ module missing from LAYERS is a violation too (add it where it belongs).

The layers, lowest first.  A module is NAME.h + NAME.c (params.def belongs to params).
"""
import os
import re
import sys

LAYERS = [
    ("base", ["error", "vmath", "vmath_array", "isa", "rng", "rng_block", "comm", "hash",
              "h5util", "input", "prim"]),
    ("tables and numerics", ["params", "runkeys", "dist", "design", "stats", "stats_hist", "stats_dist"]),
    ("model", ["model"]),
    ("scenario", ["scenario", "targets", "upgrade"]),
    ("engine", ["trajdata", "engine", "stream"]),
    ("uncertain", ["uncertain"]),
    ("point", ["point"]),
    ("studies", ["sweep", "sensitivity", "history"]),
    ("study", ["study"]),
    ("results in and out", ["h5out", "h5in", "summary", "estimate", "partial", "compare", "discover"]),
    ("checkpoints", ["resume"]),
]

LEVEL = {m: i for i, (_, mods) in enumerate(LAYERS) for m in mods}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(name):
    stem, ext = os.path.splitext(os.path.basename(name))
    return stem if ext in (".c", ".h", ".def") else None


def check(sim):
    problems = []
    for f in sorted(os.listdir(sim)):
        mod = module_of(f)
        if mod is None:
            continue
        if mod not in LEVEL:
            problems.append(f"{sim}/{f}: module '{mod}' is in no layer of tests/check_layers.py")
            continue
        with open(os.path.join(sim, f), encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = module_of(m.group(1))
                if "/" in m.group(1) or not os.path.exists(os.path.join(sim, m.group(1))):
                    problems.append(f"{sim}/{f}:{lineno}: includes \"{m.group(1)}\", which is "
                                    "not a library header (sim/ includes only sim/ headers)")
                elif inc not in LEVEL:
                    problems.append(f"{sim}/{f}:{lineno}: includes \"{m.group(1)}\" of a module "
                                    "in no layer")
                elif LEVEL[inc] > LEVEL[mod]:
                    problems.append(
                        f"{sim}/{f}:{lineno}: includes \"{m.group(1)}\": layer "
                        f"'{LAYERS[LEVEL[inc]][0]}' is above '{LAYERS[LEVEL[mod]][0]}'")
    return problems


if __name__ == "__main__":
    problems = check(sys.argv[1] if len(sys.argv) > 1 else "sim")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)
