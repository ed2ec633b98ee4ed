# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap replay against tshark: real traffic captured between two namespaces,
# crafted captures from mkpcap, and replay's errors on bad files.

# replay_traffic PCAP : real traffic between two namespaces, captured in the
# client's namespace into PCAP: HTTP over IPv4 and IPv6 (a small page and a
# 200 kB file, so the capture has frames far larger than the MTU, as tcpdump
# sees them on a veth with segmentation offload), a connection to a closed
# port, DNS over both families (one NXDOMAIN), and pings over both families.
# That is 5 TCP and 3 UDP conversations.
replay_traffic()
{
	local pcap=$1 www=$XT_TMP/www http dns cap url
	xt_require tcpdump tshark curl dig ping ss
	xt_pair
	mkdir -p "$www"
	printf '<html><body>xtap selftest</body></html>\n' >"$www/index.html"
	head -c 200000 /dev/urandom >"$www/big.bin"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	xt_dns_server dns "$XT_NS_S" a1.xtap.test=10.77.0.53 a2.xtap.test=10.77.0.54
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$pcap"

	for url in "http://$XT_S4:8080/" "http://$XT_S4:8080/big.bin" \
		"http://[$XT_S6]:8080/" "http://[$XT_S6]:8080/big.bin"; do
		xt_ok "curl $url" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
			-w '%{size_download}' "$url"
	done
	xt_assert_eq "bytes of big.bin over IPv6" 200000 "$XT_STDOUT"
	xt_assert_rc "curl to a closed port" 7 xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
		"http://$XT_S4:9/"
	xt_ok "dig over IPv4" xt_ns "$XT_NS_C" dig +short +tries=1 +time=2 @"$XT_S4" a1.xtap.test A
	xt_assert_eq "dig a1.xtap.test over IPv4" 10.77.0.53 "$XT_STDOUT"
	xt_ok "dig over IPv6" xt_ns "$XT_NS_C" dig +short +tries=1 +time=2 @"$XT_S6" a2.xtap.test A
	xt_assert_eq "dig a2.xtap.test over IPv6" 10.77.0.54 "$XT_STDOUT"
	xt_ok "dig for an unknown name" xt_ns "$XT_NS_C" dig +tries=1 +time=2 @"$XT_S4" nope.xtap.test A
	xt_assert_match "dig status for an unknown name" 'status: NXDOMAIN' "$XT_STDOUT"
	xt_ok "ping" xt_ns "$XT_NS_C" ping -c 3 -i 0.2 -W 1 -q "$XT_S4"
	xt_ok "ping -6" xt_ns "$XT_NS_C" ping -6 -c 3 -i 0.2 -W 1 -q "$XT_S6"
	xt_capture_stop "$cap"
	xt_stop "$http"
	xt_stop "$dns"
}

# replay_agrees PCAP JSON HOOK : conv_compare.py finds xtap and tshark agree
replay_agrees()
{
	xt_assert_rc "xtap replay --hook $3 against tshark" 0 \
		"$XT_PYTHON" "$XT_DIR/conv_compare.py" "$1" "$2"
	xt_assert_eq "conversations (--hook $3)" "agree: 8 conversations (tcp 5, udp 3)" "$XT_STDOUT"
}

# Every TCP and UDP conversation tshark sees, xtap's flow table has too, with
# the same packets and bytes per direction (conv_compare.py says how).
test_replay_agrees_with_tshark()
{
	local pcap=$XT_TMP/live.pcap json=$XT_TMP/replay.json kind
	replay_traffic "$pcap"
	xt_replay_json "$pcap" "$json"
	replay_agrees "$pcap" "$json" xdp

	# the echo flows: one per family, three requests and three replies each
	xt_ok "read the icmp flows" "$XT_PYTHON" -c '
import json, sys
for f in json.load(open(sys.argv[1]))["flows"]:
    if f["proto"] in ("icmp", "icmpv6") and f["icmp_type"] in (0, 8, 128, 129):
        print(f["proto"], f["a"]["addr"], f["b"]["addr"], f["packets_ab"], f["packets_ba"])
' "$json"
	xt_assert_eq "ICMP echo flows" "icmp $XT_C4 $XT_S4 3 3
icmpv6 $XT_C6 $XT_S6 3 3" "$(sort <<<"$XT_STDOUT")"

	# the same capture as pcapng gives the same flows and counters
	xt_ok "editcap to pcapng" editcap -F pcapng "$pcap" "$XT_TMP/live.pcapng"
	xt_replay_json "$XT_TMP/live.pcapng" "$XT_TMP/replay-ng.json"
	xt_ok "compare pcap and pcapng replays" "$XT_PYTHON" -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    del d["file"]
sys.exit(0 if a == b else "pcap and pcapng replays differ")
' "$json" "$XT_TMP/replay-ng.json"

	# the comparison can fail: every alteration of tshark's side is caught
	for kind in bytes packets swap drop extra port; do
		xt_assert_rc "comparison with tshark's counts altered ($kind)" 1 \
			"$XT_PYTHON" "$XT_DIR/conv_compare.py" --mutate "$kind" "$pcap" "$json"
		xt_assert_match "report of the altered comparison ($kind)" \
			$'(^|\n)(differs|missing in xtap|only in xtap): .*\nmismatch: [0-9]+ difference' \
			"$XT_STDOUT"
	done
}

