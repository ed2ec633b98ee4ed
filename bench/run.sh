#!/bin/sh
# Runs the benchmarks listed in bench/benchmarks.list, each several times,
# and prints one table: medians over the runs with min and max, the baseline
# each figure is measured against in the same run, the ratio, the target and
# whether the median meets it, after a line describing the machine.
#
# usage: bench/run.sh [-n RUNS] [-o DIR] [NAME...]
#   -n RUNS  runs of every benchmark (default: the count in the list)
#   -o DIR   where the rows, logs and tables go (default $BUILD/bench/results)
#   NAME     run only these benchmarks of the list
# Environment: BUILD (default build), XTAP (default $BUILD/xtap), CLANG.
#
# A benchmark is any program or script that prints rows, one per figure, as
# tab-separated fields (other lines are kept in its log and not parsed):
#
#   ROW group name value unit baseline-name baseline-value ratio target
#
#   value, baseline-value, ratio  numbers; "-" where there is no baseline
#   ratio    value / baseline-value, computed by the benchmark within the run
#   target   "-", or KIND OP NUMBER with KIND one of ratio, diff (value minus
#            baseline, in unit) or value, and OP <= or >=: "ratio<=2.0",
#            "ratio>=0.90", "diff<=10", "value<=2"
#
# and may print notes, shown once under the table:
#
#   NOTE group text
#
# Exit status: 0 when every benchmark ran (targets missed or not), 1 when one
# failed to run.
set -u

build=${BUILD:-build}
runs=
outdir=
while getopts n:o:h opt; do
	case $opt in
	n) runs=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; [ "$opt" = h ] && exit 0; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case ${runs:-1} in
''|*[!0-9]*|0) echo "xtap: bench: -n $runs: not a positive count" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
list=$here/benchmarks.list
outdir=${outdir:-$build/bench/results}
if [ ! -d "$build/bench" ]; then
	echo "xtap: bench: $build/bench: no benchmarks built (make BUILD=$build bench)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "xtap: bench: needs root (BPF programs, namespaces)" >&2
	exit 1
fi
mkdir -p "$outdir" || exit 1
rows=$outdir/rows.tsv
: > "$rows"
BUILD=$(cd "$build" && pwd)
XTAP=${XTAP:-$BUILD/xtap}
# the benchmarks that attach xtap keep their state apart from any other xtap
XTAP_PIN_ROOT=${XTAP_PIN_ROOT:-/sys/fs/bpf/xtap-bench}
export BUILD XTAP XTAP_PIN_ROOT

cores=$(nproc 2>/dev/null || echo '?')
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
clangv=$(${CLANG:-clang} --version 2>/dev/null | head -n 1)
machine="${cores} cores${model:+ ($model)}, kernel $(uname -r), ${clangv:-clang not found}"
load=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date -u '+%Y-%m-%d %H:%M UTC')

# NAME in the names given on the command line, or none were given
wanted() {
	n=$1
	shift
	[ $# -eq 0 ] && return 0
	for w in "$@"; do [ "$w" = "$n" ] && return 0; done
	return 1
}

status=0
t0=$(date +%s)
# list lines: NAME RUNS COMMAND...; COMMAND sees BUILD and XTAP
while read -r name count cmd; do
	case $name in ''|'#'*) continue ;; esac
	wanted "$name" "$@" || continue
	n=${runs:-$count}
	i=1
	while [ "$i" -le "$n" ]; do
		log=$outdir/$name.$i.log
		s=$(date +%s)
		printf 'xtap: bench: %s run %d/%d ... ' "$name" "$i" "$n" >&2
		if (eval "exec $cmd") > "$log" 2>&1 < /dev/null; then
			printf 'ok (%ds)\n' $(($(date +%s) - s)) >&2
			awk -F'\t' -v b="$name" -v r="$i" 'BEGIN { OFS = "\t" }
				$1 == "ROW" && NF == 9 { print b, r, $0 }
				$1 == "NOTE" && NF >= 3 && r == 1 { print b, r, $1, b, $3 }' \
				"$log" >> "$rows"
		else
			rc=$?
			printf 'FAILED (exit %d, %s)\n' "$rc" "$log" >&2
			tail -n 5 "$log" | sed 's/^/    /' >&2
			printf '%s\t%s\tFAIL\t%s\t%s\n' "$name" "$i" "$name" "$log" >> "$rows"
			status=1
			break
		fi
		i=$((i + 1))
	done
