# mk/family.mk - RReLU and PReLU (src/rrelu.c, src/prelu.c): the C tests and the check
# against the real PyTorch (tests/conformance/family.py, python3-torch)

.PHONY: test-family
test-family: lib
	@LRELU_LIB=$(abspath $(BUILD))/liblrelu.so $(PYTHON) tests/conformance/family.py

TEST_CMDS += "$(MAKE) --no-print-directory test-family"

TEST_PROGS += $(BUILD)/tests/test_family

# RReLU eval and PReLU (NCHW, NHWC, one weight) next to LeakyReLU, float32, median ns
# per call, alternated within each repetition: `make bench-family` (not part of make bench).
.PHONY: bench-family
bench-family: $(BUILD)/bench/family
	$(BUILD)/bench/family
$(BUILD)/bench/family: bench/family.c bench/benchutil.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(TOOLFLAGS) $< -o $@ $(STATIC) $(LDLIBS)
