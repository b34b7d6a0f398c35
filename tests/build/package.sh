#!/bin/sh
# tests/build/package.sh - the installed lrelu used from outside the tree, both ways the
# README gives: `cmake --install` + find_package(lrelu) (tests/build/consumer/), and
# `make install DESTDIR=` + pkg-config.  Each builds examples/tour.c and runs it against
# tests/golden/tour.txt.  Prints "package: N passed, M failed".
# Usage: tests/build/package.sh CMAKE_BUILD_DIR MAKE_BUILD_DIR "MAKE COMMAND"
# (CMAKE_BUILD_DIR configured and built; run from the top of the tree)
cbuild=$1
mbuild=$2
make=${3:-make}
root=$(pwd)
work=$root/$mbuild/package
golden=$root/tests/golden/tour.txt
tour=$root/examples/tour.c
cc=${CC:-cc}
version=$(sed -n 's/^#define LRELU_VERSION_STRING "\(.*\)"/\1/p' include/lrelu.h)
major=${version%%.*}
passed=0
failed=0

check() { # check WHAT COMMAND...: COMMAND's exit status is the outcome
	what=$1
	shift
	if "$@" >"$work/log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what"
		tail -20 "$work/log"
	fi
}
refused() { # refused WHAT COMMAND...: COMMAND must fail
	what=$1
	shift
	if "$@" >"$work/log" 2>&1; then
		failed=$((failed + 1))
		echo "FAIL: $what (accepted)"
	else
		passed=$((passed + 1))
	fi
}
# runs_tour WHAT PROGRAM [LIBRARY_PATH]: its output is the golden file, byte for byte
runs_tour() {
	check "$1: tour's output equals tests/golden/tour.txt" \
	  sh -c 'LD_LIBRARY_PATH=$3 "$1" >"$1.out" && cmp "$1.out" "$2"' - "$2" "$golden" "${3:-}"
}
# links WHAT PROGRAM LIBDIR: the program loads liblrelu.so.MAJOR, and from LIBDIR
links() {
	check "$1: needs liblrelu.so.$major" sh -c "readelf -d '$2' | grep -q 'NEEDED.*\[liblrelu\.so\.$major\]'"
	check "$1: loads it from the installed tree" \
	  sh -c "LD_LIBRARY_PATH='$3' ldd '$2' | grep -q '=> $3/liblrelu\.so\.$major '"
}

rm -rf "$work"
mkdir -p "$work"
unset PKG_CONFIG_PATH

# ---- cmake --install, find_package ---------------------------------------------------
cprefix=$work/cmake-prefix
check "cmake --install --prefix" cmake --install "$cbuild" --prefix "$cprefix"
cdir=$(dirname "$(find "$cprefix" -name lreluConfig.cmake | head -1)")
clib=$(dirname "$cdir")
clib=$(dirname "$clib")
for f in lreluConfig.cmake lreluConfigVersion.cmake lreluTargets.cmake; do
	check "installed $f" test -f "$cdir/$f"
done
check "installed lrelu.h" test -f "$cprefix/include/lrelu.h"
check "no test-support library installed" sh -c "! find '$cprefix' -name '*lrelu-test*' -o -name '*lrelu_test*' | grep -q ."

cons=$work/consumer
check "find_package(lrelu $version CONFIG REQUIRED) configures" \
  cmake -S tests/build/consumer -B "$cons" -DCMAKE_PREFIX_PATH="$cprefix" \
    -DLRELU_WANT="$version" -DTOUR="$tour" -DCMAKE_BUILD_TYPE=Release
check "find_package found the installed package" grep -q "^lrelu_DIR:PATH=$cdir\$" "$cons/CMakeCache.txt"
check "the consumer builds" cmake --build "$cons"
runs_tour "lrelu::lrelu" "$cons/tour_shared" "$clib"
links "lrelu::lrelu" "$cons/tour_shared" "$clib"
runs_tour "lrelu::lrelu_static" "$cons/tour_static"
check "lrelu::lrelu_static: no liblrelu.so needed" sh -c "! readelf -d '$cons/tour_static' | grep -q 'NEEDED.*liblrelu'"
# The version file: any version of this major is found (the soname changes with the
# major only), the next major is not.
check "find_package(lrelu $major.0) accepted" \
  cmake -S tests/build/consumer -B "$work/consumer-major" -DCMAKE_PREFIX_PATH="$cprefix" \
    -DLRELU_WANT="$major.0" -DTOUR="$tour"
refused "find_package(lrelu $((major + 1)).0) refused" \
  cmake -S tests/build/consumer -B "$work/consumer-next" -DCMAKE_PREFIX_PATH="$cprefix" \
    -DLRELU_WANT="$((major + 1)).0" -DTOUR="$tour"

# The .pc that CMake installs, read where it lies.
pc() { # pc LIBDIR SYSROOT OUT: builds the tour with pkg-config's flags
	PKG_CONFIG_LIBDIR=$1/pkgconfig PKG_CONFIG_SYSROOT_DIR=$2 sh -c \
	  "$cc \$(pkg-config --cflags lrelu) '$tour' -o '$3' \$(pkg-config --libs lrelu)"
}
check "pkg-config --modversion (CMake's lrelu.pc)" \
  sh -c "test \"\$(PKG_CONFIG_LIBDIR='$clib/pkgconfig' pkg-config --modversion lrelu)\" = '$version'"
check "pkg-config build (CMake's lrelu.pc)" pc "$clib" "" "$work/tour_pc_cmake"
runs_tour "pkg-config, cmake --install" "$work/tour_pc_cmake" "$clib"
links "pkg-config, cmake --install" "$work/tour_pc_cmake" "$clib"

# ---- make install DESTDIR=, pkg-config ------------------------------------------------
stage=$work/stage
mprefix=/usr/local
mlib=$stage$mprefix/lib
check "make install DESTDIR=" $make BUILD="$mbuild" PREFIX=$mprefix DESTDIR="$stage" install
for f in include/lrelu.h lib/liblrelu.a lib/liblrelu.so.$version lib/liblrelu.so.$major \
         lib/liblrelu.so lib/pkgconfig/lrelu.pc bin/lrelu; do
	check "make install: $f" test -e "$stage$mprefix/$f"
done
check "no test-support library installed" sh -c "! find '$stage' -name '*lrelu-test*' | grep -q ."
check "the installed command runs" sh -c "LD_LIBRARY_PATH='$mlib' '$stage$mprefix/bin/lrelu' --version"
check "pkg-config --modversion (make's lrelu.pc)" \
  sh -c "test \"\$(PKG_CONFIG_LIBDIR='$mlib/pkgconfig' pkg-config --modversion lrelu)\" = '$version'"
check "pkg-config build (make's lrelu.pc)" pc "$mlib" "$stage" "$work/tour_pc_make"
runs_tour "pkg-config, make install" "$work/tour_pc_make" "$mlib"
links "pkg-config, make install" "$work/tour_pc_make" "$mlib"

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
