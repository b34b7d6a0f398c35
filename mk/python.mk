# mk/python.mk - the Python package (python/lrelu/): in-tree build, installed test, benchmark
#
#   make python           builds the package into build/python/ (the extension linked with
#                         build/liblrelu.a); then PYTHONPATH=build/python /usr/bin/python3
#   make test-python      pip-installs the package into a fresh venv (build/python-venv,
#                         --system-site-packages for NumPy, PyTorch, Dask) and runs
#                         tests/python/ from there (part of make test)
#   make bench-python     the Python-level benchmark against PyTorch and NumPy
#
# Both builds take the library from the Makefile (build/liblrelu.a, the project's flags,
# -fPIC): setup.py runs make for it, so there is no second list of the library's sources.

PY_DIR      := $(BUILD)/python
PY_VENV     := $(BUILD)/python-venv
PY_EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_INCLUDE  := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PY_EXT      := $(PY_DIR)/lrelu/_lrelu$(PY_EXT_SUFFIX)
PY_FILES    := $(filter-out %.c %.map,$(shell find python/lrelu -type f ! -name '*.pyc' 2>/dev/null))
PY_COPIES   := $(PY_FILES:python/%=$(PY_DIR)/%)
PY_EXTFLAGS := $(BASEFLAGS) -fPIC -fvisibility=hidden -Iinclude -I$(PY_INCLUDE)
PY_PKGS     := python3-dev python3-setuptools python3-venv python3-pip python3-wheel python3-pytest \
               python3-dask python3-distributed
# Target-specific, so that it adds to the Makefile's list wherever that is defined.
deps: DEBIAN_PKGS += $(PY_PKGS)

TEST_CMDS += "$(MAKE) --no-print-directory test-python"

.PHONY: python test-python bench-python
python: $(PY_EXT) $(PY_COPIES)

$(PY_EXT): python/lrelu/_lrelu.c python/lrelu/_lrelu.map include/lrelu.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(PY_EXTFLAGS) -shared $< -o $@ $(STATIC) -Wl,--version-script=python/lrelu/_lrelu.map $(LDLIBS)

$(PY_DIR)/%: python/%
	@mkdir -p $(dir $@)
	cp $< $@

# The install step is part of what is tested: a fresh venv each run, the package
# installed by pip offline, and the tests run by that venv's interpreter.
# The command is built too: test_diff.py checks lrelu.diff against `lrelu diff --json`.
test-python: $(STATIC) $(BUILD)/lrelu
	@rm -rf $(PY_VENV)
	@$(PYTHON) -m venv --system-site-packages $(PY_VENV)
	@$(PY_VENV)/bin/python -m pip install -q --no-build-isolation --no-deps --no-index . \
	  > $(BUILD)/python-install.log 2>&1 || { cat $(BUILD)/python-install.log; \
	  echo "python-install: 0 passed, 1 failed"; exit 1; }
	@LRELU=$(BUILD)/lrelu $(PY_VENV)/bin/python tests/python/run.py

bench-python: python
	PYTHONPATH=$(PY_DIR) $(PYTHON) bench/bench_python.py
