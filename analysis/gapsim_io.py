"""gapsim_io.py - opens a gapsim result file for the analysis scripts, with clear errors.

The code is the gapsim package's (python/gapsim/_io.py: the contents check, atomic
outputs, SIGINT/SIGTERM handling, one-line errors); this module finds the package next
to the source tree (<script dir>/../python) or installed on sys.path and re-exports
every name of it, so `import gapsim_io as gio` keeps working for the scripts.

Every problem with the file becomes a GapsimFileError whose text is one line
"PATH: problem" (the same wording as the C reader, sim/h5in.c); run_main turns it
into that line on stderr and exit status 2, never a traceback.
"""
import os
import sys


def _package():
    """The gapsim package (python/gapsim next to the source tree, or installed)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "python"), os.path.join(here, "..", "..", "python")):
        if os.path.isfile(os.path.join(cand, "gapsim", "__init__.py")):
            if os.path.normpath(cand) not in sys.path:
                sys.path.insert(0, os.path.normpath(cand))
            break
    import gapsim
    return gapsim


_package()
from gapsim import _io as _impl  # noqa: E402

globals().update({k: v for k, v in vars(_impl).items()
                  if not (k.startswith("__") and k.endswith("__"))})
