#!/usr/bin/env bash
# e2e_upgrade.sh - `gapsim check --upgrade`: real model version 1 scenario files
# (tests/data/v1/, from the repository's history) are refused as they are and rewritten
# for version 2 with their comments kept, the keys whose meaning changed converted or
# annotated and unknown keys commented out; the result checks and runs.  Bad input:
# exit 2, a FILE:LINE message, no output file.  Prints "ok N - name" / "not ok N - name".
# Run from the repository root.
. tests/lib_e2e.sh
V1=tests/data/v1

refused_with_hint() {
    exit_code 2 "$GAPSIM" check "$V1/v1_baseline.yaml" || return 1
    grep -q "model version 1" "$TMP/last.err" && grep -q -- "--upgrade" "$TMP/last.err" ||
        { cat "$TMP/last.err"; return 1; }
}
check "a version 1 file is refused, with the --upgrade hint" refused_with_hint

upgrade_baseline() {
    exit_code 0 "$GAPSIM" check --upgrade "$V1/v1_baseline.yaml" || return 1
    cp "$TMP/last.out" "$TMP/b2.yaml"
    cp "$TMP/last.err" "$TMP/b2.log"
    grep -qx "model: 2" "$TMP/b2.yaml" || { echo "no model: 2 line"; return 1; }
    "$GAPSIM" check "$TMP/b2.yaml"
}
check "check --upgrade writes a version 2 file that checks" upgrade_baseline

comments_kept() { # every comment line of the input is in the output, in order
    grep -E '^\s*#' "$V1/v1_baseline.yaml" >"$TMP/in.c"
    grep -E '^\s*#' "$TMP/b2.yaml" | grep -Fxf "$TMP/in.c" >"$TMP/out.c"
    diff "$TMP/in.c" "$TMP/out.c" || return 1
    # one blank line more (after the model: 2 line)
    [ "$(grep -c '^$' "$TMP/b2.yaml")" -eq $(($(grep -c '^$' "$V1/v1_baseline.yaml") + 1)) ] ||
        { echo "blank lines differ"; return 1; }
    # and every line with a value is kept as it was, but the two converted ones
    grep -vE '^\s*(#|$)' "$V1/v1_baseline.yaml" | grep -vE '^  (budget0|capture):' >"$TMP/in.k"
    grep -Fxf "$TMP/in.k" "$TMP/b2.yaml" | diff "$TMP/in.k" -
}
check "the upgrade keeps the file's comments and lines" comments_kept

converted() { # budget0: all labs' 2.0e10 -> one lab's 2.0e10/3; capture 0.6 x 3^0.5 capped at 1
    grep -qE '^  budget0: 6\.66667e9 +# B₀' "$TMP/b2.yaml" &&
        grep -qE '^  capture: 1 +# γ₀' "$TMP/b2.yaml" &&
        grep -q "training.budget0: converted 2.0e10 -> 6.66667e9" "$TMP/b2.log" &&
        grep -q "pricing.capture: converted 0.6 -> 1 " "$TMP/b2.log" &&
        grep -q "pricing.capture_trend: kept; " "$TMP/b2.log" &&
        grep -q "^  # upgraded from version 1 (2.0e10 -> 6.66667e9)" "$TMP/b2.yaml" ||
        { cat "$TMP/b2.log"; return 1; }
}
check "training.budget0 and pricing.capture are converted, with comments and a log" converted

check "the upgraded version 1 baseline runs" \
    "$GAPSIM" run "$TMP/b2.yaml" -n 200 -q -o "$TMP/b2.h5"

to_file() {
    exit_code 0 "$GAPSIM" check --upgrade "$V1/v1_baseline.yaml" -o "$TMP/b2o.yaml" || return 1
    [ ! -s "$TMP/last.out" ] && cmp "$TMP/b2o.yaml" "$TMP/b2.yaml" &&
        grep -q "wrote $TMP/b2o.yaml" "$TMP/last.err"
}
check "-o FILE writes the same text (stdout stays empty)" to_file

