# mk/simd.mk - SIMD kernels: the ISA test, the AArch64 (NEON) run under qemu, a kernel microbenchmark
#
#   make test-aarch64   cross-compiles the library and the plain C tests with
#                       aarch64-linux-gnu-gcc and runs them under qemu-aarch64
#   make kbench         scripts/kbench.c: kernel timings (ordinary vs non-temporal stores)

TEST_PROGS += $(BUILD)/tests/test_isa

# ---- AArch64 under qemu-user ---------------------------------------------------------
AARCH64_CC   ?= aarch64-linux-gnu-gcc
AARCH64_QEMU ?= qemu-aarch64 -L /usr/aarch64-linux-gnu
AARCH64_BUILD := $(BUILD)-aarch64
# The plain C tests (no Python, no sanitizers); each must exist to be built.  They run
# with LRELU_TEST_QEMU=1: qemu-user cannot fork() a process that has started threads,
# so a test may skip such a check there (and must say so).
AARCH64_TESTS := $(filter $(patsubst tests/%.c,%,$(wildcard tests/test_*.c)),test_core test_isa test_threads)

HAVE_AARCH64_CC := $(shell command -v $(AARCH64_CC) >/dev/null 2>&1 && \
                     command -v $(firstword $(AARCH64_QEMU)) >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_AARCH64_CC),yes)
TEST_CMDS += "$(MAKE) --no-print-directory test-aarch64"
endif

.PHONY: test-aarch64 kbench
test-aarch64:
	@$(MAKE) --no-print-directory CC=$(AARCH64_CC) BUILD=$(AARCH64_BUILD) \
	  $(addprefix $(AARCH64_BUILD)/tests/,$(AARCH64_TESTS))
	@BUILD=$(AARCH64_BUILD) sh tests/run.sh \
	  $(foreach t,$(AARCH64_TESTS),"LRELU_TEST_QEMU=1 $(AARCH64_QEMU) $(AARCH64_BUILD)/tests/$(t)")

# ---- kernel microbenchmark (not part of the tests) -----------------------------------
$(BUILD)/scripts/kbench: scripts/kbench.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Isrc $< -o $@ $(STATIC) $(LDLIBS)

$(BUILD)/scripts/narrow_exhaustive: scripts/narrow_exhaustive.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Isrc $< -o $@ $(STATIC) $(LDLIBS)

kbench: $(BUILD)/scripts/kbench
	$(BUILD)/scripts/kbench
