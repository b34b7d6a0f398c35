# mk/diff.mk - lrelu_diff (src/diff.c): where two LeakyReLU results differ, and why
#
#   build/tests/test_diff   the comparison and its causes against tests/oracle.h (make test)
#   make test-diff-torch    the diff of real PyTorch 1.13 outputs against the library's rules

TEST_PROGS += $(BUILD)/tests/test_diff
TEST_CMDS += "$(MAKE) --no-print-directory test-diff-torch"

.PHONY: test-diff-torch
# Skipped (with a passing line) where PyTorch is not installed.
test-diff-torch: lib
	@if $(PYTHON) -c 'import torch' 2>/dev/null; then \
	  LRELU_LIB=$(abspath $(BUILD))/liblrelu.so $(PYTHON) tests/diff_torch.py; \
	else echo "test-diff-torch skipped without PyTorch: 0 passed, 0 failed"; fi
