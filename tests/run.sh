#!/bin/sh
# tests/run.sh - runs each test command, shows its output, and totals the
# "N passed, M failed" lines they print into one closing line.
# Usage: tests/run.sh CMD...   (each CMD is a program path or a quoted shell command)
total_pass=0
total_fail=0
bad=""
for cmd in "$@"; do
	log=$(mktemp)
	echo "== $cmd"
	sh -c "$cmd" >"$log" 2>&1
	rc=$?
	cat "$log"
	# Sum every per-suite line "name: N passed, M failed" the command printed.  A
	# command that is itself a run of this script (a test variant) shows its suites'
	# lines and then its own "total:" line: the suites are counted, the total is not.
	counts=$(sed -n -e '/^total: /d' \
	  -e 's/^[A-Za-z0-9_./ -]*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1 \2/p' "$log")
	rm -f "$log"
	f=0
	if [ -n "$counts" ]; then
		p=$(echo "$counts" | awk '{s+=$1} END {print s}')
		f=$(echo "$counts" | awk '{s+=$2} END {print s}')
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
	fi
	# A command that fails without a failed count of its own (a crash, a build error,
	# a failed run inside a variant) counts as one failure.
	if [ $rc -ne 0 ]; then
		bad="$bad
  $cmd (exit $rc)"
		[ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
	fi
done
if [ -n "$bad" ]; then
	echo "failed commands:$bad"
fi
echo "total: $total_pass passed, $total_fail failed"
[ -z "$bad" ] && [ "$total_fail" -eq 0 ]
