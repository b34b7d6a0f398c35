# mk/family.mk - RReLU and PReLU (src/rrelu.c, src/prelu.c): the C tests and the check
# against the real PyTorch (tests/conformance/family.py, python3-torch)

.PHONY: test-family
test-family: lib
	@LRELU_LIB=$(abspath $(BUILD))/liblrelu.so $(PYTHON) tests/conformance/family.py

TEST_CMDS += "$(MAKE) --no-print-directory test-family"

TEST_PROGS += $(BUILD)/tests/test_family

# RReLU eval and PReLU (NCHW, NHWC) next to LeakyReLU and the peers' PReLU, float32,
# median ns per call, alternated within each repetition: bench/prelu.c, which `make
# bench` runs too (mk/bench.mk); `make bench-family` runs it alone.
.PHONY: bench-family
bench-family: $(BUILD)/bench/prelu
	$(BUILD)/bench/prelu
