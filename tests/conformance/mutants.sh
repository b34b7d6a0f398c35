#!/bin/sh
# mutants.sh - proves the conformance suite can fail: builds deliberately wrong copies
# of the library in a temporary directory (never in this tree), runs the suite against
# each through LRELU_LIB, and shows the first failures.  Exit 0 when every mutant is
# caught.  Usage: sh tests/conformance/mutants.sh [NAME...]   (one build per mutant)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
missed=0

# name | file | sed expression (each must change the file)
mutants='ge-zero|src/ref.c|s/return x > 0\.0f ? x : p;/return x >= 0.0f ? x : p;/
half-slope-f16|src/semantics.c|s/p->s32 = dt == LRELU_FLOAT64 ? 0\.0f : (float)slope;/p->s32 = dt == LRELU_FLOAT64 ? 0.0f : dt == LRELU_FLOAT16 ? lrelu_h2f(lrelu_f2h((float)slope)) : (float)slope;/
torch-uses-mindspore-rule|src/semantics.c|0,/\*rule = RULE_GT;/s//*rule = RULE_MAX;/
mindspore-no-tie-split|src/ref.c|s/gl = gr = to(from(g \* 0\.5f));/gl = 0.0f, gr = g;/
simd-onnx-predicate-for-torch|src/kernels/template.h|s/return LK_SOP(sel)(LK_OP(gt)(x, LK_OP(zero)()), wx, pw);/return LK_SOP(sel)(LK_OP(lt)(x, LK_OP(zero)()), pw, wx);/'

echo "$mutants" | while IFS='|' read -r name file expr; do
	if [ $# -gt 0 ] && ! echo " $* " | grep -q " $name "; then
		continue
	fi
	dir="$work/$name"
	mkdir -p "$dir"
	(cd "$root" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -xf - -C "$dir"
	cp "$dir/$file" "$dir/$file.orig"
	sed -i "$expr" "$dir/$file"
	if cmp -s "$dir/$file" "$dir/$file.orig"; then
		echo "mutant $name: the edit did not apply to $file"
		exit 1
	fi
	echo "== mutant $name: $(diff "$dir/$file.orig" "$dir/$file" | sed -n 's/^> *//p' | head -1)"
	if ! make -s -C "$dir" lib >"$dir/build.log" 2>&1; then
		echo "mutant $name: build failed"; tail -5 "$dir/build.log"; exit 1
	fi
	LRELU_LIB="$dir/build/liblrelu.so" LRELU_CMD=/nonexistent "$python" "$root/tests/conformance/run.py" \
		>"$dir/run.log" 2>&1
	rc=$?
	grep '^FAIL' "$dir/run.log" | head -6
	echo "   ... $(grep -c '^FAIL' "$dir/run.log") failing checks; $(tail -1 "$dir/run.log") (exit $rc)"
	if [ $rc -eq 0 ]; then
		echo "mutant $name: NOT caught"
		exit 1
	fi
done || missed=1
[ $missed -eq 0 ] && echo "mutants: every mutant caught"
exit $missed
