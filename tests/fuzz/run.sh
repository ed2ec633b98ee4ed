#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh SECONDS DIR TARGET... : runs each libFuzzer target for SECONDS on
# its corpus DIR/corpus/NAME (kept between runs) and its seeds
# DIR/seeds/NAME, then prints its runs and executions per second. A crash,
# a leak or a timeout fails the run; the input is kept as DIR/crash-NAME-*.
set -uo pipefail
secs=$1 dir=$2
shift 2
rc=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	corpus=$dir/corpus/$name log=$dir/$name.log
	mkdir -p "$corpus"
	maxlen=4096
	[ "$name" = capfile ] && maxlen=131072
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/crash-$name-" \
		"$corpus" "$dir/seeds/$name" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$status" -ne 0 ]; then
		echo "fuzz_$name: FAILED (exit $status) after ${runs:-?} runs; see $log"
		grep -m3 -E 'ERROR|SUMMARY|fuzz_' "$log" | sed 's/^/  /'
		rc=1
	else
		echo "fuzz_$name: ${runs:-?} runs in ${secs}s, ${speed:-?} exec/s, corpus $(ls "$corpus" | wc -l) inputs, nothing found"
	fi
done
exit $rc