# The TC programs see the same conversations in the same capture.
test_replay_tc_hooks_agree_with_tshark()
{
	local pcap=$XT_TMP/live.pcap hook
	replay_traffic "$pcap"
	for hook in tc-ingress tc-egress; do
		xt_replay_json "$pcap" "$XT_TMP/replay-$hook.json" --hook "$hook"
		replay_agrees "$pcap" "$XT_TMP/replay-$hook.json" "$hook"
	done
}

# Crafted captures (IPv6 extension headers, VLAN and QinQ, IPv4 fragments)
# from the mkpcap fixture, compared with tshark the same way.
#
# Fragments: xtap counts a datagram's first fragment in its UDP (or TCP) flow
# and every later fragment in a flow of the same addresses with ports 0.
# tshark normally reassembles and counts the datagram once, at its last
# fragment. With -o ip.defragment:FALSE (and ipv6.defragment:FALSE) tshark
# dissects the first fragment's transport header and counts later fragments in
# no TCP/UDP conversation, which matches xtap once its port-0 flows are left
# out (--exclude-port0). The port-0 flows are checked separately: their
# packets equal the number of non-first fragments tshark sees.
test_replay_mkpcap_agrees_with_tshark()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap}
	[ -x "$mkpcap" ] || xt_skip "$mkpcap not built (make \$(BUILD)/tests/mkpcap)"
	xt_require tshark
	local pcap=$XT_TMP/crafted.pcap
	xt_ok "mkpcap" "$mkpcap" "$pcap"
	xt_replay_json "$pcap" "$XT_TMP/crafted.json"
	local -a prefs=(-o ip.defragment:FALSE -o ipv6.defragment:FALSE)
	xt_assert_rc "xtap replay of mkpcap's capture against tshark" 0 \
		"$XT_PYTHON" "$XT_DIR/conv_compare.py" "${prefs[@]}" --exclude-port0 \
		"$pcap" "$XT_TMP/crafted.json"
	xt_info "$XT_STDOUT"

	# later fragments: tshark's count of non-first fragments that carry a
	# TCP or UDP datagram's tail, xtap's packets in its port-0 flows
	xt_ok "tshark: non-first fragments" tshark -n -r "$pcap" "${prefs[@]}" \
		-Y '(ip.frag_offset > 0 && (ip.proto == 6 || ip.proto == 17)) ||
		    (ipv6.fraghdr.offset > 0 && (ipv6.fraghdr.nxt == 6 || ipv6.fraghdr.nxt == 17))' \
		-T fields -e frame.number
	local want
	want=$(grep -c . <<<"$XT_STDOUT")
	xt_ok "xtap: packets in port-0 flows" "$XT_PYTHON" -c '
import json, sys
print(sum(f["packets_ab"] + f["packets_ba"] for f in json.load(open(sys.argv[1]))["flows"]
          if f["proto"] in ("tcp", "udp") and f["a"]["port"] == 0 and f["b"]["port"] == 0))
' "$XT_TMP/crafted.json"
	xt_assert_eq "packets in xtap's port-0 flows (later fragments)" "$want" "$XT_STDOUT"
}

