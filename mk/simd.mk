# mk/simd.mk - SIMD kernels: the ISA test, the AArch64 (NEON) run under qemu, a kernel
# microbenchmark, the exhaustive check of the 16-bit roundings
#
#   make test-aarch64        the C tests cross-compiled with aarch64-linux-gnu-gcc, under
#                            qemu-aarch64: the test variant defined in the Makefile
#   make kbench              bench/kbench.c: kernel timings (ordinary vs non-temporal stores)
#   make narrow-exhaustive   tools/narrow_exhaustive.c: every ISA's float -> bfloat16/float16
#                            rounding against fp16.h over all 2^32 floats (minutes)

TEST_PROGS += $(BUILD)/tests/test_isa

# ---- developer tools (not tests; built by make test so that they keep compiling) --------
# Both call the kernel tables and move test-only knobs: the test-support library.
TOOLS += $(BUILD)/bench/kbench $(BUILD)/tools/narrow_exhaustive

$(BUILD)/bench/kbench: bench/kbench.c $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(TEST_LIB) $(LDLIBS)

$(BUILD)/tools/narrow_exhaustive: tools/narrow_exhaustive.c $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(TEST_LIB) $(LDLIBS)

.PHONY: kbench narrow-exhaustive
kbench: $(BUILD)/bench/kbench
	$(BUILD)/bench/kbench

narrow-exhaustive: $(BUILD)/tools/narrow_exhaustive
	$(BUILD)/tools/narrow_exhaustive
