#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs the xtap selftests: every test_* function in selftests/test_*.sh, each
# in its own bash process with its own cleanup trap and a time limit.
#
#   XTAP=/path/to/xtap ./selftests/run.sh [PATTERN...]
#
# PATTERNs (substrings of test names) select tests. XT_TIMEOUT (seconds, per
# test, default 120) and XT_KEEP=1 (keep each test's temporary directory) tune
# a run. Prints `N passed, N failed` last and exits 1 when a test failed.
set -u

XT_SELF=$(readlink -f "${BASH_SOURCE[0]}")
XT_HERE=$(dirname "$XT_SELF")

. "$XT_HERE/lib.sh"
for f in "$XT_HERE"/test_*.sh; do
	# shellcheck source=/dev/null
	[ -e "$f" ] && . "$f"
done

# One test, in this process: what the main loop below runs under `timeout`.
if [ "${1:-}" = --one ]; then
	xt_setup "$2"
	"$2"
	rc=$?
	[ "$rc" -eq 0 ] || xt_fail "test function returned $rc"
	exit 0
fi

# Test names in file order, then definition order.
mapfile -t all < <(for f in "$XT_HERE"/test_*.sh; do
	[ -e "$f" ] && sed -n 's/^\(test_[A-Za-z0-9_]*\)[[:space:]]*()[[:space:]]*{\{0,1\}[[:space:]]*$/\1/p' "$f"
done)
tests=()
for t in "${all[@]}"; do
	if [ $# -eq 0 ]; then
		tests+=("$t")
		continue
	fi
	for p in "$@"; do
		[[ "$t" == *"$p"* ]] && { tests+=("$t"); break; }
	done
done

if [ "${#tests[@]}" -eq 0 ]; then
	echo "selftests: no test matches: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

passed=0 failed=0 skipped=0
failures=() skips=()
child=

on_signal()
{
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
	echo "interrupted"
	echo "$passed passed, $((failed + 1)) failed"
	exit 130
}
trap on_signal INT TERM

if [ ! -x "$XTAP" ]; then
	echo "selftests: XTAP=$XTAP is not an executable (run make all)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
export XTAP XT_KEEP="${XT_KEEP:-0}"
echo "selftests: xtap $XTAP, ${#tests[@]} tests"

for t in "${tests[@]}"; do
	start=$SECONDS
	echo "== $t"
	# timeout (not --foreground) gives the test its own process group and
	# signals it with TERM first, so the test's trap still cleans up.
	timeout -k 10 "${XT_TIMEOUT:-120}" "$XT_SELF" --one "$t" &
	child=$!
	wait "$child"
	rc=$?
	child=
	dur=$((SECONDS - start))
	case $rc in
	0)
		passed=$((passed + 1))
		echo "ok   $t (${dur}s)"
		;;
	"$XT_SKIP_RC")
		skipped=$((skipped + 1))
		skips+=("$t")
		echo "skip $t"
		;;
	124 | 137)
		failed=$((failed + 1))
		failures+=("$t")
		echo "FAIL $t: timed out after ${XT_TIMEOUT:-120}s"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$t")
		echo "FAIL $t (exit $rc, ${dur}s)"
		;;
	esac
done

echo
[ "$skipped" -gt 0 ] && echo "skipped: ${skips[*]}"
[ "$failed" -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