# replay_error FILE ERE : replay must fail with exit 1, print nothing on
# stdout and exactly one line on stderr matching ERE
replay_error()
{
	local file=$1 re=$2
	xt_assert_rc "xtap replay -r $(basename "$file")" 1 "$XTAP" replay -r "$file" -j
	xt_assert_eq "stdout of a failed replay of $(basename "$file")" "" "$XT_STDOUT"
	xt_assert_eq "lines on stderr for $(basename "$file")" 1 "$(grep -c '' <<<"$XT_STDERR")"
	xt_assert_match "error for $(basename "$file")" "$re" "$XT_STDERR"
}

# A capture that is not Ethernet is refused, naming the file and link type.
test_replay_rejects_non_ethernet()
{
	xt_require tcpdump ping
	local raw=$XT_TMP/raw.pcap
	xt_ok "write a RAW capture" "$XT_PYTHON" "$XT_DIR/pcaptool.py" raw "$raw"
	replay_error "$raw" "^xtap: replay $raw: link type RAW is not Ethernet$"

	# Linux cooked captures from tcpdump -i any, in a namespace of our own
	local ns cap type
	xt_ns_new ns l
	for type in LINUX_SLL LINUX_SLL2; do
		local pcap=$XT_TMP/any-$type.pcap
		xt_capture_start cap "$ns" any "$pcap" -y "$type"
		xt_ok "ping on lo" xt_ns "$ns" ping -c 2 -i 0.2 -W 1 -q 127.0.0.1
		xt_capture_stop "$cap"
		replay_error "$pcap" "^xtap: replay $pcap: link type $type is not Ethernet$"
	done
}

# Files that are not captures at all.
test_replay_unreadable_file()
{
	local missing=$XT_TMP/missing.pcap junk=$XT_TMP/junk.pcap empty=$XT_TMP/empty.pcap
	replay_error "$missing" "^xtap: replay $missing: .*No such file or directory"
	head -c 4096 /dev/urandom >"$junk"
	printf 'not a capture' | dd of="$junk" conv=notrunc status=none
	replay_error "$junk" "^xtap: replay $junk: .+"
	: >"$empty"
	replay_error "$empty" "^xtap: replay $empty: .+"
	replay_error "$XT_TMP" "^xtap: replay $XT_TMP: .+"
	# cut inside the 24-byte file header
	xt_ok "write a capture" "$XT_PYTHON" "$XT_DIR/pcaptool.py" eth "$XT_TMP/whole.pcap" 4
	head -c 10 "$XT_TMP/whole.pcap" >"$XT_TMP/header.pcap"
	replay_error "$XT_TMP/header.pcap" "^xtap: replay $XT_TMP/header.pcap: .*truncated"
	# usage errors exit 2
	xt_assert_rc "xtap replay without -r" 2 "$XTAP" replay -j
	xt_assert_rc "xtap replay with an unknown hook" 2 "$XTAP" replay -r "$XT_TMP/whole.pcap" --hook nope
}