distribution_by_hand() {
    exit_code 0 "$GAPSIM" check --upgrade "$V1/v1_uncertain.yaml" -o "$TMP/u2.yaml" || return 1
    grep -q "pricing.capture: kept; its meaning changed" "$TMP/last.err" &&
        grep -q "convert it by hand" "$TMP/u2.yaml" &&
        grep -q "^  capture: {dist: triangular, min: 0.3, mode: 0.6, max: 0.9}" "$TMP/u2.yaml" &&
        "$GAPSIM" check "$TMP/u2.yaml"
}
check "a distribution of a converted key is kept and marked to convert by hand" distribution_by_hand

sweep_kept() {
    exit_code 0 "$GAPSIM" check --upgrade "$V1/v1_phase_sweep.yaml" -o "$TMP/p2.yaml" || return 1
    diff <(grep -v '^#\|^model: 2$\|^$' "$TMP/p2.yaml") <(grep -v '^#\|^$' "$V1/v1_phase_sweep.yaml") &&
        "$GAPSIM" check "$TMP/p2.yaml"
}
check "a version 1 sweep (keys of unchanged meaning) gains only model: 2" sweep_kept

cat >"$TMP/odd.yaml" <<'Y'
# a hand-written version 1 file
name: odd
training:
  budget0: 3.0e10     # all labs
  moonshot: 0.5       # not a key
sweep:
  grid:
    training.budget0: [1.5e10, 3e10]
  metric: premium
legacy:
  knob: 1
Y
odd() {
    exit_code 0 "$GAPSIM" check --upgrade "$TMP/odd.yaml" -o "$TMP/odd2.yaml" || return 1
    grep -q "^  # moonshot: 0.5       # not a key" "$TMP/odd2.yaml" &&
        grep -q "^# legacy:" "$TMP/odd2.yaml" && grep -q "^  # knob: 1" "$TMP/odd2.yaml" &&
        grep -q "training.moonshot: dropped (is not a key of model version 2)" "$TMP/last.err" &&
        grep -q "legacy: dropped (is not a section of model version 2)" "$TMP/last.err" &&
        grep -qF "training.budget0: [5e9, 1e10]" "$TMP/odd2.yaml" &&
        grep -qE "^  budget0: 1e10 +# all labs" "$TMP/odd2.yaml" &&
        "$GAPSIM" check "$TMP/odd2.yaml" || { cat "$TMP/odd2.yaml" "$TMP/last.err"; return 1; }
}
check "unknown keys and sections are commented out, a sweep list is converted" odd

already() {
    exit_code 2 "$GAPSIM" check --upgrade scenarios/baseline.yaml -o "$TMP/no.yaml" || return 1
    grep -q "^gapsim: scenarios/baseline.yaml:[0-9]*: model: .*version 2 already" "$TMP/last.err" &&
        [ ! -e "$TMP/no.yaml" ]
}
check "a version 2 file is not upgraded (exit 2, no output file)" already

bad_yaml() {
    printf 'name: x\ntraining: {budget0: [1,\n' >"$TMP/bad.yaml"
    exit_code 2 "$GAPSIM" check --upgrade "$TMP/bad.yaml" -o "$TMP/no.yaml" || return 1
    grep -q "^gapsim: $TMP/bad.yaml:[0-9]*: " "$TMP/last.err" && [ ! -e "$TMP/no.yaml" ]
}
check "bad YAML: exit 2, FILE:LINE message, no output file" bad_yaml

check "-o without --upgrade is a usage error" exit_code 2 "$GAPSIM" check scenarios/baseline.yaml -o "$TMP/x.yaml"
check "--upgrade with --set is a usage error" \
    exit_code 2 "$GAPSIM" check --upgrade "$V1/v1_baseline.yaml" --set hardware.vol=0.3
