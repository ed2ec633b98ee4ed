#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# seeds.sh OUT MKPCAP : the fuzz targets' seed corpora, from what the tests use.
#   OUT/capfile: mkpcap's captures (plain, with runts and a 100,000-byte
#                frame, stamped in 2106, in tunnels), small pcaptool captures whole and cut,
#                and pcapng copies when editcap is there
#   OUT/filter:  the classic programs libpcap makes of the expressions of the
#                differential filter test (tests/prog/test_filter.c)
set -euo pipefail
out=$1 mkpcap=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out/capfile" "$out/filter"
"$mkpcap" "$out/capfile/mkpcap.pcap" >/dev/null
"$mkpcap" -x "$out/capfile/odd.pcap" >/dev/null
"$mkpcap" -t 4294967294 "$out/capfile/2106.pcap" >/dev/null
"$mkpcap" -T "$out/capfile/tunnels.pcap" >/dev/null
python3 "$here/selftests/pcaptool.py" eth "$out/capfile/eth.pcap" 6
python3 "$here/selftests/pcaptool.py" raw "$out/capfile/raw.pcap"
python3 "$here/selftests/pcaptool.py" cut "$out/capfile/eth.pcap" "$out/capfile/cut.pcap" 4 data
if command -v editcap >/dev/null; then
	editcap -F pcapng "$out/capfile/mkpcap.pcap" "$out/capfile/mkpcap.pcapng"
	editcap -F pcapng "$out/capfile/eth.pcap" "$out/capfile/eth.pcapng"
fi
# tcpdump -ddd: the count, then "code jt jf k" a line
n=0
sed -n 's/^\t{ "\([^"]*\)", [0-9]*, [01] },$/\1/p' "$here/tests/prog/test_filter.c" |
while IFS= read -r expr; do
	n=$((n + 1))
	tcpdump -ddd "$expr" 2>/dev/null | python3 -c '
import struct, sys
lines = sys.stdin.read().split("\n")[1:]
sys.stdout.buffer.write(b"".join(struct.pack("<HBBI", *map(int, l.split())) for l in lines if l.strip()))
' >"$out/filter/$n.bin" || rm -f "$out/filter/$n.bin"
done
echo "seeds: $(ls "$out/capfile" | wc -l) capture files, $(ls "$out/filter" | wc -l) filters in $out"
