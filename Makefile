# Makefile - builds liblrelu (static and shared), the lrelu command, examples, tests, benchmarks
#
#   make                  library, command and examples, in build/
#   make demo             the seed page's two examples, through the library and the command
#   make deps             installs (apt-get) everything the tests need on Debian 12
#   make test             every test (C, command, conformance against PyTorch, sanitizers)
#   make test-c           the C test programs only
#   make test-asan        the C tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-tsan        the threaded C tests under ThreadSanitizer
#   make test-clang       the C tests built by clang (warnings are errors)
#   make test-aarch64     the C tests cross-built for AArch64, run under qemu-user
#                         (each variant: ONLY="test_quant ..." runs some of its tests)
#   make test-cmake       the CMake mirror: build, CTest, same source lists as this file
#   make test-package     the installed trees used from outside: CMake's find_package
#                         (cmake --install) and pkg-config (make install DESTDIR=)
#   make tools            the developer tools in tools/ and bench/kbench (built by make test)
#   make bench            the benchmark (not part of the tests)
#   make install PREFIX=/usr/local DESTDIR=
#
# The C tests and the tools that reach inside the library link $(BUILD)/liblrelu-test.a:
# the same sources compiled with -DLRELU_TEST_SUPPORT, which keeps the knobs only tests
# move (thresholds) as writable globals.  The shipped liblrelu.a / liblrelu.so, the
# command and the examples are built without it.
#
# Parts of the tree add their own targets through the fragments in mk/ (one per area:
# cli.mk, simd.mk, bench.mk, quant.mk, conformance.mk), included below.

CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BUILD    ?= build
SAN      ?=
WERROR   ?=
OPT      ?= -O2
PYTHON   ?= /usr/bin/python3

VERSION  := $(shell sed -n 's/^\#define LRELU_VERSION_STRING "\(.*\)"/\1/p' include/lrelu.h)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -ffp-contract=off: a fused multiply-add would change the bits of x * s.
BASEFLAGS := -std=c11 $(OPT) -g $(WARN) $(WERROR) -ffp-contract=off -fno-math-errno $(SAN)
LIBFLAGS := $(BASEFLAGS) -fPIC -fvisibility=hidden -DNDEBUG -D_GNU_SOURCE -Iinclude -Isrc
TOOLFLAGS := $(BASEFLAGS) -D_GNU_SOURCE -Iinclude
LDLIBS   := -lpthread -lm
CFLAGS_EXTRA ?=

