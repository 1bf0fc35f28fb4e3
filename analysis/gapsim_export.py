#!/usr/bin/python3
"""gapsim_export.py FILE.h5 --format csv|json [-o OUT] - tidy tables for spreadsheets
(`gapsim export` runs this).  The work is in the gapsim package (python/gapsim/export.py),
found next to the source tree (<script dir>/../python) or installed on sys.path."""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
for _cand in (os.path.join(_here, "..", "python"), os.path.join(_here, "..", "..", "python")):
    if os.path.isfile(os.path.join(_cand, "gapsim", "__init__.py")):
        sys.path.insert(0, os.path.normpath(_cand))
        break

from gapsim.export import run_main  # noqa: E402

if __name__ == "__main__":
    run_main()
