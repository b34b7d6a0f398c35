#!/bin/sh
# run.sh - `make bench`: the C benchmark, the PyTorch/NumPy rows, the plot and the summary
# Environment: LRELU_BENCH_BUILD (build folder, default build), LRELU_BENCH_PYTHON,
# and bench.c's BENCH_QUICK, BENCH_MAX, BENCH_THREADS, BENCH_HUGEPAGES.
set -e
build=${LRELU_BENCH_BUILD:-build}
python=${LRELU_BENCH_PYTHON:-python3}
tsv=$build/bench/bench.tsv
mkdir -p "$build/bench"
BENCH_TSV=$tsv "$build/bench/bench"
if "$python" -c 'import numpy' 2>/dev/null; then
	"$python" bench/bench.py "$tsv"
else
	echo "bench.py: $python has no NumPy (python3-numpy): PyTorch and NumPy rows skipped"
fi
sh bench/plot.sh "$tsv" "$build/bench/bench.png"
if "$python" -c 'import sys' 2>/dev/null; then
	"$python" bench/summary.py "$tsv" > "$build/bench/summary.md"
	echo "summary: $build/bench/summary.md"
	sed -n '/^## Targets/,$p' "$build/bench/summary.md"
fi