LIB_SRCS := $(wildcard src/*.c) $(wildcard src/kernels/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
STATIC   := $(BUILD)/liblrelu.a
SHARED   := $(BUILD)/liblrelu.so.$(VERSION)

# The test-support build of the same sources (libdeflate's TEST_SUPPORT): what the C
# tests and the internal tools link, compiled and linked with TEST_CFLAGS.  Never installed.
TEST_SUPPORT := -DLRELU_TEST_SUPPORT
TEST_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj-test/%.o)
TEST_LIB := $(BUILD)/liblrelu-test.a
TEST_CFLAGS = $(TOOLFLAGS) $(TEST_SUPPORT) -Isrc

# Filled in by the included fragments.
PROGRAMS :=
TEST_PROGS :=
TEST_CMDS :=
TOOLS :=

.PHONY: all lib demo test test-c test-cmake test-package tools bench install deps clean
.DEFAULT_GOAL := all

lib: $(STATIC) $(SHARED)

LIB_HDRS := $(wildcard include/*.h src/*.h src/kernels/*.h)
$(BUILD)/obj/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAGS) $(CFLAGS_EXTRA) -c $< -o $@

$(BUILD)/obj-test/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAGS) $(TEST_SUPPORT) $(CFLAGS_EXTRA) -c $< -o $@

$(STATIC): $(LIB_OBJS)
$(TEST_LIB): $(TEST_LIB_OBJS)
$(STATIC) $(TEST_LIB):
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJS)
	$(CC) $(BASEFLAGS) -shared -Wl,-soname,liblrelu.so.$(SOMAJOR) -o $@ $^ $(LDLIBS)
	ln -sf liblrelu.so.$(VERSION) $(BUILD)/liblrelu.so.$(SOMAJOR)
	ln -sf liblrelu.so.$(SOMAJOR) $(BUILD)/liblrelu.so

# ---- examples ------------------------------------------------------------------------
EXAMPLES := $(BUILD)/examples/seed $(BUILD)/examples/tour
.PHONY: examples
examples: $(EXAMPLES)

# seed.c runs the examples `lrelu demo` runs (cli/demo.c) and prints through the
# command's NumPy printer (cli/npyprint.c, cli/fmtfloat.c).
SEED_SRCS := cli/demo.c cli/npyprint.c cli/fmtfloat.c
$(BUILD)/examples/seed: examples/seed.c $(STATIC) $(SEED_SRCS) cli/demo.h cli/npyprint.h cli/fmtfloat.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Icli $< $(SEED_SRCS) -o $@ $(STATIC) $(LDLIBS)

$(BUILD)/examples/tour: examples/tour.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) $< -o $@ $(STATIC) $(LDLIBS)

# The seed page's examples: through the library, then through the command.
demo: $(BUILD)/examples/seed $(BUILD)/lrelu
	@$(BUILD)/examples/seed
	@echo
	@echo "# the same through the command: lrelu demo"
	@$(BUILD)/lrelu demo

# ---- test variants -------------------------------------------------------------------
# The C tests run again in other configurations, all through the one recipe below: build
# the test programs with the variant's make variables in the variant's own folder, then
# run them with tests/run.sh, each under the variant's runner.  A variant V is
#   VARIANT_V_BUILD   its build folder
#   VARIANT_V_VARS    make variables of its build (CC, OPT, SAN, WERROR)
#   VARIANT_V_TESTS   its test programs by name (test_core ...); a fragment adds its own
#                     test with +=, as these are defined before the fragments are read
#   VARIANT_V_ENV     environment of the runs
#   VARIANT_V_RUN     the command each test program runs under (qemu-user)
# and `make test-V` builds and runs it; `make test-V ONLY="test_quant"` runs only those.
VARIANTS := asan clang tsan

# Every C test; the sanitizers find what an unchecked index or a race leaves in bits.
VARIANT_asan_BUILD := build-asan
VARIANT_asan_VARS := OPT=-O1 \
  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
VARIANT_asan_TESTS = $(notdir $(TEST_PROGS))

# A second optimizer finds folds that change NaN bits; it also keeps the tree free of
# clang's warnings.
VARIANT_clang_BUILD := build-clang
VARIANT_clang_VARS := CC=clang WERROR=-Werror
VARIANT_clang_TESTS = $(notdir $(TEST_PROGS))

# The tests that start threads.  TSAN_CC: any compiler with -fsanitize=thread (gcc with
# libtsan, or clang).
TSAN_CC ?= $(CC)
VARIANT_tsan_BUILD := build-tsan
VARIANT_tsan_VARS := CC=$(TSAN_CC) OPT=-O1 SAN="-fsanitize=thread -fno-omit-frame-pointer"
VARIANT_tsan_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 $(TSAN_OPTIONS)"
VARIANT_tsan_TESTS :=

# Every C test, cross-compiled and run under qemu-user, where the kernels are NEON's.
# LRELU_TEST_QEMU=1: qemu-user cannot fork() a process that has started threads, so a
# test may skip such a check there (and must say so).  Run by make test where both
# tools are installed.
AARCH64_CC   ?= aarch64-linux-gnu-gcc
AARCH64_QEMU ?= qemu-aarch64 -L /usr/aarch64-linux-gnu
VARIANTS += aarch64
VARIANT_aarch64_BUILD := $(BUILD)-aarch64
VARIANT_aarch64_VARS := CC=$(AARCH64_CC) WERROR=-Werror
VARIANT_aarch64_ENV := LRELU_TEST_QEMU=1
VARIANT_aarch64_RUN := $(AARCH64_QEMU)
VARIANT_aarch64_TESTS = $(notdir $(TEST_PROGS))
HAVE_AARCH64 := $(shell command -v $(AARCH64_CC) >/dev/null 2>&1 && \
                  command -v $(firstword $(AARCH64_QEMU)) >/dev/null 2>&1 && echo yes)

variant_tests = $(if $(ONLY),$(filter $(ONLY),$(VARIANT_$(1)_TESTS)),$(VARIANT_$(1)_TESTS))

.PHONY: $(VARIANTS:%=test-%)
$(VARIANTS:%=test-%): test-%:
	@$(MAKE) --no-print-directory BUILD=$(VARIANT_$*_BUILD) $(VARIANT_$*_VARS) \
	  $(addprefix $(VARIANT_$*_BUILD)/tests/,$(call variant_tests,$*))
	@$(VARIANT_$*_ENV) BUILD=$(VARIANT_$*_BUILD) sh tests/run.sh \
	  $(foreach t,$(call variant_tests,$*),"$(VARIANT_$*_RUN) $(VARIANT_$*_BUILD)/tests/$(t)")

# ---- fragments -----------------------------------------------------------------------
# Each may add to PROGRAMS (installed commands), TEST_PROGS (C test programs built
# from tests/test_NAME.c), TEST_CMDS (other test commands, run by tests/run.sh),
# VARIANT_V_TESTS (above), TOOLS (developer programs, built by make test so that they
# keep compiling) and BENCH_CMDS (commands `make bench` runs).
BENCH_CMDS :=
include $(sort $(wildcard mk/*.mk))

all: lib examples $(PROGRAMS)
tools: $(TOOLS)

# ---- tests ---------------------------------------------------------------------------
TEST_PROGS += $(BUILD)/tests/test_core
TEST_COMMON := tests/testutil.h tests/oracle.h

# The C tests reach inside the library (internal headers, test-only knobs).
$(BUILD)/tests/test_%: tests/test_%.c $(TEST_COMMON) $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Itests $< -o $@ $(TEST_LIB) $(LDLIBS)

TEST_CMDS += "$(PYTHON) tests/test_examples.py $(BUILD)"
TEST_CMDS += $(foreach v,tsan $(if $(HAVE_AARCH64),aarch64) asan clang cmake package, \
               "$(MAKE) --no-print-directory test-$(v)")

test-c: $(TEST_PROGS)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_PROGS)

test: all tools $(TEST_PROGS)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_PROGS) $(TEST_CMDS)

bench: all
	@set -e; $(foreach c,$(BENCH_CMDS),$(c);)

# The CMake mirror (CMakeLists.txt) configures, builds (warnings are errors) and passes
# its CTest tests; then tests/build/sources.py checks, from CMake's file API, that it
# compiles the same sources as this Makefile (library, command, examples, C tests).
CMAKE_BUILD := build-cmake
test-cmake:
	@mkdir -p $(CMAKE_BUILD)/.cmake/api/v1/query && touch $(CMAKE_BUILD)/.cmake/api/v1/query/codemodel-v2
	@cmake -S . -B $(CMAKE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
	@cmake --build $(CMAKE_BUILD) -j2 >/dev/null
	@cd $(CMAKE_BUILD) && ctest --output-on-failure
	@$(PYTHON) tests/build/sources.py $(CMAKE_BUILD) "$(MAKE) --no-print-directory -s"

# Both installed trees used as a program outside this tree would use them: cmake --install
# of $(CMAKE_BUILD) with find_package(lrelu) (shared and static targets, version check),
# and make install DESTDIR= with pkg-config; each builds and runs examples/tour.c.
test-package: all
	@cmake -S . -B $(CMAKE_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(CMAKE_BUILD) -j2 >/dev/null
	@sh tests/build/package.sh $(CMAKE_BUILD) $(BUILD) "$(MAKE) --no-print-directory"

# Prints a variable's value (tests/build/sources.py reads the source lists with it).
print-%:
	@echo $($*)

# ---- install -------------------------------------------------------------------------
# The .pc names PREFIX, so it is written at install time, never reused from another one.
.PHONY: $(BUILD)/lrelu.pc
$(BUILD)/lrelu.pc: lrelu.pc.in
	@mkdir -p $(BUILD)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

install: all $(BUILD)/lrelu.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/lrelu.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf liblrelu.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblrelu.so.$(SOMAJOR)
	ln -sf liblrelu.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/liblrelu.so
	install -m 644 $(BUILD)/lrelu.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	$(if $(PROGRAMS),install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/)
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/lrelu.1 $(DESTDIR)$(MANDIR)/man1/

# ---- dependencies (Debian 12) --------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PKGS := build-essential pkgconf binutils cmake clang libclang-rt-14-dev python3 python3-numpy python3-torch \
               python3-onnx zlib1g-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user man-db
deps:
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(DEBIAN_PKGS)

clean:
	rm -rf build build-*
