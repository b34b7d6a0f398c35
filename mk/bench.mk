# mk/bench.mk - thread pool tests (plain and ThreadSanitizer) and `make bench`
#
#   make test-tsan        the library and tests/test_threads.c under ThreadSanitizer
#   make bench            the benchmark: lrelu against memcpy, a copy loop, a plain C loop,
#                         oneDNN, XNNPACK, PyTorch and NumPy; writes build/bench/bench.tsv
#                         and build/bench/bench.png (BENCH_QUICK=1: fewer sizes and reps)
#   make bench-deps       installs the benchmark's peers (Debian 12)

TEST_PROGS += $(BUILD)/tests/test_threads
TEST_CMDS += "$(MAKE) --no-print-directory test-tsan"

.PHONY: test-tsan bench-deps

# TSAN_CC: any compiler with -fsanitize=thread (gcc with libtsan, or clang).
TSAN_CC ?= $(CC)
test-tsan:
	@$(MAKE) --no-print-directory CC=$(TSAN_CC) BUILD=build-tsan OPT=-O1 \
	  SAN="-fsanitize=thread -fno-omit-frame-pointer" build-tsan/tests/test_threads
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 $(TSAN_OPTIONS)" \
	  build-tsan/tests/test_threads
