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
            -Wformat=2 -Wvla -Werror
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
LDLIBS   += $(HDF5_LIBS) -lgsl -lgslcblas -lyaml -lm
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

.PHONY: all run test check bench clean install deps help
all: $(BIN)

help:
	@echo "make            build $(BIN)"
	@echo "make deps       install the Debian packages gapsim needs (root)"
	@echo "make run        run scenarios/baseline.yaml and print its summary"
	@echo "make test       build and run every test (unit, statistical, end-to-end)"
	@echo "make bench      performance figures"
	@echo "make install    install the binary into \$$(DESTDIR)\$$(PREFIX)/bin"

deps:
	bash .ci/install-deps

$(BUILD)/sim/%.o: sim/%.c $(wildcard sim/*.h sim/*.def) | $(BUILD)/sim
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/cli/%.o: cli/%.c $(wildcard cli/*.h sim/*.h sim/*.def) | $(BUILD)/cli
	$(CC) $(CFLAGS) -Isim -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(CLI_OBJ) $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/test_%: tests/test_%.c tests/testutil.h $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

# The reference generator, from Debian's libpcg-cpp-dev, for the bit-exact PCG test.
$(BUILD)/tests/pcg_ref: tests/pcg_ref.cpp | $(BUILD)/tests
	$(CXX) -std=c++17 -O2 $< -o $@

$(BUILD)/sim $(BUILD)/cli $(BUILD)/tests:
	mkdir -p $@

run: $(BIN)
	mkdir -p output
	$(BIN) run scenarios/baseline.yaml

test check: $(BIN) $(TEST_BIN) $(BUILD)/tests/pcg_ref
	BUILD=$(BUILD) PY=$(PY) bash tests/run_tests.sh

$(BUILD)/bench_rng: tests/bench/bench_rng.c $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

bench: $(BIN) $(BUILD)/bench_rng $(BUILD)/bench_floor
	BUILD=$(BUILD) bash tests/bench/bench.sh
	BUILD=$(BUILD) bash tests/bench/bench_sweep.sh

PREFIX  ?= /usr/local
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/gapsim

clean:
	rm -rf build build-san

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
	    -o $@ $(HDF5_LIBS) -lgsl -lgslcblas -lyaml -lm

# The scenario loader (seeded with the scenarios and the malformed files) and the
# command-line parser (seeded with tests/fuzz/cli-seeds/), FUZZ_SECONDS each.
.PHONY: fuzz
fuzz: $(BUILD)/fuzz_scenario $(BUILD)/fuzz_cli
	mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-cli-corpus
	cp scenarios/*.yaml tests/data/bad/*.yaml $(BUILD)/fuzz-corpus/
	cp tests/fuzz/cli-seeds/* $(BUILD)/fuzz-cli-corpus/
	$(BUILD)/fuzz_scenario -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 \
	    -artifact_prefix=tests/fuzz/regressions/ $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_cli -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=5 -close_fd_mask=2 \
	    -artifact_prefix=tests/fuzz/regressions-cli/ $(BUILD)/fuzz-cli-corpus

# --- analysis (issue 5): `gapsim plot` and `gapsim report` run the Python scripts of
# analysis/; the binary finds them next to itself (<bin>/../share/gapsim/analysis or
# <bin>/../analysis), else at these compile-time paths, else via $GAPSIM_ANALYSIS_DIR.
ANALYSIS_PY := analysis/gapsim_io.py analysis/gapsim_plot.py analysis/gapsim_report.py \
               analysis/example.py analysis/gapsim_export.py
# The gapsim Python package (python/gapsim), beside the scripts: <share>/python/gapsim.
PACKAGE_PY  := $(wildcard python/gapsim/*.py)
$(BUILD)/cli/cli_tools.o: CFLAGS += -DGAPSIM_SOURCE_ANALYSIS='"$(CURDIR)/analysis"' \
                                    -DGAPSIM_DATADIR='"$(PREFIX)/share/gapsim"'

.PHONY: figures install-analysis labels
# The words and units of every key and variable for the figures, from params.def and
# model.h (tests/e2e_readers.sh fails when the committed file is out of date).
labels:
	$(PY) python/tools/gen_labels.py . > python/gapsim/labels.py.tmp && \
	    mv python/gapsim/labels.py.tmp python/gapsim/labels.py

# The README's figures: the baseline scenario, small PNGs in docs/figures/.
figures: $(BIN)
	mkdir -p docs/figures
	$(BIN) run scenarios/baseline.yaml -q -o $(BUILD)/baseline.h5
	$(PY) analysis/gapsim_plot.py $(BUILD)/baseline.h5 -o docs/figures --format png --dpi 72

install: install-analysis
install-analysis:
	install -d $(DESTDIR)$(PREFIX)/share/gapsim/analysis
	install -m 644 $(ANALYSIS_PY) $(DESTDIR)$(PREFIX)/share/gapsim/analysis/
	install -d $(DESTDIR)$(PREFIX)/share/gapsim/python/gapsim
	install -m 644 $(PACKAGE_PY) $(DESTDIR)$(PREFIX)/share/gapsim/python/gapsim/

# --- performance (issue 6): the floor micro-benchmark, built with the same flags, is
# part of `make bench` (tests/bench/bench.sh).
$(BUILD)/bench_floor: tests/bench/bench_floor.c sim/vmath.h $(LIB)
	$(CC) $(CFLAGS) -Isim $< $(LIB) -o $@ $(LDFLAGS) $(LDLIBS)

# --- sweeps and sensitivity (issue 3): a 100-point sweep of 100,000 trajectories each
# and a Sobol-index run, with point-runs per minute (tests/bench/bench_sweep.sh).
.PHONY: bench-sweep
bench-sweep: $(BIN)
	BUILD=$(BUILD) bash tests/bench/bench_sweep.sh

# --- beyond one machine (issue 4): MPI tests and scaling figures of the MPI build.
# `make MPI=1 test-mpi` builds build-mpi/gapsim and runs tests/e2e_mpi.sh with it (the
# serial `make test` runs the same script's shard/merge checks, and its mpirun checks
# when build-mpi/gapsim exists); `make MPI=1 bench-mpi` prints strong and weak scaling
# for 1, 2 and 3 ranks (tests/bench/bench_mpi.sh).
.PHONY: test-mpi bench-mpi
test-mpi: $(BIN)
	@out=$$(BUILD=$(BUILD) bash tests/e2e_mpi.sh 2>&1); echo "$$out"; \
	p=$$(echo "$$out" | grep -c '^ok '); f=$$(echo "$$out" | grep -c '^not ok '); \
	echo "$$p passed, $$f failed"; [ "$$f" -eq 0 ]
bench-mpi: $(BIN)
	BUILD=$(BUILD) bash tests/bench/bench_mpi.sh
