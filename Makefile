# gapsim - plain Makefile.  `make help` lists the targets.
#
# Switches:  SANITIZE=address,undefined   build everything with sanitizers (into build-san/)
#            MPI=1                        OpenMPI + parallel HDF5 (into build-mpi/)
#            NATIVE=1                     add -march=native
#            PREFIX=/usr/local DESTDIR=   for `make install`

VERSION  := 0.1.0
GIT_REV  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
PY       := /usr/bin/python3

CC       ?= cc
CXX      ?= c++
BUILD    ?= build
OPT      ?= -O2 -fno-trapping-math
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
            -Wformat=2 -Wvla -Wconversion -Wdouble-promotion -Werror
HDF5_CFLAGS := $(shell pkg-config --cflags hdf5-serial 2>/dev/null)
HDF5_LIBS   := $(shell pkg-config --libs hdf5-serial 2>/dev/null) -lhdf5_hl
ifeq ($(HDF5_LIBS),-lhdf5_hl)
HDF5_CFLAGS := -I/usr/include/hdf5/serial
HDF5_LIBS   := -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -lhdf5_hl
endif
# MPI=1: OpenMPI and Debian's parallel HDF5 (libhdf5-openmpi-dev), built into build-mpi/.
# The default build stays serial and needs neither.
ifdef MPI
CC          := mpicc
BUILD       := build-mpi
HDF5_CFLAGS := $(shell pkg-config --cflags hdf5-openmpi) -DGAPSIM_MPI
HDF5_LIBS   := $(shell pkg-config --libs hdf5-openmpi) -lhdf5_hl
endif

CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c17 -fopenmp -fno-math-errno $(WARN) $(HDF5_CFLAGS) \
            -DGAPSIM_VERSION='"$(VERSION)"' -DGAPSIM_GIT='"$(GIT_REV)"'
LDLIBS   += $(HDF5_LIBS) -lgsl -lgslcblas -lyaml -lnettle -lm
LDFLAGS  += -fopenmp

ifdef NATIVE
CFLAGS   += -march=native
endif
ifdef SANITIZE
BUILD    := build-san
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# The library is sim/*.c; the command-line program is cli/*.c on top of it.
CLI_SRC  := $(wildcard cli/*.c)
LIB_SRC  := $(wildcard sim/*.c)
LIB_OBJ  := $(LIB_SRC:sim/%.c=$(BUILD)/sim/%.o)
CLI_OBJ  := $(CLI_SRC:cli/%.c=$(BUILD)/cli/%.o)
LIB      := $(BUILD)/libgapsim.a
BIN      := $(BUILD)/gapsim
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all run test check test-long bench clean install uninstall deps help
all: $(BIN) ## build build/gapsim (BUILD=DIR: DIR/gapsim; the default target)

# `make help` lists every target: the ones with a '## ' note on their rule line with it,
# and any other .PHONY target (so none can be missing from the list).
help: ## this list
	@echo "usage: make [TARGET] [SANITIZE=address,undefined] [MPI=1] [NATIVE=1] [PREFIX=DIR] [DESTDIR=DIR]"
	@awk '/^\.PHONY:/ { sub(/^\.PHONY: */, ""); n = split($$0, t, " "); \
	          for (i = 1; i <= n; i++) phony[t[i]] = 1; next } \
	      /^[a-zA-Z0-9_][a-zA-Z0-9_ -]*:.*## / { i = index($$0, ":"); name = substr($$0, 1, i - 1); \
	          j = index($$0, "## "); doc[++k] = substr($$0, j + 3); order[k] = name; \
	          m = split(name, t, " "); for (i = 1; i <= m; i++) done[t[i]] = 1; next } \
	      END { for (i = 1; i <= k; i++) printf "  make %-16s %s\n", order[i], doc[i]; \
	            for (t2 in phony) if (!(t2 in done)) printf "  make %-16s (see the Makefile)\n", t2 }' \
	    $(MAKEFILE_LIST)

deps: ## install the Debian packages gapsim needs (root; .ci/install-deps)
	bash .ci/install-deps

