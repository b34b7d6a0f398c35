# mk/quant.mk - quantized (int8 / uint8) LeakyReLU: tests, reference data, benchmark
#
#   make test-quant-torch   regenerate the expected codes with the installed PyTorch
#                           (more random parameter sets) and check the library on them
#   make quant-data         rewrite tests/quant/torch_codes.txt (needs python3-torch)
#   make quant-others       tools/quant_others.c: codes where XNNPACK / TFLite / MindSpore
#                           Lite rules differ
#   make test-quant-aarch64 test_quant cross-compiled for AArch64 (NEON tbl) under qemu
#   make test-quant-tsan    test_quant (concurrent callers, threaded walk) under ThreadSanitizer
# (the last two are `make test-aarch64` and `make test-tsan` with ONLY=test_quant; make test
# runs test_quant in those variants, in asan's and in clang's)

TEST_PROGS += $(BUILD)/tests/test_quant
VARIANT_tsan_TESTS += test_quant
TEST_CMDS += "$(MAKE) --no-print-directory test-quant-torch"
BENCH_CMDS += $(BUILD)/bench/bench_quant
bench: $(BUILD)/bench/bench_quant
TOOLS += $(BUILD)/tools/quant_others

# XNNPACK (Debian libxnnpack-dev) as a peer in the benchmark, when it is installed; probed
# only when a program that may use it is built.
QUANT_XNN = $(shell printf '#include <xnnpack.h>\nint main(void){return xnn_initialize(0);}\n' | \
  $(CC) -x c - -o /dev/null -lXNNPACK 2>/dev/null && echo yes)
QUANT_BENCH_FLAGS = $(if $(QUANT_XNN),-DHAVE_XNNPACK)
QUANT_BENCH_LIBS = $(if $(QUANT_XNN),-lXNNPACK)

.PHONY: test-quant-torch quant-data quant-others test-quant-aarch64 test-quant-tsan

test-quant-tsan:
	@$(MAKE) --no-print-directory test-tsan ONLY=test_quant

test-quant-aarch64:
	@$(MAKE) --no-print-directory test-aarch64 ONLY=test_quant

$(BUILD)/tests/test_quant: tests/test_quant.c src/kernels/q8lut.h

# Skipped (with a passing line) where PyTorch is not installed.
test-quant-torch: $(BUILD)/tests/test_quant
	@if $(PYTHON) -c 'import torch' 2>/dev/null; then \
	  $(PYTHON) tests/quant/gen_torch_codes.py --random 300 --seed 7 \
	    > $(BUILD)/tests/torch_codes_fresh.txt && \
	  $(BUILD)/tests/test_quant $(BUILD)/tests/torch_codes_fresh.txt; \
	else echo "test-quant-torch skipped without PyTorch: 0 passed, 0 failed"; fi

quant-data:
	$(PYTHON) tests/quant/gen_torch_codes.py > tests/quant/torch_codes.txt

$(BUILD)/bench/bench_quant: bench/bench_quant.c bench/benchutil.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) $(QUANT_BENCH_FLAGS) $< -o $@ $(STATIC) $(QUANT_BENCH_LIBS) $(LDLIBS)

quant-others: $(BUILD)/tools/quant_others
	$(BUILD)/tools/quant_others

# The public API only: the shipped library.
$(BUILD)/tools/quant_others: tools/quant_others.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) $(QUANT_BENCH_FLAGS) $< -o $@ $(STATIC) $(QUANT_BENCH_LIBS) $(LDLIBS)
