#!/usr/bin/env bash
# e2e_install.sh - make install into a temporary prefix (and with DESTDIR), then run,
# plot and report with the installed program from another directory, the man page, the
# completion and the Python package's path; make uninstall leaves no file behind.
# Prints "ok N - name" / "not ok N - name".  Run from the repository root.
. tests/lib_e2e.sh
P="$TMP/prefix"
SRC=$PWD

installed() {
    make -s install BUILD="$BUILD" PREFIX="$P" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; return 1; }
    local f
    for f in bin/gapsim share/gapsim/analysis/gapsim_plot.py share/gapsim/analysis/gapsim_report.py \
        share/gapsim/analysis/gapsim_io.py share/gapsim/scenarios/baseline_point.yaml \
        share/man/man1/gapsim.1 share/bash-completion/completions/gapsim; do
        [ -s "$P/$f" ] || { echo "missing $P/$f"; return 1; }
    done
    [ -x "$P/bin/gapsim" ]
}
check "make install PREFIX=tmp installs binary, scripts, scenarios, man page, completion" installed

from_elsewhere() { # the installed binary, run from a directory outside the source tree
    mkdir -p "$TMP/work" && cd "$TMP/work" || return 1
    env -u GAPSIM_ANALYSIS_DIR "$P/bin/gapsim" run "$P/share/gapsim/scenarios/baseline_point.yaml" \
        -q -n 2000 -o base.h5 || return 1
    env -u GAPSIM_ANALYSIS_DIR "$P/bin/gapsim" summary base.h5 | grep -q 'P(compound)' || return 1
}
check "installed gapsim runs a shipped scenario from another directory" from_elsewhere

if ! "$PY" -c 'import matplotlib, xarray, h5py' 2>/dev/null; then
    skip "installed plot and report" "no matplotlib/xarray/h5py for $PY"
else
    plot_report() {
        cd "$TMP/work" || return 1
        # the source tree must not be what is used: hide it from the installed scripts
        env -u GAPSIM_ANALYSIS_DIR "$P/bin/gapsim" plot base.h5 -o figs --format png --dpi 50 \
            >plot.out 2>&1 || { cat plot.out; return 1; }
        ls figs/*.png >/dev/null 2>&1 || { echo "no figures"; return 1; }
        env -u GAPSIM_ANALYSIS_DIR "$P/bin/gapsim" report base.h5 -o base.html >rep.out 2>&1 ||
            { cat rep.out; return 1; }
        grep -qi "<html" base.html
    }
    check "installed plot and report work from another directory" plot_report
fi

man_installed() {
    if command -v man >/dev/null && man -l "$P/share/man/man1/gapsim.1" >/dev/null 2>&1; then
        MANPATH="$P/share/man" man gapsim 2>/dev/null | grep -q "merge"
    else
        grep -q '^\.TH GAPSIM 1' "$P/share/man/man1/gapsim.1"
    fi
}
check "the installed man page opens (man gapsim with MANPATH)" man_installed
check "the installed completion defines _gapsim for gapsim" bash -c \
    ". '$P/share/bash-completion/completions/gapsim' && complete -p gapsim | grep -q _gapsim"

if [ -d python/gapsim ]; then
    package_path() { # gapsim.pth in PYSITE points at share/gapsim/python
        local site
        site=$(ls -d "$P"/lib/python3*/dist-packages 2>/dev/null | head -n 1)
        [ -s "$site/gapsim.pth" ] || { echo "no gapsim.pth under $P/lib"; return 1; }
        (cd "$TMP" && "$PY" -c "import site; site.addsitedir('$site'); import gapsim; print(gapsim.__file__)") \
            >"$TMP/pkg.out" || return 1
        grep -q "^$P/share/gapsim/python/gapsim/" "$TMP/pkg.out" || { cat "$TMP/pkg.out"; return 1; }
    }
    check "the Python package is installed and found through gapsim.pth" package_path
else
    skip "the Python package is installed and found through gapsim.pth" "no python/gapsim"
fi

staged() { # DESTDIR stages the same tree under DESTDIR, with PREFIX paths inside
    cd "$SRC" || return 1
    make -s install BUILD="$BUILD" PREFIX=/opt/gapsim DESTDIR="$TMP/stage" >/dev/null 2>&1 || return 1
    [ -x "$TMP/stage/opt/gapsim/bin/gapsim" ] && [ -s "$TMP/stage/opt/gapsim/share/man/man1/gapsim.1" ] ||
        return 1
    make -s uninstall BUILD="$BUILD" PREFIX=/opt/gapsim DESTDIR="$TMP/stage" >/dev/null 2>&1 || return 1
    [ -z "$(find "$TMP/stage" -type f)" ] || { find "$TMP/stage" -type f; return 1; }
}
check "make install/uninstall with DESTDIR" staged

uninstalled() {
    cd "$SRC" || return 1
    make -s uninstall BUILD="$BUILD" PREFIX="$P" >/dev/null 2>&1 || return 1
    [ -z "$(find "$P" -type f)" ] || { echo "left behind:"; find "$P" -type f; return 1; }
}
check "make uninstall removes every installed file" uninstalled
