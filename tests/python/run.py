#!/usr/bin/env python3
"""run.py - runs the Python package's tests (pytest) and prints the line tests/run.sh totals.

Usage: PYTHON tests/python/run.py [pytest arguments]
Run by `make test-python` with the interpreter of a venv the package was pip-installed
into, so that the installed package is what is tested.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


class Count:
    def __init__(self):
        self.passed = self.failed = 0

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.passed:
            self.passed += 1
        elif report.failed:
            self.failed += 1

    def pytest_collectreport(self, report):
        if report.failed:
            self.failed += 1


def main():
    count = Count()
    rc = pytest.main(["-q", "-p", "no:cacheprovider", HERE] + sys.argv[1:], plugins=[count])
    if rc not in (0, 1) and count.failed == 0:
        count.failed = 1  # an internal or usage error, no test ran to fail
    print("python: %d passed, %d failed" % (count.passed, count.failed))
    return 0 if rc == 0 else 1


# Guarded: the Dask test's worker processes are spawned, and spawn re-imports this
# script as their __main__.
if __name__ == "__main__":
    sys.exit(main())
