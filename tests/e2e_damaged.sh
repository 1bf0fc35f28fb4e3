#!/usr/bin/env bash
# e2e_damaged.sh - every result-file reader (summary, compare, plot, report, merge)
# refuses a file in which ONE attribute or dataset has the wrong type or shape: exit 2,
# one line naming the file and the item, nothing written.  The damaged files are made
# with h5py from a real result, one item at a time (tests/damage_files.py).
# Prints "ok N - name" / "not ok N - name".  Run from the repository root.
. tests/lib_e2e.sh
S=scenarios/baseline_point.yaml
"$GAPSIM" run $S -q -n 2000 -o "$TMP/good.h5" &&
    "$GAPSIM" run $S -q -n 2000 --shard 0/2 -o "$TMP/p0.h5" &&
    "$GAPSIM" run $S -q -n 2000 --shard 1/2 -o "$TMP/p1.h5" || echo "not ok 0 - setup failed"
"$PY" tests/damage_files.py "$TMP/good.h5" "$TMP/bad" result >"$TMP/result.list" &&
    "$PY" tests/damage_files.py "$TMP/p1.h5" "$TMP/badp" partial >"$TMP/partial.list" ||
    echo "not ok 0 - damage_files.py failed"

# refused FILE ITEM COMMAND...: exit 2, one line, naming FILE and ITEM
refused() {
    local file=$1 item=$2
    shift 2
    exit_code 2 "$@" || return 1
    [ "$(wc -l <"$TMP/last.err")" -eq 1 ] || { echo "not one line:"; cat "$TMP/last.err"; return 1; }
    grep -qF "$file" "$TMP/last.err" && grep -qF "$item" "$TMP/last.err" ||
        { echo "message lacks the file or '$item':"; cat "$TMP/last.err"; return 1; }
}

every_file() { # every_file LIST READER: READER on each damaged file of LIST
    local list=$1 reader=$2 f item failed=0
    while read -r f item; do
        case $reader in
        summary) refused "$f" "$item" "$GAPSIM" summary "$f" ;;
        compare) refused "$f" "$item" "$GAPSIM" compare "$TMP/good.h5" "$f" ;;
        merge) rm -f "$TMP/m.h5"
               refused "$f" "$item" "$GAPSIM" merge -o "$TMP/m.h5" "$TMP/p0.h5" "$f" &&
                   [ ! -e "$TMP/m.h5" ] ;;
        esac || { echo "  ^ $(basename "$f")"; failed=$((failed + 1)); }
    done <"$list"
    [ "$failed" -eq 0 ] || { echo "$failed of $(wc -l <"$list") damaged files accepted or badly reported"; return 1; }
    [ "$(wc -l <"$list")" -ge 8 ] || { echo "too few damaged files"; return 1; }
}
check "summary refuses each damaged result file (one item of the wrong type or shape)" every_file "$TMP/result.list" summary
check "compare refuses each damaged result file" every_file "$TMP/result.list" compare
check "merge refuses each damaged partial file" every_file "$TMP/partial.list" merge

python_reader() { # gapsim_io.open_result, what plot and report read files with
    "$PY" - "$TMP/result.list" <<'EOF'
import sys
sys.path.insert(0, "analysis")
import gapsim_io as gio
bad = 0
for line in open(sys.argv[1]):
    path, item = line.split()
    try:
        gio.open_result(path)
        print(f"accepted: {path}"); bad += 1
    except gio.GapsimFileError as e:
        msg = str(e)
        if path not in msg or "\n" in msg:
            print(f"badly reported: {msg}"); bad += 1
sys.exit(1 if bad else 0)
EOF
}
check "the Python reader (plot, report) refuses each damaged result file" python_reader

# plot and report end to end: a missing variable or a changed scenario_text is refused
# with exit 2 and nothing written (before, plot left the figure out and exited 0)
tools_refuse() { # tools_refuse CASE
    "$PY" - "$TMP/good.h5" "$TMP/t_$1.h5" "$1" <<'EOF' || return 1
import shutil, sys, h5py
good, out, case = sys.argv[1:]
shutil.copy(good, out)
with h5py.File(out, "a") as f:
    if case == "missing":
        del f["lag_months_quantile"]
    else:
        f.attrs["scenario_text"] = f.attrs["scenario_text"] + b"\n# changed\n"
EOF
    local d="$TMP/out_$1"
    mkdir -p "$d"
    exit_code 2 "$GAPSIM" plot "$TMP/t_$1.h5" -o "$d" || return 1
    grep -q "t_$1.h5" "$TMP/last.err" || { cat "$TMP/last.err"; return 1; }
    exit_code 2 "$GAPSIM" report "$TMP/t_$1.h5" -o "$d/r.html" || return 1
    [ -z "$(ls -A "$d")" ] || { echo "output written:"; ls -a "$d"; return 1; }
    exit_code 2 "$GAPSIM" summary "$TMP/t_$1.h5"
}
check "plot, report and summary refuse a result missing a variable (no partial output)" tools_refuse missing
check "plot, report and summary refuse a scenario_text that contradicts scenario_sha256" tools_refuse changed

report_full_disk() { # one clear line and no out.html.tmp (was "OSError: [Errno 28]" and a .tmp)
    mkdir -p "$TMP/full"
    if ! mount -t tmpfs -o size=64k tmpfs "$TMP/full" 2>/dev/null; then
        echo "cannot mount a tmpfs here (not root?): skipped"
        return 0
    fi
    "$GAPSIM" report "$TMP/good.h5" -o "$TMP/full/out.html" 2>"$TMP/err"
    local rc=$?
    umount "$TMP/full"
    [ "$rc" -eq 1 ] || { echo "exit $rc"; cat "$TMP/err"; return 1; }
    [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "writing $TMP/full/out.html: No space left on device" "$TMP/err" ||
        { cat "$TMP/err"; return 1; }
}
check "report on a full disk: one line naming the file and the cause, no .tmp left" report_full_disk

plot_sigterm() { # SIGTERM to gapsim plot: not exit 0, no figure replaced, no temporary file
    local d="$TMP/plot_term"
    mkdir -p "$d"
    # a high resolution and three formats keep it saving for a while; the signal goes
    # once the first temporary figure exists (the handler is installed, the figures
    # are being written), not after a fixed sleep a fast machine outruns
    "$GAPSIM" plot "$TMP/good.h5" -o "$d" --format png,svg,pdf --dpi 600 >/dev/null 2>"$TMP/err" &
    local pid=$! i
    for ((i = 0; i < 6000; i++)); do
        compgen -G "$d/.*.tmp.*" >/dev/null && break
        kill -0 $pid 2>/dev/null || { echo "plot ended before it wrote a temporary figure"; cat "$TMP/err"; return 1; }
        sleep 0.01
    done
    local t0 rc ms
    t0=$(date +%s%N)
    kill -TERM $pid
    wait $pid
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$rc" -eq 143 ] || { echo "exit $rc, wanted 143"; cat "$TMP/err"; return 1; }
    [ -z "$(ls -A "$d")" ] || { echo "files left:"; ls -a "$d"; return 1; }
    [ "$ms" -lt 20000 ] || { echo "took $ms ms"; return 1; }
}
check "gapsim plot given SIGTERM exits 143 and writes nothing (it ignored SIGTERM)" plot_sigterm
