#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Flow export to nfcapd on loopback: xtap export against softflowd, same
# traffic, same collector, same run.
#
# N UDP flows (one datagram each, a port per flow) cross a veth pair between
# two namespaces with xtap attached on the receiving end, while tcpdump
# records them. Then
#   xtap:      `xtap export --ipfix --once` sends the table's flows
#   softflowd: `softflowd -r` reads the capture and sends the same flows
# both as IPFIX over UDP to one nfcapd, one after the other. Printed: records
# the collector stored, records per second of the exporter's wall time, and
# exporter CPU time (user + system) per thousand records. softflowd's figure
# includes reading and parsing the packets of the capture; xtap's reading the
# table the kernel built. Indicative on a shared machine: compare the ratio.
# ROW and NOTE lines (bench/lib.h) go to bench/run.sh.
#
#   XTAP=build/xtap bench/bench_export.sh [FLOWS]       (root; default 20000)
set -u
[ -n "${XTAP_BENCH_DEBUG:-}" ] && set -x
flows=${1:-${XTAP_BENCH_FLOWS:-20000}}
here=$(cd "$(dirname "$0")" && pwd)
XTAP=${XTAP:-$here/../xtap}
[ -x "$XTAP" ] || XTAP=$here/../../build/xtap
export XTAP_PIN_ROOT=${XTAP_PIN_ROOT:-/sys/fs/bpf/xtap-bench-export}
id=exb$$
tmp=$(mktemp -d "/tmp/$id.XXXXXX")
pids=()

for t in nfcapd nfdump softflowd tcpdump python3; do
	command -v "$t" >/dev/null || {
		echo "bench_export: needs $t (make deps)"
		printf 'NOTE\texport\tnot run: needs %s (make deps)\n' "$t"
		exit 0
	}
done
[ "$(id -u)" = 0 ] || { echo "bench_export: needs root"; printf 'NOTE\texport\tnot run: needs root\n'; exit 0; }

cleanup()
{
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -e "/run/netns/${id}s" ] && nsenter --net="/run/netns/${id}s" "$XTAP" detach "${id}s" >/dev/null 2>&1
	ip netns del "${id}c" 2>/dev/null
	ip netns del "${id}s" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ns() { local n=$1; shift; nsenter --net="/run/netns/$n" -- "$@"; }

ip netns add "${id}c" && ip netns add "${id}s" || exit 1
ip link add "${id}c" netns "${id}c" type veth peer name "${id}s" netns "${id}s" || exit 1
for s in c s; do
	ns "$id$s" ip link set lo up
	ns "$id$s" ip link set "$id$s" up
	ns "$id$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ns "${id}c" ip addr add 10.213.0.1/24 dev "${id}c"
ns "${id}s" ip addr add 10.213.0.2/24 dev "${id}s"
# nobody listens on the ports: no ICMP errors back, only the datagrams
ns "${id}s" sysctl -qw net.ipv4.icmp_ratelimit=1000000 net.ipv4.icmp_ratemask=0
ns "${id}c" ping -c 1 -W 2 -q 10.213.0.2 >/dev/null || { echo "bench_export: no link"; exit 1; }
ns "${id}s" "$XTAP" attach "${id}s" --flows $((flows * 2 + 1024)) >/dev/null || exit 1

ns "${id}s" tcpdump -i "${id}s" -w "$tmp/f.pcap" -U -s 128 udp >"$tmp/tcpdump.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.log" && break; sleep 0.1; done
ns "${id}c" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(int(sys.argv[1])):
    s.sendto(b"x" * 64, ("10.213.0.2", 1024 + p % 60000))
