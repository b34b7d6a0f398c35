# mk/bench.mk - thread pool tests (plain and ThreadSanitizer) and `make bench`
#
#   make test-tsan        tests/test_threads.c (with the other threaded tests) under
#                         ThreadSanitizer: the test variant defined in the Makefile
#   make bench            the benchmark: lrelu against memcpy, a copy loop, a plain C loop,
#                         oneDNN, XNNPACK, PyTorch and NumPy; writes build/bench/bench.tsv
#                         and build/bench/bench.png (BENCH_QUICK=1: fewer sizes and reps)
#   make bench-deps       installs the benchmark's peers (Debian 12)
#   make bench-copylimit  memcpy, rep movsb, copy loops next to lrelu_f32 (the copy limit)
#   make bench-wakeup     the cost of waking a sleeping worker (futex)
#   make bench-handoff    the pool's hand-off on its own, its cut against equal chunks, and
#                         the first calls after idle (against XNNPACK where installed;
#                         also chunk by chunk)
#   make bench-chain      non-temporal stores or not: calls back to back, and calls whose
#                         output is read after each (the next layer), 1 and 2 threads

TEST_PROGS += $(BUILD)/tests/test_threads
VARIANT_tsan_TESTS += test_threads

.PHONY: bench-deps

# ---- benchmark -------------------------------------------------------------------------
# Peers are linked when their headers and libraries are here; otherwise bench.c says so
# and skips them.  Probed only when a benchmark is built ('=', not ':='), not by every make.
BENCH_DNNL = $(shell printf '#include <dnnl.h>\nint main(void){return dnnl_version()==0;}\n' | \
  $(CC) -x c - -o /dev/null -ldnnl 2>/dev/null && echo yes)
BENCH_XNN = $(shell printf '#include <xnnpack.h>\nint main(void){pthreadpool_destroy(0);return xnn_initialize(0);}\n' | \
  $(CC) -x c - -o /dev/null -lXNNPACK -lpthreadpool 2>/dev/null && echo yes)
BENCH_FLAGS = $(if $(BENCH_DNNL),-DHAVE_DNNL) $(if $(BENCH_XNN),-DHAVE_XNNPACK)
BENCH_LIBS = $(if $(BENCH_DNNL),-ldnnl -lgomp) $(if $(BENCH_XNN),-lXNNPACK -lpthreadpool)
# The yardsticks: what gcc -O3 -march=native makes of the loops a user would write.
BENCH_BASEFLAGS := -std=gnu11 -O3 -march=native -fno-tree-loop-distribute-patterns -g $(WARN)
BENCH_PKGS := libdnnl-dev libxnnpack-dev libpthreadpool-dev gnuplot-nox python3-numpy python3-torch

# `make bench` runs each BENCH_CMDS word as a command: one script, told where things are.
BENCH_CMDS += bench/run.sh
bench: $(BUILD)/bench/bench
bench: export LRELU_BENCH_BUILD := $(BUILD)
bench: export LRELU_BENCH_PYTHON := $(PYTHON)

$(BUILD)/bench/baseline.o: bench/baseline.c bench/baseline.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_BASEFLAGS) -c $< -o $@

$(BUILD)/bench/bench: bench/bench.c bench/benchutil.h bench/baseline.h $(BUILD)/bench/baseline.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) $(BENCH_FLAGS) $< $(BUILD)/bench/baseline.o -o $@ $(STATIC) $(BENCH_LIBS) $(LDLIBS)

# PReLU (NCHW, NHWC) and RReLU eval next to LeakyReLU, oneDNN's PReLU primitive and
# XNNPACK's xnn_create_prelu_nc_f32, alternated per repetition (bench/prelu.c).
BENCH_CMDS += $(BUILD)/bench/prelu
bench: $(BUILD)/bench/prelu
$(BUILD)/bench/prelu: bench/prelu.c bench/benchutil.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) $(BENCH_FLAGS) $< -o $@ $(STATIC) $(BENCH_LIBS) $(LDLIBS)

bench-deps:
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BENCH_PKGS)

# Every way of copying the same bytes next to lrelu_f32 at 1K, 16K and 256K elements:
# the limit that the 16K and 256K targets run into (docs/performance.md).
.PHONY: bench-copylimit
bench-copylimit: $(BUILD)/bench/copylimit
	$(BUILD)/bench/copylimit
$(BUILD)/bench/copylimit: bench/copylimit.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(TOOLFLAGS) $< -o $@ $(STATIC) $(LDLIBS)

# Where threads start to pay: the library rebuilt with no size threshold (in
# build-threshold/), 1 thread against all, 16 KiB to 64 MiB.  Used to pick
# LRELU_PAR_MIN_BYTES (src/internal.h, explained in src/threads.c).
.PHONY: bench-threshold
bench-threshold:
	@$(MAKE) --no-print-directory BUILD=build-threshold \
	  CFLAGS_EXTRA="-DLRELU_PAR_MIN_BYTES=0 -DLRELU_PAR_CHUNK_BYTES=4096" build-threshold/liblrelu.a
	$(CC) $(TOOLFLAGS) bench/threshold.c -o build-threshold/threshold build-threshold/liblrelu.a $(LDLIBS)
	build-threshold/threshold

# What waking a sleeping worker costs here: the FUTEX_WAKE call and the time until the
# woken thread runs, after 5 ms and 0.1 ms of sleep; then the CPU time lrelu's idle pool
# uses over 10 s (docs/performance.md).
.PHONY: bench-wakeup
bench-wakeup: $(BUILD)/bench/wakeup
	$(BUILD)/bench/wakeup 5000
	$(BUILD)/bench/wakeup 100 10
$(BUILD)/bench/wakeup: bench/wakeup.c bench/benchutil.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(TOOLFLAGS) $< -o $@ $(STATIC) $(LDLIBS)

# The pool's hand-off (bench/handoff.c): built on the test-support library, whose hooks
# watch the chunks and whose lrelu_par_equal_chunks switches to the cut before struct cut.
TOOLS += $(BUILD)/bench/handoff
.PHONY: bench-handoff
bench-handoff: $(BUILD)/bench/handoff
	$(BUILD)/bench/handoff
$(BUILD)/bench/handoff: bench/handoff.c bench/benchutil.h $(TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(if $(BENCH_XNN),-DHAVE_XNNPACK) $< -o $@ $(TEST_LIB) \
	    $(if $(BENCH_XNN),-lXNNPACK -lpthreadpool) $(LDLIBS)

# Non-temporal stores against ordinary ones, back to back and with y read after each
# call (bench/chain.c): the measurement behind lrelu_nt_rule (src/internal.h).  Built on
# the test-support library, whose lrelu_nt_bytes forces either.
TOOLS += $(BUILD)/bench/chain
.PHONY: bench-chain
bench-chain: $(BUILD)/bench/chain
	$(BUILD)/bench/chain $(BENCH_CHAIN_SIZES)
$(BUILD)/bench/chain: bench/chain.c bench/benchutil.h $(TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(if $(BENCH_XNN),-DHAVE_XNNPACK) $< -o $@ $(TEST_LIB) \
	    $(if $(BENCH_XNN),-lXNNPACK -lpthreadpool) $(LDLIBS)
