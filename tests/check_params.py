#!/usr/bin/python3
"""check_params.py [ROOT] - adding a model parameter takes one line of sim/params.def, its
use in sim/model.c and its documentation: no other C source names a parameter, except
the few below, each for a reason that a new parameter does not share.  Prints every
other place that names one (PARAM_<field>, .<field> / -><field> of gs_params, or its
"section.key") and exits 1.
"""
import os
import re
import sys

# Files that are the table or the model, where parameters are named by design.
OWNERS = {"sim/params.def", "sim/params.h", "sim/params.c", "sim/model.c", "sim/model.h"}
# Named uses elsewhere: file -> the parameters it may name, and why.
ALLOWED = {
    # the run's shape: the number and length of cycles size every array
    "sim/engine.c": {"run_cycle_years", "run_cycles", "outcome_compound_ratio",
                     "outcome_collapse_ratio",
                     # calendar and outcome window of model version 2 (run-level keys that
                     # live in params.def so they can be swept; see docs/model.md)
                     "run_start_year", "outcome_window",
                     # the id range of the correlations: which draws need their own
                     # Cholesky factor (uncertain_factors)
                     "correlation_hardware_power", "correlation_demand_readiness"},
    "sim/estimate.c": {"run_cycles"},
    "sim/stream.c": {"run_cycles"},  # streaming mode: per-cycle statistics state
    "sim/h5in.c": {"run_cycle_years", "run_cycles", "run_start_year"},
    # history matching: the calendar the targets' dates and windows are checked against
    "sim/history.c": {"run_start_year", "run_cycle_years", "run_cycles", "history_now"},
    "sim/sensitivity.c": {"run_cycles"},
    "cli/cli_merge.c": {"run_cycles"},
    "cli/main.c": {"run_cycles"},
    "sim/resume.c": {"run_cycles"},
    # the outcome thresholds, printed with the outcome table
    "sim/summary.c": {"outcome_compound_ratio", "outcome_collapse_ratio",
                      # the calendar and the outcome window, printed with the answer
                      "outcome_window", "run_start_year",
                      # the history window, printed with the History block
                      "history_now"},
    # which key the loader blames for a broken relation (params_check_relations)
    "sim/scenario.c": {"correlation_hardware_power", "correlation_open_demand",
                       "outcome_collapse_ratio", "outcome_compound_ratio", "training_growth",
                       "training_growth_long", "correlation_demand_readiness",
                       "training_algorithmic", "hardware_trend"},
}


def main(root):
    table = open(os.path.join(root, "sim/params.def"), encoding="utf-8").read()
    rows = re.findall(r'^X\((\w+),\s*"([^"]+)"', table, re.M)
    fields = {f for f, _ in rows}
    key_of = {k: f for f, k in rows}
    word = re.compile(r'PARAM_(\w+)|(?:\.|->)(\w+)\b|"([a-z_]+\.[a-z_0-9]+)"')
    problems = []
    for d in ("sim", "cli"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            rel = f"{d}/{name}"
            if not name.endswith((".c", ".h")) or rel in OWNERS:
                continue
            allowed = ALLOWED.get(rel, set())
            text = open(os.path.join(root, rel), encoding="utf-8").read()
            for lineno, line in enumerate(text.splitlines(), 1):
                for m in word.finditer(line):
                    f = m.group(1) or m.group(2) or key_of.get(m.group(3) or "")
                    if f in fields and f not in allowed:
                        problems.append(f"{rel}:{lineno}: names the parameter '{f}' (only "
                                        "params.def, params.c and model.c should; see "
                                        "tests/check_params.py)")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
