# A thin front for CMake + CTest.  `make tour` and `make check` set up a fresh
# Debian machine themselves (scripts/deps.sh).
#
#   make                 build (build/)
#   make check           build and run every test (CC=clang: with clang, in build-clang/)
#   make tour            run the seed tour (PG=1: with a private PostgreSQL)
#   make sanitize        the whole suite under ASan + UBSan (build-asan/)
#   make tsan            the threaded tests under TSan (build-tsan/)
#   make valgrind        the whole suite under Valgrind memcheck (build-valgrind/)
#   make bench           cx against C, C++ and CPython: table, build/bench/results.json, chart
#   make diff N=100000 SEED=7   N random scenarios run under CPython and cx, traces compared
#   make iofault         the I/O fault injection alone, with its counts (also in make check)
#   make fuzz FUZZ_SECONDS=60    each libFuzzer target (tests/fuzz) for that long, corpus merged
#   make platforms       the core, gen, contextlib and resources suites on musl x86-64, i686,
#                        armhf, aarch64 and riscv64 (cross compilers + qemu-user), and the
#                        core and contextlib on Windows (mingw-x86_64: mingw-w64 + Wine): one
#                        line per target, builds and installs in build-platforms/NAME
#   make install PREFIX=/usr/local
#   make abi-check       the shared libraries' ABI against abi/*.abi (make abi-baseline rewrites them)
#   make docs            the API reference (Doxygen, warnings are errors): build/docs/html
#   make deb             Debian packages into build/deb/, unpacked and checked

PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(origin CC),default)
  BUILD ?= build
  CMAKE_CC :=
else
  BUILD ?= build-$(notdir $(CC))
  CMAKE_CC := -DCMAKE_C_COMPILER=$(CC)
endif

BASE_DEPS := cmake=cmake make=make gcc=gcc pkg-config=pkg-config
# The aarch64 switch routine is proven under qemu on x86-64 hosts.
CROSS_DEPS := aarch64-linux-gnu-gcc=gcc-aarch64-linux-gnu \
  /usr/aarch64-linux-gnu/include/stdio.h=libc6-dev-arm64-cross qemu-aarch64=qemu-user
# The optional modules: SQLite, libpq and a PostgreSQL server the tests
# start themselves, libuv.  The build finds each and leaves out a module whose
# library is missing (README: -DCX_SQLITE, -DCX_PG, -DCX_ASYNC); make check
# installs them all so that every module is built and tested.
MODULE_DEPS := /usr/include/sqlite3.h=libsqlite3-dev \
  /usr/include/postgresql/libpq-fe.h=libpq-dev \
  /usr/lib/postgresql=postgresql /usr/include/uv.h=libuv1-dev
# Shipping checks: the ABI against abi/*.abi, the man pages, the API reference.
SHIP_DEPS := abidw=abigail-tools abidiff=abigail-tools man=man-db groff=groff-base readelf=binutils \
  doxygen=doxygen
# cx-check: libclang's Python bindings (the system Python's dist-packages).
CHECKER_DEPS := /usr/lib/python3/dist-packages/clang/cindex.py=python3-clang-14
CHECK_DEPS := $(BASE_DEPS) clang=clang python3=python3 g++=g++ valgrind=valgrind $(MODULE_DEPS) $(SHIP_DEPS) \
  $(CHECKER_DEPS) \
  $(if $(filter x86_64,$(shell uname -m)),$(CROSS_DEPS)) \
  $(if $(CMAKE_CC),$(notdir $(CC))=$(notdir $(CC)))
# `make bench` only: the chart.
BENCH_DEPS := gnuplot=gnuplot-nox
CTEST := ctest --output-on-failure -j $(JOBS)
# Installed by `make fuzz` only (and libFuzzer's runtime, see fuzz:).
FUZZ_DEPS := clang=clang
# Installed by `make docs` only.
DOCS_DEPS := doxygen=doxygen
# Installed by `make deb` only.
DEB_DEPS := $(BASE_DEPS) dpkg-buildpackage=dpkg-dev dh=debhelper g++=g++ $(MODULE_DEPS) \
  abidw=abigail-tools man=man-db

.PHONY: all build check tour sanitize tsan valgrind bench install deps clean diff

all: build

deps:
	@scripts/deps.sh $(CHECK_DEPS)

# configure DIR, extra cmake flags
define configure
	@test -f $(1)/CMakeCache.txt || cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_CC) $(2) >/dev/null
	@cmake --build $(1) -j $(JOBS)
endef

build: deps
	$(call configure,$(BUILD),)

