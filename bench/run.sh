#!/bin/sh
# Runs every benchmark binary in $BUILD/bench (or the directory given as $1's
# build dir), after a line describing the machine the numbers come from.
# Usage: bench/run.sh [BUILD_DIR]     (default: $BUILD, else build)
set -u
build=${1:-${BUILD:-build}}

cores=$(nproc 2>/dev/null || echo '?')
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
clangv=$(${CLANG:-clang} --version 2>/dev/null | head -n 1)
echo "machine: ${cores} cores${model:+ ($model)}, kernel $(uname -r), ${clangv:-clang not found}"
echo

if [ ! -d "$build/bench" ]; then
	echo "xtap: bench: $build/bench: no benchmarks built (make BUILD=$build bench)" >&2
	exit 1
fi
status=0
found=0
for b in "$build"/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	found=1
	echo "== $b"
	"$b" || { echo "xtap: bench: $b failed (exit $?)" >&2; status=1; }
	echo
done
if [ "$found" = 0 ]; then
	echo "xtap: bench: $build/bench: no benchmarks built" >&2
	exit 1
fi
exit $status