# A capture cut short (a tcpdump killed mid-write) gives what its whole
# records gave, on stdout as usual, then one line on stderr naming the file,
# the packet cut and libpcap's reason, and exit status 1, as tcpdump -r.
test_replay_truncated_file()
{
	local whole=$XT_TMP/whole.pcap cut n
	xt_ok "write a capture" "$XT_PYTHON" "$XT_DIR/pcaptool.py" eth "$whole" 6
	xt_replay_json "$whole" "$XT_TMP/whole.json"
	xt_assert_match "replay of the whole capture" '"frames":6[,}]' "$(tr -d ' \n' <"$XT_TMP/whole.json")"
	local where
	for where in data:1 data:4 header:6; do
		n=${where#*:} where=${where%:*}
		cut=$XT_TMP/$where-$n.pcap
		xt_ok "cut in packet $n's $where" "$XT_PYTHON" "$XT_DIR/pcaptool.py" cut "$whole" "$cut" "$n" "$where"
		xt_assert_rc "xtap replay -r $(basename "$cut") -j" 1 "$XTAP" replay -r "$cut" -j
		xt_assert_eq "lines on stderr for $(basename "$cut")" 1 "$(grep -c '' <<<"$XT_STDERR")"
		xt_assert_match "warning for $(basename "$cut")" \
			"^xtap: replay $cut: packet $n: truncated dump file" "$XT_STDERR"
		xt_assert_match "report of the records before packet $n" \
			"\"frames\":$((n - 1))[,}]" "$(tr -d ' \n' <<<"$XT_STDOUT")"
		# tcpdump: the same packets, and its own exit status 1
		xt_assert_rc "tcpdump -r $(basename "$cut")" 1 tcpdump -n -r "$cut"
		xt_assert_eq "tcpdump's packets of $(basename "$cut")" "$((n - 1))" "$(grep -c . <<<"$XT_STDOUT")"
	done
	# -w: the file holds the whole records
	xt_assert_rc "xtap replay -r data-4.pcap -w" 1 "$XTAP" replay -r "$XT_TMP/data-4.pcap" -w "$XT_TMP/w.pcap"
	xt_assert_match "-w summary of a cut capture" "^3 frames read, 3 packets written" "$XT_STDOUT"
	xt_assert_eq "packets written from a cut capture" 3 \
		"$("$XT_PYTHON" "$XT_DIR/pcaptool.py" bytes "$XT_TMP/w.pcap" | grep -c .)"
	# a cut between two records is a shorter, valid capture
	cut=$XT_TMP/before-4.pcap
	xt_ok "cut before packet 4" "$XT_PYTHON" "$XT_DIR/pcaptool.py" cut "$whole" "$cut" 4 before
	xt_replay_json "$cut" "$XT_TMP/before-4.json"
	xt_assert_match "replay of a capture cut between records" '"frames":3[,}]' \
		"$(tr -d ' \n' <"$XT_TMP/before-4.json")"

	# pcapng: cut inside the block of the fourth packet
	xt_require editcap
	xt_ok "editcap to pcapng" editcap -F pcapng "$whole" "$XT_TMP/whole.pcapng"
	xt_ok "find the fourth packet's block" "$XT_PYTHON" -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n = 0, 0
while off + 8 <= len(d):
    t, ln = struct.unpack("<II", d[off:off + 8])
    if t == 6:
        n += 1
        if n == 4:
            print(off + ln // 2)
    off += ln
' "$XT_TMP/whole.pcapng"
	head -c "$XT_STDOUT" "$XT_TMP/whole.pcapng" >"$XT_TMP/cut.pcapng"
	xt_assert_rc "xtap replay -r cut.pcapng" 1 "$XTAP" replay -r "$XT_TMP/cut.pcapng" -j
	xt_assert_match "warning for cut.pcapng" "^xtap: replay $XT_TMP/cut.pcapng: packet 4: .+" "$XT_STDERR"
	xt_assert_match "report of cut.pcapng" '"frames":3[,}]' "$(tr -d ' \n' <<<"$XT_STDOUT")"
}

# same_as_tcpdump IN HOOK [EXPR...] : xtap replay --hook HOOK -w and
# tcpdump -r -w keep the same frames: times, lengths and bytes
same_as_tcpdump()
{
	local in=$1 hook=$2 want got
	shift 2
	xt_ok "xtap replay --hook $hook -w '$*'" "$XTAP" replay -r "$in" --hook "$hook" \
		-w "$XT_TMP/same.pcap" "$@"
	xt_ok "tcpdump -r -w '$*'" tcpdump -r "$in" -w "$XT_TMP/same-ref.pcap" "$@"
	want=$("$XT_PYTHON" "$XT_DIR/pcaptool.py" records "$XT_TMP/same-ref.pcap")
	got=$("$XT_PYTHON" "$XT_DIR/pcaptool.py" records "$XT_TMP/same.pcap")
	[ -n "$want" ] || xt_fail "tcpdump '$*' kept nothing of $(basename "$in"): a test that cannot fail"
	[ "$want" == "$got" ] || xt_fail "replay '$*': $(grep -c . <<<"$got") frames," \
		"tcpdump -r $(grep -c . <<<"$want"), or other times or bytes"
}

# Frames test-run cannot take as they are: runts (6 and 10 bytes) are
# counted as truncated_eth and still filtered (libpcap's interpreter) and
# written; a 100,000-byte frame, past the XDP test run's fragments, runs as
# its first bytes (counted in frames_cut) and is written whole; the replay
# goes on past both. -w keeps what tcpdump -r keeps.
test_replay_runts_and_jumbo()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap}
	[ -x "$mkpcap" ] || xt_skip "$mkpcap not built (make \$(BUILD)/tests/mkpcap)"
	xt_require tcpdump tshark
	local in=$XT_TMP/odd.pcap expr hook
	xt_ok "mkpcap -x" "$mkpcap" -x "$in"
	for hook in xdp tc-ingress; do
		xt_replay_json "$in" "$XT_TMP/odd-$hook.json" --hook "$hook"
		xt_ok "counts of the odd frames ($hook)" "$XT_PYTHON" -c '
import json, sys
d, hook = json.load(open(sys.argv[1])), sys.argv[2]
s = d["stats"]
assert d["frames"] == 67, d["frames"]
assert s["truncated_eth"] == 2, s
assert s["packets"] == 67, s
if hook == "xdp":
    assert d["frames_cut"] == 1 and 65536 < d["frames_cut_to"] < 100000, d
# the frames after the jumbo one were run: the ICMPv6 echoes before it and
# every conversation of the file are in the table
assert s["icmpv6"] == 6, s
' "$XT_TMP/odd-$hook.json" "$hook"
	done
	same_as_tcpdump "$in" xdp
	same_as_tcpdump "$in" xdp less 100 or greater 50000
	same_as_tcpdump "$in" tc-ingress less 100 or greater 50000
}