done < "$list"
elapsed=$(($(date +%s) - t0))

# One line per (group, name): medians and extremes over the runs, the
# target checked on the medians.
awk -F'\t' -v machine="$machine" -v load="$load" -v start="$start" -v elapsed="$elapsed" \
    -v md="$outdir/table.md" '
function med(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function num(x) {
	if (x == "-" || x == "") return "-"
	x += 0
	if (x != 0 && (x >= 100000 || x < 0.01 && x > -0.01)) return sprintf("%.3g", x)
	if (x >= 100 || x <= -100) return sprintf("%.0f", x)
	if (x >= 10 || x <= -10) return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}
function verdict(t, v, b, r,    kind, op, lim, x) {
	if (t == "-" || t == "") return "-"
	if (!match(t, /(<=|>=)/)) return "?"
	kind = substr(t, 1, RSTART - 1); op = substr(t, RSTART, 2); lim = substr(t, RSTART + 2) + 0
	if (kind == "ratio") { if (r == "-") return "?"; x = r }
	else if (kind == "diff") { if (b == "-") return "?"; x = v - b }
	else if (kind == "value") x = v
	else return "?"
	return (op == "<=" ? x <= lim : x >= lim) ? "met" : "MISS"
}
$3 == "NOTE" { notes[++nn] = $4 ": " $5; next }
$3 == "FAIL" { k = $1 "\t(failed)"; if (!(k in seen)) { seen[k] = 1; order[++no] = k }
	fail[k] = "FAILED to run, log " $5; next }
$3 == "ROW" {
	k = $4 "\t" $5
	if (!(k in seen)) { seen[k] = 1; order[++no] = k }
	vals[k] = vals[k] " " $6; unit[k] = $7; bname[k] = $8
	if ($9 != "-") bvals[k] = bvals[k] " " $9
	if ($10 != "-") rvals[k] = rvals[k] " " $10
	target[k] = $11; nrun[k]++
}
END {
	w = 6
	for (i = 1; i <= no; i++) { split(order[i], gn, "\t"); if (length(gn[2]) > w) w = length(gn[2]) }
	fmt = "%-8s %-" w "s %9s %9s %9s %-7s %-20s %9s %7s %15s %-12s %s\n"
	hdr = sprintf(fmt, "group", "figure",
		      "median", "min", "max", "unit", "baseline", "base.med", "ratio", "ratio min-max",
		      "target", "result")
	print "machine: " machine
	print "run: " start ", load average " load " at the start, " elapsed " s in all"
	print ""
	printf "%s", hdr
	print "| group | figure | median | min | max | unit | baseline | baseline median | ratio | ratio min-max | target | result | runs |" > md
	print "|---|---|---:|---:|---:|---|---|---:|---:|---:|---|---|---:|" > md
	for (i = 1; i <= no; i++) {
		k = order[i]; split(k, gn, "\t")
		if (k in fail) {
			printf "%-8s %-" w "s %s\n", gn[1], gn[2], fail[k]
			printf "| %s | %s | %s | | | | | | | | | | |\n", gn[1], gn[2], fail[k] > md
			continue
		}
		v = med(vals[k]); vlo = lo; vhi = hi
		b = bvals[k] == "" ? "-" : med(bvals[k])
		r = "-"; rr = "-"
		if (rvals[k] != "") { r = med(rvals[k]); rr = num(lo) "-" num(hi) }
		res = verdict(target[k], v, b, r)
		printf fmt, gn[1], gn[2],
		       num(v), num(vlo), num(vhi), unit[k], bname[k], num(b), num(r), rr, target[k], res
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", gn[1],
		       gn[2], num(v), num(vlo), num(vhi), unit[k], bname[k], num(b), num(r), rr,
		       target[k], res, nrun[k] > md
	}
	if (nn) print ""
	for (i = 1; i <= nn; i++) print "note " notes[i]
	printf "\nmachine: %s  \nrun: %s, load average %s at the start, %s s in all\n", machine, start,
	       load, elapsed > md
}' "$rows" | tee "$outdir/table.txt"
echo
echo "xtap: bench: rows in $rows, logs and table.md in $outdir"
exit $status
