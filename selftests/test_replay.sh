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

# A capture cut short names the file and the packet that is incomplete.
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
		replay_error "$cut" "^xtap: replay $cut: packet $n: .*truncated"
	done
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
	replay_error "$XT_TMP/cut.pcapng" "^xtap: replay $XT_TMP/cut.pcapng: packet 4: .+"
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
