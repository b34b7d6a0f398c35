# mk/cli.mk - the lrelu command (cli/), its tests (tests/cli/) and fuzz targets (fuzz/)
#
#   build/lrelu           the command (public header and liblrelu.a only)
#   make test-cli         end-to-end tests of the command against NumPy (part of make test):
#                         tests/cli/test_cli.py, test_npz.py, test_edges.py, test_diff_cli.py,
#                         test_family_cli.py
#   make test-cli-asan    test_cli.py, test_edges.py, test_diff_cli.py, test_family_cli.py on a build of the
#                         command and library with ASan (leak detection on) + UBSan, in
#                         build-asan (part of make test)
#   make fuzz-replay      the kept corpus in fuzz/corpus/ through the parsers (gcc, no libFuzzer)
#   make fuzz             libFuzzer + ASan/UBSan on the .npy header, the literal parser,
#                         the printer and the .npz (zip) reader and writer,
#                         FUZZ_SECONDS (60) each, fixed seed, memory limit (part of make test)

CLI_SRCS := cli/main.c cli/options.c cli/input.c cli/stream.c cli/output.c cli/diff.c \
            cli/msg.c cli/demo.c cli/npy.c cli/literal.c cli/npyprint.c cli/fmtfloat.c \
            cli/npz.c cli/zip.c cli/family.c
CLI_HDRS := cli/cli.h cli/demo.h cli/npy.h cli/literal.h cli/npyprint.h cli/fmtfloat.h \
            cli/npz.h cli/zip.h include/lrelu.h
# zlib (Debian's zlib1g-dev) inflates, deflates and computes CRC-32 for .npz files.
CLI_LIBS := -lz
PROGRAMS += $(BUILD)/lrelu
TEST_CMDS += "$(MAKE) --no-print-directory test-cli" "$(MAKE) --no-print-directory fuzz" \
             "$(MAKE) --no-print-directory test-cli-asan"

$(BUILD)/lrelu: $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Icli $(CLI_SRCS) -o $@ $(STATIC) $(CLI_LIBS) $(LDLIBS)

# The command with its test switches (LRELU_TEST_KNOBS: environment variables that take
# paths the tests cannot reach otherwise, such as the named temporary file where the
# file system has O_TMPFILE).  Never installed.
$(BUILD)/tests/lrelu-knobs: $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -DLRELU_TEST_KNOBS -Icli $(CLI_SRCS) -o $@ $(STATIC) $(CLI_LIBS) $(LDLIBS)

.PHONY: test-cli test-cli-asan fuzz fuzz-replay

# Replay: each fuzz target linked with a small main() that feeds it files.
FUZZ_TARGETS := npy literal print npz
FUZZ_SRCS_npy := cli/npy.c
FUZZ_SRCS_npz := cli/zip.c cli/npy.c
FUZZ_SRCS_literal := cli/literal.c
FUZZ_SRCS_print := cli/npyprint.c cli/fmtfloat.c

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Icli $< fuzz/replay.c $(FUZZ_SRCS_$*) -o $@ $(STATIC) $(CLI_LIBS) \
	  $(LDLIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
	@set -e; for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz/replay_$$t fuzz/corpus/$$t; done

# The command built to write every ZIP64 field, for NumPy to read back (test_npz.py).
$(BUILD)/tests/lrelu-zip64: $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -DZIP_ZIP64_LIMIT=0 -Icli $(CLI_SRCS) -o $@ $(STATIC) $(CLI_LIBS) \
	  $(LDLIBS)

test-cli: $(BUILD)/lrelu $(BUILD)/tests/lrelu-zip64 $(BUILD)/tests/lrelu-knobs fuzz-replay
	@$(PYTHON) tests/cli/test_cli.py $(BUILD)/lrelu
	@$(PYTHON) tests/cli/test_npz.py $(BUILD)/lrelu $(BUILD)/tests/lrelu-zip64
	@$(PYTHON) tests/cli/test_edges.py $(BUILD)/lrelu $(BUILD)/tests/lrelu-knobs
	@$(PYTHON) tests/cli/test_diff_cli.py $(BUILD)/lrelu
	@$(PYTHON) tests/cli/test_family_cli.py $(BUILD)/lrelu $(BUILD)/tests/lrelu-knobs

# The command's tests under the asan variant's build (Makefile: VARIANT_asan_*), with
# leak detection: a leak fails the run (LeakSanitizer's exit status), as does any
# ASan/UBSan report.
test-cli-asan:
	@$(MAKE) --no-print-directory BUILD=$(VARIANT_asan_BUILD) $(VARIANT_asan_VARS) \
	  $(VARIANT_asan_BUILD)/tests/lrelu-knobs
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(PYTHON) tests/cli/test_cli.py $(VARIANT_asan_BUILD)/tests/lrelu-knobs
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 LRELU_TEST_ASAN=1 \
	  $(PYTHON) tests/cli/test_edges.py $(VARIANT_asan_BUILD)/tests/lrelu-knobs \
	  $(VARIANT_asan_BUILD)/tests/lrelu-knobs
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(PYTHON) tests/cli/test_diff_cli.py $(VARIANT_asan_BUILD)/tests/lrelu-knobs
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(PYTHON) tests/cli/test_family_cli.py $(VARIANT_asan_BUILD)/tests/lrelu-knobs \
	  $(VARIANT_asan_BUILD)/tests/lrelu-knobs

# libFuzzer needs clang and Debian's libclang-rt-14-dev.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -Icli -fno-omit-frame-pointer \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< $(FUZZ_SRCS_$*) -o $@ $(STATIC) $(CLI_LIBS) $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  rm -rf $(BUILD)/fuzz/new_$$t; mkdir -p $(BUILD)/fuzz/new_$$t; \
	  $(BUILD)/fuzz/fuzz_$$t -seed=1 -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=512 \
	    -max_len=4096 -print_final_stats=0 $(BUILD)/fuzz/new_$$t fuzz/corpus/$$t \
	    > $(BUILD)/fuzz/log_$$t 2>&1 || { tail -40 $(BUILD)/fuzz/log_$$t; \
	    echo "fuzz_$$t: 0 passed, 1 failed"; exit 1; }; \
	  tail -1 $(BUILD)/fuzz/log_$$t; echo "fuzz_$$t: 1 passed, 0 failed"; done

