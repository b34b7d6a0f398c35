# mk/cli.mk - the lrelu command (cli/), its tests (tests/cli/) and fuzz targets (fuzz/)
#
#   build/lrelu           the command (public header and liblrelu.a only)
#   make test-cli         end-to-end tests of the command against NumPy (part of make test):
#                         tests/cli/test_cli.py, and test_diff_cli.py for lrelu diff
#   make fuzz-replay      the kept corpus in fuzz/corpus/ through the parsers (gcc, no libFuzzer)
#   make fuzz             libFuzzer + ASan/UBSan on the .npy header, the literal parser and
#                         the printer,
#                         FUZZ_SECONDS (60) each, fixed seed, memory limit (part of make test)

CLI_SRCS := cli/main.c cli/options.c cli/input.c cli/stream.c cli/output.c cli/diff.c \
            cli/msg.c cli/demo.c cli/npy.c cli/literal.c cli/npyprint.c cli/fmtfloat.c
CLI_HDRS := cli/cli.h cli/demo.h cli/npy.h cli/literal.h cli/npyprint.h cli/fmtfloat.h \
            include/lrelu.h
PROGRAMS += $(BUILD)/lrelu
TEST_CMDS += "$(MAKE) --no-print-directory test-cli" "$(MAKE) --no-print-directory fuzz"

$(BUILD)/lrelu: $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Icli $(CLI_SRCS) -o $@ $(STATIC) $(LDLIBS)

.PHONY: test-cli fuzz fuzz-replay

# Replay: each fuzz target linked with a small main() that feeds it files.
FUZZ_TARGETS := npy literal print
FUZZ_SRCS_npy := cli/npy.c
FUZZ_SRCS_literal := cli/literal.c
FUZZ_SRCS_print := cli/npyprint.c cli/fmtfloat.c

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLFLAGS) -Icli $< fuzz/replay.c $(FUZZ_SRCS_$*) -o $@ $(STATIC) $(LDLIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
	@set -e; for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz/replay_$$t fuzz/corpus/$$t; done

test-cli: $(BUILD)/lrelu fuzz-replay
	@$(PYTHON) tests/cli/test_cli.py $(BUILD)/lrelu
	@$(PYTHON) tests/cli/test_diff_cli.py $(BUILD)/lrelu

# libFuzzer needs clang and Debian's libclang-rt-14-dev.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -Icli -fno-omit-frame-pointer \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(CLI_SRCS) $(CLI_HDRS) $(STATIC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< $(FUZZ_SRCS_$*) -o $@ $(STATIC) $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  rm -rf $(BUILD)/fuzz/new_$$t; mkdir -p $(BUILD)/fuzz/new_$$t; \
	  $(BUILD)/fuzz/fuzz_$$t -seed=1 -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=512 \
	    -max_len=4096 -print_final_stats=0 $(BUILD)/fuzz/new_$$t fuzz/corpus/$$t \
	    > $(BUILD)/fuzz/log_$$t 2>&1 || { tail -40 $(BUILD)/fuzz/log_$$t; \
	    echo "fuzz_$$t: 0 passed, 1 failed"; exit 1; }; \
	  tail -1 $(BUILD)/fuzz/log_$$t; echo "fuzz_$$t: 1 passed, 0 failed"; done

