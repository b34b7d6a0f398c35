# mk/conformance.mk - lrelu against the real PyTorch (1.13.1, Debian) and the other
# frameworks' rules (MindSpore 2.8 read from source, ONNX LeakyRelu-16, TensorFlow 2),
# bit for bit: tests/conformance/run.py.  Needs python3-torch, python3-numpy and
# python3-onnx (`make deps`).

CONFORMANCE_ENV := LRELU_LIB=$(abspath $(BUILD))/liblrelu.so LRELU_CMD=$(abspath $(BUILD))/lrelu

# The command is checked too when it is part of the build (PROGRAMS, from cli.mk).
.PHONY: test-conformance
test-conformance: lib $(PROGRAMS)
	@$(CONFORMANCE_ENV) $(PYTHON) tests/conformance/run.py

TEST_CMDS += "$(MAKE) --no-print-directory test-conformance"
