# Makefile - builds liblrelu (static and shared), the lrelu command, examples, tests, benchmarks
#
#   make                  library, command and examples, in build/
#   make demo             the seed page's two examples, through the library and the command
#   make deps             installs (apt-get) everything the tests need on Debian 12
#   make test             every test (C, command, conformance against PyTorch, sanitizers)
#   make test-asan        the C tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench            the benchmark (not part of the tests)
#   make install PREFIX=/usr/local DESTDIR=
#
# Parts of the tree add their own targets through the fragments in mk/ (one per area:
# cli.mk, simd.mk, bench.mk, quant.mk, conformance.mk), included below.

CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
BINDIR   ?= $(PREFIX)/bin
BUILD    ?= build
SAN      ?=
OPT      ?= -O2
PYTHON   ?= /usr/bin/python3

VERSION  := $(shell sed -n 's/^\#define LRELU_VERSION_STRING "\(.*\)"/\1/p' include/lrelu.h)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -ffp-contract=off: a fused multiply-add would change the bits of x * s.
BASEFLAGS := -std=c11 $(OPT) -g $(WARN) -ffp-contract=off -fno-math-errno $(SAN)
LIBFLAGS := $(BASEFLAGS) -fPIC -fvisibility=hidden -DNDEBUG -D_GNU_SOURCE -Iinclude -Isrc
TOOLFLAGS := $(BASEFLAGS) -D_GNU_SOURCE -Iinclude
LDLIBS   := -lpthread -lm
CFLAGS_EXTRA ?=

LIB_SRCS := $(wildcard src/*.c) $(wildcard src/kernels/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
STATIC   := $(BUILD)/liblrelu.a
SHARED   := $(BUILD)/liblrelu.so.$(VERSION)

# Filled in by the included fragments.
PROGRAMS :=
TEST_PROGS :=
TEST_CMDS :=

.PHONY: all lib demo test test-c test-asan test-clang test-cmake bench install deps clean
.DEFAULT_GOAL := all

lib: $(STATIC) $(SHARED)

$(BUILD)/obj/%.o: %.c $(wildcard include/*.h src/*.h src/kernels/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAGS) $(CFLAGS_EXTRA) -c $< -o $@

$(STATIC): $(LIB_OBJS)
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

# ---- fragments -----------------------------------------------------------------------
# Each may add to PROGRAMS (installed commands), TEST_PROGS (C test programs built
# from tests/test_NAME.c), TEST_CMDS (other test commands, run by tests/run.sh) and
# BENCH_CMDS (commands `make bench` runs).
BENCH_CMDS :=
include $(sort $(wildcard mk/*.mk))

all: lib examples $(PROGRAMS)

# ---- tests ---------------------------------------------------------------------------
TEST_PROGS += $(BUILD)/tests/test_core
TEST_COMMON := tests/testutil.h tests/oracle.h

$(BUILD)/tests/test_%: tests/test_%.c $(TEST_COMMON) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Isrc -Itests $< -o $@ $(STATIC) $(LDLIBS)

TEST_CMDS += "$(PYTHON) tests/test_examples.py $(BUILD)"

test-c: $(TEST_PROGS)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_PROGS)

test: all $(TEST_PROGS)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_PROGS) $(TEST_CMDS) "$(MAKE) --no-print-directory test-asan" \
	  "$(MAKE) --no-print-directory test-clang" "$(MAKE) --no-print-directory test-cmake"

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test-c

bench: all
	@set -e; $(foreach c,$(BENCH_CMDS),$(c);)

# The same C tests built by clang: a second optimizer finds folds that change NaN bits.
test-clang:
	@$(MAKE) --no-print-directory CC=clang BUILD=build-clang test-c

# The CMake mirror (CMakeLists.txt) configures, builds and passes its CTest tests.
test-cmake:
	@cmake -S . -B build-cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-cmake -j2 >/dev/null
	@cd build-cmake && ctest --output-on-failure

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

# ---- dependencies (Debian 12) --------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PKGS := build-essential pkgconf binutils cmake clang libclang-rt-14-dev python3 python3-numpy python3-torch \
               python3-onnx gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
deps:
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(DEBIAN_PKGS)

clean:
	rm -rf build build-*