# pcap seconds are unsigned 32-bit: a capture at the signed limit
# (2038-01-19 03:14:07), in 2039, and at 2106-02-07 (the last second a pcap
# holds) replays with its own times: written back unchanged, and flows that
# start at them. pcapng carries 64-bit times: one in 2200 too.
test_replay_far_timestamps()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap}
	[ -x "$mkpcap" ] || xt_skip "$mkpcap not built (make \$(BUILD)/tests/mkpcap)"
	xt_require tshark editcap mergecap
	local t in=$XT_TMP/times.pcap want
	for t in 2147483646 2177452800 4294967294; do
		xt_ok "mkpcap -t $t" "$mkpcap" -t "$t" "$XT_TMP/t$t.pcap"
	done
	xt_ok "mergecap" mergecap -F nsecpcap -w "$in" "$XT_TMP"/t*.pcap
	# what tcpdump -r writes, and in pcapng what tshark reads of the input
	same_as_tcpdump "$in" xdp
	xt_ok "xtap replay -w --pcapng" "$XTAP" replay -r "$in" -w "$XT_TMP/t.pcapng" --pcapng
	xt_ok "tshark times" tshark -r "$in" -T fields -e frame.time_epoch
	want=$XT_STDOUT
	[ "$(head -c 10 <<<"$want")" == 2147483646 ] || xt_fail "tshark reads $(head -1 <<<"$want")"
	xt_ok "tshark times" tshark -r "$XT_TMP/t.pcapng" -T fields -e frame.time_epoch
	xt_assert_eq "pcapng times from 2038, 2039 and 2106" "$want" "$XT_STDOUT"
	for t in 2177452800 4294967294; do
		xt_replay_json "$XT_TMP/t$t.pcap" "$XT_TMP/t.json"
		xt_ok "flows start at $t" "$XT_PYTHON" -c '
import json, sys
d, t = json.load(open(sys.argv[1])), int(sys.argv[2])
syn = [f["syn_ns"] for f in d["flows"] if f.get("syn_ns") is not None]
assert syn, "no TCP flow"
for s in syn:
    assert t * 10**9 < s < (t + 2) * 10**9, (s, t)
' "$XT_TMP/t.json" "$t"
	done
	# pcapng past 2106: 64-bit seconds
	xt_ok "editcap to pcapng, moved to 2200" editcap -F pcapng -t 3000000000 \
		"$XT_TMP/t4294967294.pcap" "$XT_TMP/t2200.pcapng"
	xt_replay_json "$XT_TMP/t2200.pcapng" "$XT_TMP/t2200.json"
	xt_ok "flows start in 2200" "$XT_PYTHON" -c '
import json, sys
d, t = json.load(open(sys.argv[1])), 4294967294 + 3000000000
syn = [f["syn_ns"] for f in d["flows"] if f.get("syn_ns") is not None]
assert syn and all(t * 10**9 < s < (t + 2) * 10**9 for s in syn), syn
' "$XT_TMP/t2200.json"
	xt_ok "xtap replay -w of a pcapng in 2200" "$XTAP" replay -r "$XT_TMP/t2200.pcapng" \
		-w "$XT_TMP/o2200.pcapng" --pcapng
	xt_ok "tshark times" tshark -r "$XT_TMP/t2200.pcapng" -T fields -e frame.time_epoch
	want=$XT_STDOUT
	xt_ok "tshark times" tshark -r "$XT_TMP/o2200.pcapng" -T fields -e frame.time_epoch
	xt_assert_eq "pcapng times in 2200" "$want" "$XT_STDOUT"
}