$(BUILD)/sim/%.o: sim/%.c $(wildcard sim/*.h sim/*.def) | $(BUILD)/sim
	$(CC) $(CFLAGS) -c $< -o $@

# Kernels with AVX2 / AVX-512 versions chosen at run time (issue 14, sim/isa.h): no
# contraction into fused multiply-adds, so every version computes the portable bits.
$(BUILD)/sim/rng_block.o $(BUILD)/sim/vmath_array.o $(BUILD)/sim/model.o: CFLAGS += -ffp-contract=off

$(BUILD)/cli/%.o: cli/%.c $(wildcard cli/*.h sim/*.h sim/*.def) | $(BUILD)/cli
	$(CC) $(CFLAGS) -Isim -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(CLI_OBJ) $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/test_%: tests/test_%.c tests/testutil.h $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

# The command-line parser's test links the CLI sources but main.c (whose commands it stubs).
CLI_PARSE_OBJ := $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
$(BUILD)/tests/test_cli: tests/test_cli.c tests/fuzz/fuzz_cli.c tests/testutil.h $(CLI_PARSE_OBJ) $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isim -Icli $< $(CLI_PARSE_OBJ) $(LIB) -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

# The reference generator, from Debian's libpcg-cpp-dev, for the bit-exact PCG test.
$(BUILD)/tests/pcg_ref: tests/pcg_ref.cpp | $(BUILD)/tests
	$(CXX) -std=c++17 -O2 $< -o $@

$(BUILD)/sim $(BUILD)/cli $(BUILD)/tests:
	mkdir -p $@

run: $(BIN) ## run scenarios/baseline.yaml and print its summary
	mkdir -p output
	$(BIN) run scenarios/baseline.yaml

test check: $(BIN) $(TEST_BIN) $(BUILD)/tests/pcg_ref ## build and run every test (unit, statistical, end-to-end), a few minutes
	BUILD=$(BUILD) PY=$(PY) bash tests/run_tests.sh

# The long tier: the high-N statistical checks of tests/long/*.sh, kept out of make test.
test-long: $(BIN) ## the long tier: high-N statistical checks (tests/long/), about 10 minutes
	BUILD=$(BUILD) PY=$(PY) TIER=long bash tests/run_tests.sh

$(BUILD)/bench_rng: tests/bench/bench_rng.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_rng_block: tests/bench/bench_rng_block.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_stats: tests/bench/bench_stats.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_columns: tests/bench/bench_columns.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

bench: $(BIN) $(BUILD)/bench_rng $(BUILD)/bench_floor $(BUILD)/bench_rng_block $(BUILD)/bench_columns $(BUILD)/bench_stats ## performance figures (tests/bench/)
	BUILD=$(BUILD) bash tests/bench/bench.sh
	BUILD=$(BUILD) bash tests/bench/bench_sweep.sh
	BUILD=$(BUILD) bash tests/bench/bench_model2.sh
	BUILD=$(BUILD) bash tests/bench/bench_history.sh

# --- installation (issue 15) --------------------------------------------------------
# PREFIX/bin/gapsim; PREFIX/share/gapsim/{analysis,python,scenarios} (the layout of the
# source tree, so the scripts find the package beside them for any PREFIX, and gapsim
# puts share/gapsim/python on their PYTHONPATH); the man page and the bash completion,
# both written by the binary from its usage texts; and a gapsim.pth in PYSITE that puts
# the package on the path of $(PY) (for PREFIX=/usr/local, PYSITE is on it already).
PREFIX  ?= /usr/local
PYVER   := $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYSITE  ?= $(PREFIX)/lib/python$(PYVER)/dist-packages
SHARE   := $(PREFIX)/share/gapsim
MAN1    := $(PREFIX)/share/man/man1
BASHCOMP := $(PREFIX)/share/bash-completion/completions
PY_PKG  := $(shell find python/gapsim -name '*.py' 2>/dev/null | sort)

$(BUILD)/gapsim.1: $(BIN)
	$(BIN) help --man >$@.tmp && mv $@.tmp $@
$(BUILD)/gapsim.bash-completion: $(BIN)
	$(BIN) help --bash-completion >$@.tmp && mv $@.tmp $@

install: $(BIN) $(BUILD)/gapsim.1 $(BUILD)/gapsim.bash-completion ## install into DESTDIR+PREFIX, default /usr/local (binary, scripts, package, scenarios, man page, completion)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHARE)/analysis $(DESTDIR)$(SHARE)/scenarios \
	    $(DESTDIR)$(MAN1) $(DESTDIR)$(BASHCOMP)
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/gapsim
	install -m 644 $(wildcard analysis/*.py) $(DESTDIR)$(SHARE)/analysis/
	install -m 644 scenarios/*.yaml $(DESTDIR)$(SHARE)/scenarios/
	install -d $(DESTDIR)$(SHARE)/scenarios/history
	install -m 644 scenarios/history/*.yaml $(DESTDIR)$(SHARE)/scenarios/history/
	install -m 644 $(BUILD)/gapsim.1 $(DESTDIR)$(MAN1)/gapsim.1
	install -m 644 $(BUILD)/gapsim.bash-completion $(DESTDIR)$(BASHCOMP)/gapsim
	$(if $(PY_PKG),for f in $(PY_PKG); do install -D -m 644 "$$f" "$(DESTDIR)$(SHARE)/$$f" || exit 1; done)
	$(if $(PY_PKG),install -d $(DESTDIR)$(PYSITE) && echo "$(SHARE)/python" >$(DESTDIR)$(PYSITE)/gapsim.pth)

uninstall: ## remove what make install installed (same PREFIX and DESTDIR)
	rm -f $(DESTDIR)$(PREFIX)/bin/gapsim $(DESTDIR)$(MAN1)/gapsim.1 $(DESTDIR)$(BASHCOMP)/gapsim \
	    $(DESTDIR)$(PYSITE)/gapsim.pth
	rm -rf $(DESTDIR)$(SHARE)

# Every build directory (build, build-san, build-mpi, any other build-* or BUILD=, with
# the fuzz targets and corpora in them) and the Python caches.  Results in output/ stay.
clean: ## remove every build directory and the Python caches
	rm -rf build build-* $(BUILD)
	find analysis python tests -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
	rm -rf python/*.egg-info *.egg-info

# --- fuzzing (libFuzzer, clang; Debian's clang and libclang-rt-14-dev) -----------------
# make fuzz FUZZ_SECONDS=600 runs the scenario-loader fuzzer seeded with scenarios/ and
# tests/data/bad/; new crashes land in tests/fuzz/regressions/ (commit them: make test
# replays them).
FUZZ_SECONDS ?= 120
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp=libgomp -Isim \
                $(HDF5_CFLAGS) -DGAPSIM_VERSION='"$(VERSION)"' -DGAPSIM_GIT='"$(GIT_REV)"'
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard sim/*.h sim/*.def cli/*.c cli/*.h)
	@mkdir -p $(BUILD)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< $(LIB_SRC) $(if $(findstring cli,$*),-Icli $(filter cli/cli_%,$(CLI_SRC))) \
	    -o $@ $(HDF5_LIBS) -lgsl -lgslcblas -lyaml -lnettle -lm

# The scenario loader (seeded with the scenarios and the malformed files) and the
# command-line parser (seeded with tests/fuzz/cli-seeds/), FUZZ_SECONDS each.
.PHONY: fuzz
fuzz: $(BUILD)/fuzz_scenario $(BUILD)/fuzz_cli ## run the libFuzzer targets, FUZZ_SECONDS each (clang)
	mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-cli-corpus
	cp scenarios/*.yaml tests/data/bad/*.yaml tests/data/v1/*.yaml $(BUILD)/fuzz-corpus/
	cp tests/fuzz/cli-seeds/* $(BUILD)/fuzz-cli-corpus/
	$(BUILD)/fuzz_scenario -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 \
	    -artifact_prefix=tests/fuzz/regressions/ $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_cli -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=5 -close_fd_mask=3 \
	    -artifact_prefix=tests/fuzz/regressions-cli/ $(BUILD)/fuzz-cli-corpus

# make fuzz-long FUZZ_LONG_SECONDS=600: every target (also the result-file reader and the
# --shard partial-file reader, seeded with real and damaged files) for that long each,
# then one line per target with its executions and findings (tests/fuzz/fuzz_long.sh).
FUZZ_LONG_SECONDS ?= 600
.PHONY: fuzz-long
fuzz-long: $(BIN) $(BUILD)/fuzz_scenario $(BUILD)/fuzz_cli $(BUILD)/fuzz_h5in $(BUILD)/fuzz_partial
	BUILD=$(BUILD) PY=$(PY) SECONDS_EACH=$(FUZZ_LONG_SECONDS) bash tests/fuzz/fuzz_long.sh

# --- analysis (issue 5): `gapsim plot` and `gapsim report` run the Python scripts of
# analysis/; the binary finds them next to itself (<bin>/../share/gapsim/analysis or
# <bin>/../analysis), else at these compile-time paths, else via $GAPSIM_ANALYSIS_DIR.
$(BUILD)/cli/cli_tools.o: CFLAGS += -DGAPSIM_SOURCE_ANALYSIS='"$(CURDIR)/analysis"' \
                                    -DGAPSIM_DATADIR='"$(PREFIX)/share/gapsim"'

.PHONY: figures labels
# The words and units of every key and variable for the figures, from params.def and
# model.h (tests/e2e_readers.sh fails when the committed file is out of date).
labels: ## regenerate python/gapsim/labels.py from params.def and model.h
	$(PY) python/tools/gen_labels.py . > python/gapsim/labels.py.tmp && \
	    mv python/gapsim/labels.py.tmp python/gapsim/labels.py

# The README's figures: the baseline scenario, small PNGs in docs/figures/.
figures: $(BIN) ## the README's figures (docs/figures/)
	mkdir -p docs/figures
	$(BIN) run scenarios/baseline.yaml -q -o $(BUILD)/baseline.h5
	$(PY) analysis/gapsim_plot.py $(BUILD)/baseline.h5 -o docs/figures --format png --dpi 72

# --- performance (issue 6): the floor micro-benchmark, built with the same flags, is
# part of `make bench` (tests/bench/bench.sh).
$(BUILD)/bench_floor: tests/bench/bench_floor.c sim/vmath.h $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

# --- sweeps and sensitivity (issue 3): a 100-point sweep of 100,000 trajectories each
# and a Sobol-index run, with point-runs per minute (tests/bench/bench_sweep.sh).
.PHONY: bench-sweep
bench-sweep: $(BIN) ## the sweep and Sobol benchmark alone
	BUILD=$(BUILD) bash tests/bench/bench_sweep.sh

# --- streaming mode (issue 14): 10^8 trajectories x 20 cycles under --memory 4G (many
# minutes; `make bench` runs it only with BENCH_STREAM=1).
.PHONY: bench-stream
bench-stream: $(BIN) ## streaming mode: 10^8 trajectories under --memory 4G (wall, passes, peak RSS)
	BUILD=$(BUILD) bash tests/bench/bench_stream.sh
.PHONY: bench-stream-if-asked
bench-stream-if-asked: $(BIN)
	@if [ "$${BENCH_STREAM:-0}" = 1 ]; then BUILD=$(BUILD) bash tests/bench/bench_stream.sh; fi
bench: bench-stream-if-asked

# --- beyond one machine (issue 4): MPI tests and scaling figures of the MPI build.
# `make MPI=1 test-mpi` builds build-mpi/gapsim and runs tests/e2e_mpi.sh, e2e_history.sh and
# e2e_discover.sh with it (their 2-rank checks need the MPI build; the
# serial `make test` runs the same script's shard/merge checks, and its mpirun checks
# when build-mpi/gapsim exists); `make MPI=1 bench-mpi` prints strong and weak scaling
# for 1, 2 and 3 ranks (tests/bench/bench_mpi.sh).
.PHONY: test-mpi bench-mpi
test-mpi: $(BIN) ## with MPI=1: the MPI tests (tests/e2e_mpi.sh; history matching and discovery on 2 ranks)
	@out=$$(for t in tests/e2e_mpi.sh tests/e2e_history.sh tests/e2e_discover.sh; do \
	    echo "== $$t"; BUILD=$(BUILD) MPI_GAPSIM=$(abspath $(BIN)) bash $$t 2>&1; done); echo "$$out"; \
	p=$$(echo "$$out" | grep -c '^ok '); f=$$(echo "$$out" | grep -c '^not ok '); \
	echo "$$p passed, $$f failed"; [ "$$f" -eq 0 ]
bench-mpi: $(BIN) ## with MPI=1: strong and weak scaling, 1-3 ranks
	BUILD=$(BUILD) bash tests/bench/bench_mpi.sh

# --- scenario discovery (issue 13): the PRIM test helper (tests/e2e_prim.sh compares it
# with the NumPy PRIM of tests/prim_reference.py) and the PRIM benchmark.
$(BUILD)/tests/prim_tool: tests/prim_tool.c $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)
test check: $(BUILD)/tests/prim_tool
$(BUILD)/bench_prim: tests/bench/bench_prim.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)
.PHONY: bench-prim
bench-prim: $(BUILD)/bench_prim ## PRIM discovery time, 10^6 rows x 20 parameters
	$(BUILD)/bench_prim 1000000 20 15
bench: bench-prim
.PHONY: bench-discover
bench-discover: $(BIN) ## gapsim discover time, 10^6 trajectories x 20 parameters, by cycle
	BUILD=$(BUILD) bash tests/bench/bench_discover.sh
bench: bench-discover
# PRIM over MPI ranks: make MPI=1 build-mpi/tests/prim_mpi (tests/e2e_prim.sh runs it under
# mpirun -np 2 when it exists).
$(BUILD)/tests/prim_mpi: tests/prim_mpi.c $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)
