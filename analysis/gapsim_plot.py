#!/usr/bin/python3
"""gapsim_plot.py FILE.h5 [-o DIR] [--metric M] [--format png,svg,pdf] [--only NAMES]
[--dpi N] - the figures of a result file (`gapsim plot` runs this).  The work is in
the gapsim package (python/gapsim/plot.py), found next to the source tree
(<script dir>/../python) or installed on sys.path; see its docstring for the figures."""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
for _cand in (os.path.join(_here, "..", "python"), os.path.join(_here, "..", "..", "python")):
    if os.path.isfile(os.path.join(_cand, "gapsim", "__init__.py")):
        sys.path.insert(0, os.path.normpath(_cand))
        break

from gapsim.plot import *  # noqa: E402,F401,F403  (gapsim_report uses make_figures ...)
from gapsim.plot import main, run_main  # noqa: E402,F401

if __name__ == "__main__":
    run_main()
