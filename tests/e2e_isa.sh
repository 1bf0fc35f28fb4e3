#!/usr/bin/env bash
# e2e_isa.sh - every vector instruction set gives the portable run's file bit for bit
# (issue 14): the same runs under GAPSIM_ISA=portable, avx2 and avx512 (skipped, and said
# so, where this CPU lacks one), compared with h5diff (data and every attribute but the
# provenance ones that name the time, the command line, the threads and the ISA: the
# root attribute `isa`, which is checked to name the level that ran).  The runs cover the
# point-valued model (model_record / model_advance), uncertain parameters as columns
# with an uncertain correlation (each trajectory's own Cholesky factor), antithetic
# pairs (mirrored draws), 1 and 2 threads.  Prints "ok N - name" / "not ok N - name".
. tests/lib_e2e.sh

cat >"$TMP/unc.yaml" <<'YAML'
model: 2
name: isa-uncertain
run: {trajectories: 2500, antithetic: true}
capability:
  catch_up: {dist: beta, a: 6, b: 4}
  catch_up_sd: {p5: 0.08, p95: 0.25}
training:
  reinvest: {dist: uniform, min: 0.2, max: 0.6}
pricing:
  competition_exponent: {dist: uniform, min: 0.0, max: 1.0}
demand:
  value_elasticity: {dist: uniform, min: 0.5, max: 1.5}
correlation:
  hardware_power: {dist: uniform, min: 0, max: 0.5}
YAML

# run ISA NAME ARGS...: $TMP/NAME.ISA.h5
run() {
    local isa=$1 name=$2
    shift 2
    GAPSIM_ISA=$isa "$GAPSIM" run -q "$@" -o "$TMP/$name.$isa.h5" >"$TMP/$name.$isa.log" 2>&1
}

# isa_attr FILE ISA: the root attribute `isa` names the level that ran
isa_attr() {
    "$PY" - "$1" "$2" <<'PY'
import sys, h5py
got = h5py.File(sys.argv[1], "r").attrs["isa"]
got = got.decode() if isinstance(got, bytes) else str(got)
if got != sys.argv[2]: sys.exit(f"isa = {got!r}, want {sys.argv[2]!r}")
PY
}


cases() { # ISA: the runs of one instruction set
    run "$1" base scenarios/baseline_point.yaml -n 5000 -t 2 &&
        run "$1" base1 scenarios/baseline.yaml -n 3001 -t 1 --paths 20 &&
        run "$1" unc "$TMP/unc.yaml" -t 2
}

check "portable runs" cases portable
check "the root attribute isa = portable" isa_attr "$TMP/unc.portable.h5" portable
for isa in avx2 avx512; do
    if ! GAPSIM_ISA=$isa "$GAPSIM" run -q scenarios/baseline.yaml -n 10 -o "$TMP/probe.h5" >"$TMP/probe.log" 2>&1; then
        if grep -q "lacks" "$TMP/probe.log"; then
            skip "$isa gives the portable bits" "this CPU lacks $isa: $(head -n 1 "$TMP/probe.log")"
            continue
        fi
    fi
    check "$isa runs" cases "$isa"
    check "the root attribute isa = $isa" isa_attr "$TMP/base.$isa.h5" "$isa"
    for c in base base1 unc; do
        check "$isa = portable: $c" same_file "$TMP/$c.portable.h5" "$TMP/$c.$isa.h5" isa
    done
done

# The check can fail: a different seed gives a different file.
differs() { ! same_file "$TMP/base.portable.h5" "$TMP/other.h5" isa >/dev/null 2>&1; }
check "a different run is told apart" eval 'GAPSIM_ISA=portable "$GAPSIM" run -q scenarios/baseline.yaml -n 5000 --seed 7 -o "$TMP/other.h5" && differs'
# A name the CPU cannot run, or an unknown one, is a usage error with a message.
check "unknown GAPSIM_ISA is refused" exit_code 2 env GAPSIM_ISA=sse9 "$GAPSIM" run -q scenarios/baseline.yaml -n 10 -o "$TMP/x.h5"