check: build
	cd $(BUILD) && $(CTEST)

# make tour PG=1: also the PostgreSQL DatabaseConnection example, against a
# private server (scripts/pg-server.sh, the tests' own) stopped afterwards.
tour: build
ifeq ($(PG),1)
	@scripts/pg-server.sh start $(BUILD)/pg-tour $$$$ && \
	  (set -a && . $(BUILD)/pg-tour/env && set +a && $(BUILD)/examples/cx-tour); \
	  rc=$$?; scripts/pg-server.sh stop $(BUILD)/pg-tour; exit $$rc
else
	$(BUILD)/examples/cx-tour
endif

sanitize: deps
	$(call configure,build-asan,-DCX_SANITIZE=ON)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

tsan: deps
	$(call configure,build-tsan,-DCX_TSAN=ON)
	cd build-tsan && TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp $(CTEST) -L threads

valgrind: deps
	@scripts/deps.sh valgrind=valgrind
	$(call configure,build-valgrind,-DCX_VALGRIND=ON -DCMAKE_BUILD_TYPE=Debug)
	cd build-valgrind && $(CTEST) -LE no-valgrind

# Timed in one run, side by side; quieter machines give steadier figures.
bench: deps
	@scripts/deps.sh $(BENCH_DEPS)
	$(call configure,$(BUILD),)
	$(BUILD)/bench/cx-bench --json $(BUILD)/bench/results.json \
	  --chart $(BUILD)/bench/speedups.dat --markdown $(BUILD)/bench/results.md
	gnuplot -e "data='$(BUILD)/bench/speedups.dat'; out='$(BUILD)/bench/benchmarks.svg'" bench/speedups.gp
	@echo "cx-bench: wrote $(BUILD)/bench/results.json, results.md, benchmarks.svg"

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Every file-system call of every I/O manager failed at every occurrence
# (tests/reliability/test_iofault.c, docs/testing.md).
.PHONY: iofault
iofault: build
	cd $(BUILD) && $(CTEST) -V -R '\.iofault_' | grep -E '^[0-9]+: iofault|tests passed|Failed'

# A differential campaign against CPython (tests/diff, docs/testing.md).
N ?= 100000
SEED ?= 1
diff: build
	python3 tests/diff/difftest.py --interp $(BUILD)/tests/diff/cx-diff --n $(N) --seed $(SEED) --brief --stats

# libFuzzer (clang, with its runtime: Recommended by clang, not Depended on)
# over each target in tests/fuzz, under ASan + UBSan with coverage of the
# whole library (build-fuzz/); new inputs are merged into
# tests/fuzz/corpus/<target>/.  make check replays that corpus under gcc.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz: deps
	@scripts/deps.sh $(FUZZ_DEPS)
	@scripts/deps.sh $$(clang -print-file-name=libclang_rt.fuzzer-$$(uname -m).a)=libclang-rt-$$(clang -dumpversion | cut -d. -f1)-dev
	@test -f build-fuzz/CMakeCache.txt || cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCX_SANITIZE=ON -DCX_FUZZ=ON \
	  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$$//')
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh build-fuzz . $(FUZZ_TARGETS)

.PHONY: abi-check abi-baseline docs deb

# The ABI of every shared library against abi/*.abi (also part of make check).
abi-check: build
	cd $(BUILD) && $(CTEST) -L '^abi$$'

# Records the current ABI as the baseline (commit abi/*.abi afterwards).
abi-baseline: build
	cmake --build $(BUILD) --target abi-baseline

# The API reference (Doxygen, warnings are errors) and the guides: build/docs/html.
docs:
	@scripts/deps.sh $(DOCS_DEPS)
	tests/ship/build-docs.sh . $(BUILD)/docs

# Debian packages (unsigned) into $(BUILD)/deb/, then a check that installs
# them into a scratch root and builds a program against them.
deb:
	@scripts/deps.sh $(DEB_DEPS)
	scripts/build-deb.sh $(abspath $(BUILD))/deb

# Each target's toolchain is installed by the script itself (scripts/deps.sh),
# so that a target whose toolchain cannot be had fails by name.
# PLATFORMS="aarch64 riscv64" runs some only; PLATFORMS_JOBS sets -j (2: CI).
PLATFORMS ?=
PLATFORMS_JOBS ?= 2
.PHONY: platforms
platforms:
	@scripts/deps.sh $(BASE_DEPS)
	@JOBS=$(PLATFORMS_JOBS) tests/platforms/run.sh $(PLATFORMS)

clean:
	rm -rf build build-*