# Filters that need what tcpdump gives libpcap: 'ip broadcast' (netmask 0
# for a file) and protochain (a loop) keep what tcpdump -r keeps, through
# each hook's capture filter.
test_replay_filters_like_tcpdump()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap}
	[ -x "$mkpcap" ] || xt_skip "$mkpcap not built (make \$(BUILD)/tests/mkpcap)"
	xt_require tcpdump tshark
	local in=$XT_TMP/f.pcap expr hook bcast=$XT_TMP/bcast.pcap
	xt_ok "mkpcap -x" "$mkpcap" -x "$in"
	# broadcasts: a DHCP discover to 255.255.255.255 from 0.0.0.0, and a
	# datagram to 10.66.0.255 (no broadcast with netmask 0)
	xt_ok "write broadcasts" "$XT_PYTHON" - "$in" "$bcast" <<-'PY'
	import struct, sys
	def ip(src, dst, n):
	    udp = struct.pack("!HHHH", 68, 67, 8 + n, 0) + bytes(n)
	    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
	    return b"\xff" * 6 + bytes.fromhex("02000000aa01") + b"\x08\x00" + h + udp
	d = open(sys.argv[1], "rb").read()
	out = d
	for i, (s, t) in enumerate([((0, 0, 0, 0), (255, 255, 255, 255)), ((10, 66, 0, 1), (10, 66, 0, 255)),
	                            ((10, 66, 0, 1), (0, 0, 0, 0))]):
	    f = ip(s, t, 40 + i)
	    out += struct.pack("<IIII", 1800000000 + i, 0, len(f), len(f)) + f
	open(sys.argv[2], "wb").write(out)
	PY
	for expr in 'ip broadcast' 'ip6 protochain 17' 'ip6 protochain 58' 'protochain 6'; do
		same_as_tcpdump "$bcast" xdp $expr
	done
	for hook in tc-ingress tc-egress; do
		same_as_tcpdump "$bcast" "$hook" ip6 protochain 17 or ip broadcast or protochain 6
	done
	xt_ok "tcpdump: broadcasts" tcpdump -n -r "$bcast" ip broadcast
	xt_assert_eq "broadcasts tcpdump finds" 2 "$(grep -c . <<<"$XT_STDOUT")"
}

# The flow table's size is set at load time: a table smaller than the
# capture's conversations evicts (least recently used first) and says how
# many; the full 1,048,576-entry table loads and holds them all.
test_replay_flow_table_size()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap}
	[ -x "$mkpcap" ] || xt_skip "$mkpcap not built (make \$(BUILD)/tests/mkpcap)"
	local pcap=$XT_TMP/crafted.pcap
	xt_ok "mkpcap" "$mkpcap" "$pcap"

	xt_replay_json "$pcap" "$XT_TMP/big.json" --flows 1048576
	local all
	all=$("$XT_PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
t, s = d["table"], d["stats"]
assert t["max"] == 1048576 and t["evicted"] == 0, t
assert t["used"] == len(d["flows"]) == s["flows_created"], (t, s)
print(t["used"])' "$XT_TMP/big.json") || xt_fail "1,048,576-entry table: $all"

	xt_replay_json "$pcap" "$XT_TMP/small.json" --flows 3
	"$XT_PYTHON" -c '
import json, sys
d, all = json.load(open(sys.argv[1])), int(sys.argv[2])
t, s = d["table"], d["stats"]
assert t["max"] == 3 and t["used"] == len(d["flows"]) <= 3, t
# every conversation was created at least once; what is gone was evicted
assert s["flows_created"] >= all, (s, all)
assert t["evicted"] == s["flows_created"] - t["used"] > 0, (t, s)
' "$XT_TMP/small.json" "$all" || xt_fail "3-entry table: eviction count does not add up: $(head -c 300 "$XT_TMP/small.json")"
	xt_info "$all conversations; a 3-entry table keeps 3 and reports the rest evicted"
}
