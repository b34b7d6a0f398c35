#!/bin/sh
# plot.sh - GB/s against size from the benchmark TSV, lrelu and every peer, as a PNG (gnuplot)
# Usage: bench/plot.sh build/bench/bench.tsv build/bench/bench.png
# Four panels: float32 out of place and in place (1 thread), float32 out of place with
# all threads, and the 16-bit types out of place (1 thread).  Series that the TSV lacks
# (a peer not installed) are left out.
set -e
tsv=${1:-build/bench/bench.tsv}
png=${2:-build/bench/bench.png}
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot.sh: gnuplot not installed (gnuplot-nox): no plot"
	exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
all=$(awk -F'\t' 'NR > 1 && $1 == "lrelu" && $4 > m { m = $4 } END { print m + 0 }' "$tsv")

# series FILE IMPL DTYPE MODE THREADS: "n gbps" lines, sorted by n
series() {
	awk -F'\t' -v i="$2" -v d="$3" -v m="$4" -v t="$5" \
	    'NR > 1 && $1 == i && $2 == d && $3 == m && $4 == t { print $5, $7 }' "$tsv" |
	    sort -n > "$dir/$1"
	[ -s "$dir/$1" ]
}

# panel TITLE SPEC...: SPEC is IMPL:DTYPE:MODE:THREADS:LABEL
panel() {
	title=$1
	shift
	cmd=""
	k=0
	for spec in "$@"; do
		IFS=: read -r impl dt mode thr label <<EOF
$spec
EOF
		k=$((k + 1))
		f="s$(date +%s%N)_$k"
		if series "$f" "$impl" "$dt" "$mode" "$thr"; then
			lw=1.5
			[ "$impl" = lrelu ] && lw=3
			# one colour per implementation in every panel; the dtype picks the point
			case $impl in
			lrelu) c='#7b1fa2' ;; lrelu_1thr) c='#ce93d8' ;; memcpy) c='#000000' ;;
			copy_loop) c='#808080' ;; plain_c) c='#ef6c00' ;; onednn) c='#1565c0' ;;
			xnnpack) c='#2e7d32' ;; torch) c='#c62828' ;; numpy) c='#6d4c41' ;;
			*) c='#00838f' ;;
			esac
			case $dt in
			bfloat16) pt=7 ;; float16) pt=5 ;; float64) pt=9 ;; *) pt=1 ;;
			esac
			cmd="$cmd${cmd:+, }'$dir/$f' using 1:2 with linespoints lw $lw lc rgb '$c' pt $pt title '$label'"
		fi
	done
	echo "set title '$title'"
	if [ -n "$cmd" ]; then echo "plot $cmd"; else echo "plot NaN title 'no data'"; fi
}

{
	echo "set terminal pngcairo size 1600,1200 font ',10'"
	echo "set output '$png'"
	echo "set multiplot layout 2,2 title 'LeakyReLU forward: GB/s (bytes read + written) against elements'"
	echo "set logscale x 2; set format x '2^{%L}'; set xlabel 'elements'; set ylabel 'GB/s'"
	echo "set key left top; set grid"
	panel "float32, out of place, 1 thread" \
		lrelu:float32:out:1:lrelu memcpy:float32:out:1:memcpy copy_loop:float32:out:1:copy\ loop \
		plain_c:float32:out:1:plain\ C\ -O3 onednn:float32:out:1:oneDNN \
		xnnpack:float32:out:1:XNNPACK torch:float32:out:1:PyTorch numpy:float32:out:1:NumPy
	panel "float32, in place, 1 thread" \
		lrelu:float32:inplace:1:lrelu copy_loop:float32:inplace:1:copy\ loop\ in\ place \
		plain_c:float32:inplace:1:plain\ C\ -O3 onednn:float32:inplace:1:oneDNN \
		xnnpack:float32:inplace:1:XNNPACK torch:float32:inplace:1:PyTorch
	panel "float32, out of place, $all threads" \
		lrelu:float32:out:$all:lrelu\ $all\ threads lrelu_1thr:float32:out:$all:lrelu\ 1\ thread \
		onednn:float32:out:$all:oneDNN xnnpack:float32:out:$all:XNNPACK \
		torch:float32:out:$all:PyTorch
	panel "bfloat16 and float16, out of place, 1 thread" \
		lrelu:bfloat16:out:1:lrelu\ bf16 lrelu:float16:out:1:lrelu\ f16 \
		onednn:bfloat16:out:1:oneDNN\ bf16 xnnpack:float16:out:1:XNNPACK\ f16 \
		plain_c:bfloat16:out:1:plain\ C\ bf16 plain_c:float16:out:1:plain\ C\ f16 \
		torch:bfloat16:out:1:PyTorch\ bf16 memcpy:bfloat16:out:1:memcpy
	echo "unset multiplot"
} > "$dir/plot.gp"
gnuplot "$dir/plot.gp"
echo "plot: $png"
