"""checks.py - what the test scripts share: check() counts outcomes, summary() prints
the closing line that tests/run.sh totals ("NAME: N passed, M failed")."""

passed = 0
failed = 0
SHOWN = 60  # failures printed in full; past that they are only counted


def check(cond, what):
    """Counts cond as a pass or a failure; a failure prints what (a description)."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        if failed <= SHOWN:
            print("FAIL:", what)


def summary(name):
    """Prints the closing line; returns the script's exit status."""
    print("%s: %d passed, %d failed" % (name, passed, failed))
    return 0 if failed == 0 else 1
