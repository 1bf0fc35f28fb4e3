#!/usr/bin/env bash
# e2e_layers.sh - the shape of the code (README "Code layout"): library files include
# only headers of their own layer or below (tests/check_layers.py), no C source outside
# the parameter table and the model names a parameter (tests/check_params.py), and
# both checks fail on a deliberately broken copy.  Adding a parameter is one line of
# params.def: a copy of the sources with one more line builds, and its `gapsim keys`,
# --set and output file know the new key.
. tests/lib_e2e.sh

check "sim/ includes follow the layer order" "$PY" tests/check_layers.py sim
bad_include() { # engine.h including study.h (a layer above it) must be caught
    cp -r sim "$TMP/sim-bad"
    sed -i 's/^#include "comm.h"$/#include "comm.h"\n#include "study.h"/' "$TMP/sim-bad/engine.h"
    grep -q '"study.h"' "$TMP/sim-bad/engine.h" || { echo "could not plant the include"; return 1; }
    local out
    out=$("$PY" tests/check_layers.py "$TMP/sim-bad") && { echo "not caught"; return 1; }
    echo "$out" | grep -q 'engine.h:[0-9]*: includes "study.h": layer .study. is above .engine.' ||
        { echo "unexpected message: $out"; return 1; }
    rm -rf "$TMP/sim-bad"
}
check "an include of a higher layer is refused, naming file, line and layers" bad_include
unknown_module() {
    cp -r sim "$TMP/sim-new"
    printf '#include "error.h"\n' >"$TMP/sim-new/mystery.c"
    "$PY" tests/check_layers.py "$TMP/sim-new" | grep -q "module 'mystery' is in no layer" || return 1
    rm -rf "$TMP/sim-new"
}
check "a library module missing from the layer list is refused" unknown_module
check "no C source outside params.def, params.c and model.c names a parameter" "$PY" tests/check_params.py .
named_param() {
    mkdir -p "$TMP/root"
    cp -r sim cli "$TMP/root/"
    printf '\nstatic double vol_of(const gs_params *p) { return p->hardware_vol; }\n' >>"$TMP/root/sim/summary.c"
    local out
    out=$("$PY" tests/check_params.py "$TMP/root") && { echo "not caught"; return 1; }
    echo "$out" | grep -q "sim/summary.c:[0-9]*: names the parameter 'hardware_vol'" || { echo "$out"; return 1; }
    rm -rf "$TMP/root"
}
check "a parameter named outside the table and the model is caught" named_param
one_line_param() { # a new parameter: one line of params.def, nothing else
    mkdir -p "$TMP/add"
    cp -r sim cli Makefile "$TMP/add/"
    cat >>"$TMP/add/sim/params.def" <<'DEF'
X(demand_test_knob, "demand.test_knob", "κ_t", "1", 0.25, 0, 1, 0,
  "a parameter added by tests/e2e_layers.sh", "[test]")
DEF
    nice make -C "$TMP/add" -j2 BUILD=build "GIT_REV=test" build/gapsim >"$TMP/add.log" 2>&1 ||
        { tail -n 20 "$TMP/add.log"; return 1; }
    local g=$TMP/add/build/gapsim
    "$g" keys | grep -q '^| demand.test_knob | κ_t | 1 | 0.25 |' || { echo "not in gapsim keys"; return 1; }
    "$g" check scenarios/baseline_point.yaml --set demand.test_knob=0.5 >/dev/null || return 1
    exit_code 2 "$g" check scenarios/baseline_point.yaml --set demand.test_knb=0.5 || return 1
    grep -q "did you mean 'demand.test_knob'" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    "$g" run scenarios/baseline_point.yaml -q -n 1000 --set demand.test_knob=0.5 -o "$TMP/add.h5" || return 1
    h5dump -a /param_demand_test_knob "$TMP/add.h5" | grep -q '0.5' || { echo "no attribute"; return 1; }
    rm -rf "$TMP/add"
}
check "a parameter added as one line of params.def reaches keys, --set, did-you-mean and the file" one_line_param