' "$flows"
sleep 0.5
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# run NAME CMD... : CMD exports to nfcapd on $port; prints the line
run()
{
	local name=$1 dir=$tmp/nf-$1 nf out
	shift
	mkdir -p "$dir"
	nfcapd -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 -B 16777216 >"$dir.log" 2>&1 &
	nf=$!
	for _ in $(seq 50); do grep -q Startup "$dir.log" && break; sleep 0.1; done
	out=$(BENCH_LOG=$dir.run.log python3 -c '
import os, resource, subprocess, sys, time
ctl = os.environ.get("BENCH_CTL")
t = time.monotonic()
# its own session: softflowd signals its process group on shutdown
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open(os.environ["BENCH_LOG"], "w"),
                     start_new_session=True)
if ctl:
    # softflowd -r keeps running once the file is read: it answers on its
    # control socket after reading; expire-all exports every flow (and
    # ends it: shutdown alone exports nothing)
    while subprocess.run(["softflowctl", "-c", ctl, "expire-all"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL).returncode and p.poll() is None:
        time.sleep(0.01)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        subprocess.run(["softflowctl", "-c", ctl, "shutdown"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
rc = p.wait()
w = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, w, u.ru_utime + u.ru_stime)' "$@")
	sleep 0.5
	kill "$nf"; wait "$nf" 2>/dev/null
	set -- $out
	local recs
	recs=$(sed -n 's/.*Flows: \([0-9]*\),.*/\1/p' "$dir.log" | tail -n 1)
	[ "$1" = 0 ] && [ -n "$recs" ] && [ "$recs" != 0 ] || { echo "bench_export: $name exited $1:"; tail -n 5 "$dir.run.log" "$dir.log"; }
	python3 -c '
import sys
name, recs, wall, cpu = sys.argv[1], int(sys.argv[2] or 0), float(sys.argv[3]), float(sys.argv[4])
print("%-10s %8d records  %10.0f records/s  %8.3f ms CPU per 1000 records" %
      (name, recs, recs / wall if wall else 0, cpu * 1e6 / recs if recs else 0))
print("RESULT %s %d %f %f" % (name, recs, recs / wall if wall else 0, cpu * 1e6 / recs if recs else 0),
      file=sys.stderr)' "$name" "${recs:-0}" "$2" "$3" 2>>"$tmp/results"
}

echo "$flows UDP flows, one datagram each, IPFIX over UDP to nfcapd on 127.0.0.1:$port"
run xtap "$XTAP" export --ipfix "127.0.0.1:$port" --once
# softflowd keeps 16 characters of the file name: run it where the file is
(cd "$tmp" && BENCH_CTL=$tmp/softflowd.ctl run softflowd softflowd -r f.pcap \
	-n "127.0.0.1:$port" -v 10 -d -m $((flows * 2)) -p "$tmp/softflowd.pid" -c "$tmp/softflowd.ctl")
python3 - "$tmp/results" <<'EOF'
import sys
r = {}
for l in open(sys.argv[1]):
    _, n, recs, rate, cpu = l.split()
    r[n] = (int(recs), float(rate), float(cpu))
if "xtap" in r and "softflowd" in r and r["softflowd"][1] and r["xtap"][2]:
    print("xtap / softflowd: %.2fx the records per second, %.2fx less CPU per record" %
          (r["xtap"][1] / r["softflowd"][1], r["softflowd"][2] / r["xtap"][2]))
# ROW lines for bench/run.sh (bench/lib.h): xtap against softflowd, reported
def row(name, unit, i):
    x = r["xtap"][i]
    if "softflowd" in r:
        s = r["softflowd"][i]
        print("ROW\texport\t%s\t%.6g\t%s\tsoftflowd -r\t%.6g\t%s\t-" %
              (name, x, unit, s, "%.6g" % (x / s) if s else "-"))
    else:
        print("ROW\texport\t%s\t%.6g\t%s\t-\t-\t-\t-" % (name, x, unit))
if "xtap" in r:
    row("xtap export --once: records stored by nfcapd", "records", 0)
    row("xtap export --once: records/s", "rec/s", 1)
    row("xtap export --once: CPU per 1000 records", "ms CPU", 2)
EOF
printf 'NOTE\texport\tbench_export: %s UDP flows of one datagram between two namespaces, IPFIX over UDP to one nfcapd on loopback; xtap export --once reads the table xtap built, softflowd -r the capture of the same traffic (its figure includes reading the packets); records/s over the exporter wall time, CPU = user+system of the exporter\n' "$flows"
