#!/bin/sh
# measure_stream.sh - streaming speed and peak memory of the lrelu command on a large
# .npy file, against cp of the same file (not part of `make test`; figures in docs/cli.md).
# Usage: tests/cli/measure_stream.sh [LRELU] [GIB] [DIR] [ROUNDS]
set -eu
LRELU=${1:-build/lrelu}
GIB=${2:-3}
DIR=${3:-/tmp}
ROUNDS=${4:-5}
PY=${PYTHON:-/usr/bin/python3}
IN=$DIR/lrelu-measure-in.npy
OUT=$DIR/lrelu-measure-out.npy
trap 'rm -f "$IN" "$OUT"' EXIT INT TERM
"$PY" - "$IN" "$GIB" <<'PYEOF'
import sys
import numpy as np
path, gib = sys.argv[1], float(sys.argv[2])
chunk = np.random.default_rng(0).standard_normal(1 << 24).astype(np.float32)
n = int(gib * (1 << 30)) // 4 // chunk.size * chunk.size
with open(path, "wb") as f:
    np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (n,)})
    for _ in range(n // chunk.size):
        f.write(chunk.tobytes())
PYEOF
sync
SIZE=$(stat -c %s "$IN")
echo "file: $SIZE bytes float32; $ROUNDS rounds, median wall time"
TIMES=$(mktemp)
run() { # label command...
	label=$1
	shift
	/usr/bin/time -f "$label %e %M" "$@" 2>>"$TIMES" >/dev/null
	rm -f "$OUT"
}
i=0
while [ $i -lt "$ROUNDS" ]; do
	run cp cp "$IN" "$OUT"
	run cp+fsync sh -c "cp '$IN' '$OUT' && sync '$OUT'"
	run lrelu "$LRELU" "$IN" "$OUT"
	run lrelu-stdio sh -c "'$LRELU' - - < '$IN' > '$OUT'"
	i=$((i + 1))
done
for label in cp cp+fsync lrelu lrelu-stdio; do
	peak=$(grep "^$label " "$TIMES" | awk '$3 > m { m = $3 } END { print m }')
	grep "^$label " "$TIMES" | awk '{ print $2 }' | sort -n |
		awk -v size="$SIZE" -v label="$label" -v peak="$peak" '
		{ t[NR] = $1 }
		END { med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
		      printf "%-12s median %6.2f s  %7.0f MiB/s  peak RSS %6d KiB\n",
		             label, med, size / 1048576 / med, peak }'
done
rm -f "$TIMES"
