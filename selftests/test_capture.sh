# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap capture on live traffic between two namespaces, checked against
# tcpdump on the same interface with tshark; xtap replay -w against its input.

# cap_attach NS DEV : xtap attach DEV in NS (every hook), detached at cleanup
cap_attach()
{
	xt_ok "xtap attach $2" xt_ns "$1" "$XTAP" attach "$2"
	xt_defer xt_ns "$1" "$XTAP" detach "$2"
}

# cap_setup : a namespace pair with xtap attached on both ends
cap_setup()
{
	xt_require tcpdump tshark curl ping
	xt_pair
	cap_attach "$XT_NS_C" "$XT_IF_C"
	cap_attach "$XT_NS_S" "$XT_IF_S"
}

# cap_start VAR LOG ARGS... : xtap capture ARGS in the client namespace, once
# it is listening
cap_start()
{
	local __cs_var=$1 __cs_log=$2 __cs_pid
	shift 2
	xt_bg __cs_pid "$XT_NS_C" "$__cs_log" "$XTAP" capture "$@"
	xt_wait_log "xtap capture" "$__cs_pid" "$__cs_log" '^xtap: listening on'
	printf -v "$__cs_var" '%s' "$__cs_pid"
}

# cap_stop PID : SIGINT, as a user's ^C; the capture must exit 0 with a summary
cap_stop()
{
	local pid=$1 log=${XT_BGLOG[$1]} rc
	sleep 0.2
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do xt_alive "$pid" || break; sleep 0.1; done
	xt_alive "$pid" && xt_fail "xtap capture did not stop on SIGINT"
	wait "$pid"
	rc=$?
	xt_stop "$pid"
	[ "$rc" -eq 0 ] || xt_fail "xtap capture exited $rc: $(tail -n 4 "$log" | tr '\n' ' ')"
	grep -Eq '^[0-9]+ packets captured$' "$log" || xt_fail "no summary: $(tail -n 4 "$log")"
	grep -Eq '^0 packets dropped by kernel' "$log" || xt_fail "ring drops: $(grep dropped "$log")"
	grep -Eq '^0 packets not written' "$log" || xt_fail "not written: $(grep written "$log")"
}

# cap_tshark FILE ARGS... : tshark -r FILE ARGS; fails on any warning
cap_tshark()
{
	local f=$1
	shift
	xt_run tshark -r "$f" "$@"
	local warn
	warn=$(grep -v 'Running as user "root"' <<<"$XT_STDERR" | grep .)
	[ "$XT_RC" -eq 0 ] && [ -z "$warn" ] ||
		xt_fail "tshark -r $(basename "$f"): exit $XT_RC: $(xt_show "$XT_STDERR")"
}

# cap_summary FILE : one line per packet class with its count, and the frame
# lengths on the wire of each class, sorted
cap_summary()
{
	local f=$1 what
	for what in icmp "icmpv6.type == 128 || icmpv6.type == 129" tcp udp; do
		cap_tshark "$f" -Y "$what" -T fields -e frame.len
		printf '%s: %s packets, lengths %s\n' "$what" "$(grep -c . <<<"$XT_STDOUT")" \
			"$(sort -n <<<"$XT_STDOUT" | tr '\n' ' ')"
	done
}

# pings and HTTP over both families
cap_traffic()
{
	local www=$XT_TMP/www http url
	mkdir -p "$www"
	printf '<html><body>xtap capture</body></html>\n' >"$www/index.html"
	head -c 50000 /dev/urandom >"$www/big.bin"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	for url in "http://$XT_S4:8080/" "http://[$XT_S6]:8080/big.bin"; do
		xt_ok "curl $url" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "$url"
	done
	xt_ok "ping" xt_ns "$XT_NS_C" ping -c 3 -i 0.2 -W 1 -q "$XT_S4"
	xt_ok "ping -6" xt_ns "$XT_NS_C" ping -6 -c 3 -i 0.2 -W 1 -q "$XT_S6"
	xt_stop "$http"
}

# A capture stopped by SIGINT holds exactly what tcpdump saw on the same
# interface: the same packets of each class with the same lengths, both
# directions (inbound at XDP, outbound at TC egress), in time order.
test_capture_matches_tcpdump()
{
	local ref=$XT_TMP/tcpdump.pcap out=$XT_TMP/xtap.pcap cap xt
	cap_setup
	# a large buffer: with --immediate-mode each packet takes a snap-length slot
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$ref" -B 65536
	cap_start xt "$XT_TMP/capture.log" -i "$XT_IF_C" -w "$out"
	cap_traffic
	xt_capture_stop "$cap"
	cap_stop "$xt"

	[ "$(stat -c %a "$out")" = 600 ] || xt_fail "capture file mode $(stat -c %a "$out"), want 600"
	local want got
	want=$(cap_summary "$ref")
	got=$(cap_summary "$out")
	xt_assert_eq "packets per class, xtap capture against tcpdump" "$want" "$got"
	grep -q 'icmp: 6 packets' <<<"$got" || xt_fail "no echo request and reply: $got"
	# both directions of the echo: 3 requests out, 3 replies in
	cap_tshark "$out" -Y icmp -T fields -e icmp.type
	xt_assert_eq "ICMP types in time order" "8 0 8 0 8 0" "$(tr '\n' ' ' <<<"$XT_STDOUT" | sed 's/ $//')"
	cap_tshark "$out" -T fields -e frame.time_delta
	grep -q '^-' <<<"$XT_STDOUT" && xt_fail "packets out of time order"

	# pcapng: the same packets, an interface per hook, direction flags
	cap_start xt "$XT_TMP/capture-ng.log" -i "$XT_IF_C" -w "$XT_TMP/xtap.pcapng" --pcapng
	xt_ok "ping" xt_ns "$XT_NS_C" ping -c 2 -i 0.2 -W 1 -q "$XT_S4"
	cap_stop "$xt"
	cap_tshark "$XT_TMP/xtap.pcapng" -Y icmp -T fields -e frame.interface_name \
		-e frame.packet_flags_direction -e icmp.type -e frame.comment
	local got=$XT_STDOUT id ids cg
	id=$(sed -n 's/.*, flow \([0-9a-f]\{16\}\), direction .*/\1/p' <<<"$got" | sort -u)
	# ping's local cgroup (this shell's, cgroup v2) ends each comment
	cg=$(sed -n 's/^0::\(.*\)$/, cgroup \1/p' /proc/self/cgroup)
	xt_assert_eq "pcapng interfaces, directions, comments" \
"$XT_IF_C@tc-egress	0x00000002	8	hook tc-egress, flow $id, direction ab$cg
$XT_IF_C@xdp	0x00000001	0	hook xdp, flow $id, direction ba$cg
$XT_IF_C@tc-egress	0x00000002	8	hook tc-egress, flow $id, direction ab$cg
$XT_IF_C@xdp	0x00000001	0	hook xdp, flow $id, direction ba$cg" "$got"
	# the flow id in the comments is the one xtap flows -j shows for the echo
	xt_ok "xtap flows -j" xt_ns "$XT_NS_C" "$XTAP" flows -j
	ids=$(python3 -c 'import json, sys
def walk(o):
    if isinstance(o, dict):
        if "flow_id" in o and str(o.get("proto")).lower() == "icmp":
            print(o["flow_id"])
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(sys.stdin))' <<<"$XT_STDOUT")
	grep -qx "$id" <<<"$ids" || xt_fail "flow id $id is not an ICMP flow of xtap flows -j: $ids"
}

# cap_bytes FILE : each packet's wire length and bytes, sorted
cap_bytes()
{
	python3 "$XT_HERE/pcaptool.py" bytes "$1" | sort
}

# Two captures with different filters run at once, each next to a tcpdump
# with the same expression on the same interface: each file holds exactly
# the packets, byte for byte, of its tcpdump.
test_capture_filter_matches_tcpdump()
{
	local e1='icmp' e2='ip6 and tcp port 8080' r1 r2 x1 x2 want got
	cap_setup
	xt_capture_start r1 "$XT_NS_C" "$XT_IF_C" "$XT_TMP/ref1.pcap" -B 65536 "$e1"
	xt_capture_start r2 "$XT_NS_C" "$XT_IF_C" "$XT_TMP/ref2.pcap" -B 65536 "$e2"
	cap_start x1 "$XT_TMP/cap1.log" -i "$XT_IF_C" -w "$XT_TMP/xtap1.pcap" "$e1"
	cap_start x2 "$XT_TMP/cap2.log" -i "$XT_IF_C" -w "$XT_TMP/xtap2.pcap" ip6 and tcp port 8080
	cap_traffic
	xt_capture_stop "$r1"
	xt_capture_stop "$r2"
	cap_stop "$x1"
	cap_stop "$x2"
	want=$(cap_bytes "$XT_TMP/ref1.pcap")
	got=$(cap_bytes "$XT_TMP/xtap1.pcap")
	xt_assert_eq "'$e1': packets in xtap capture and tcpdump" "$(grep -c . <<<"$want")" \
		"$(grep -c . <<<"$got")"
	[ "$want" == "$got" ] || xt_fail "'$e1': the packets differ from tcpdump's"
	xt_assert_eq "'$e1': echo requests and replies" 6 "$(grep -c . <<<"$got")"
	want=$(cap_bytes "$XT_TMP/ref2.pcap")
	got=$(cap_bytes "$XT_TMP/xtap2.pcap")
	xt_assert_eq "'$e2': packets in xtap capture and tcpdump" "$(grep -c . <<<"$want")" \
		"$(grep -c . <<<"$got")"
	[ "$want" == "$got" ] || xt_fail "'$e2': the packets differ from tcpdump's"
	[ "$(grep -c . <<<"$got")" -gt 10 ] || xt_fail "'$e2': only $(grep -c . <<<"$got") packets"
	cap_tshark "$XT_TMP/xtap2.pcap" -Y "!(ipv6 && tcp.port == 8080)" -T fields -e frame.number
	xt_assert_eq "'$e2': packets that do not match" "" "$XT_STDOUT"
}

# Jumbo frames (veth MTU 9000): captured whole by default, as tcpdump
# captures them, in both directions; -s still cuts them.
test_capture_jumbo()
{
	local ref=$XT_TMP/tcpdump.pcap cap xt want got
	xt_require tcpdump tshark ping
	xt_pair
	xt_ok "MTU 9000 ($XT_IF_C)" xt_ns "$XT_NS_C" ip link set "$XT_IF_C" mtu 9000
	xt_ok "MTU 9000 ($XT_IF_S)" xt_ns "$XT_NS_S" ip link set "$XT_IF_S" mtu 9000
	cap_attach "$XT_NS_C" "$XT_IF_C"
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$ref" -B 65536 icmp
	cap_start xt "$XT_TMP/jumbo.log" -i "$XT_IF_C" -w "$XT_TMP/xtap.pcap" icmp
	xt_ok "ping -s 8900" xt_ns "$XT_NS_C" ping -c 3 -i 0.2 -W 1 -q -s 8900 -M do "$XT_S4"
	xt_capture_stop "$cap"
	cap_stop "$xt"
	grep -q 'snapshot length 262144 bytes' "$XT_TMP/jumbo.log" ||
		xt_fail "default snap length: $(head -n 1 "$XT_TMP/jumbo.log")"
	want=$(cap_bytes "$ref")
	got=$(cap_bytes "$XT_TMP/xtap.pcap")
	xt_assert_eq "jumbo frames in xtap capture and tcpdump" "$(grep -c . <<<"$want")" \
		"$(grep -c . <<<"$got")"
	[ "$want" == "$got" ] || xt_fail "the jumbo frames differ from tcpdump's"
	xt_assert_eq "8942-byte frames, both directions" 6 "$(grep -c '^8942 ' <<<"$got")"
	xt_assert_eq "captured whole" "" "$(awk 'length($2) != 2 * $1' <<<"$got")"

	xt_bg cap "$XT_NS_C" "$XT_TMP/ping.log" ping -c 1200 -i 0.1 -W 1 -q -s 8900 "$XT_S4"
	xt_ok "xtap capture -s 5000" xt_ns "$XT_NS_C" timeout 20 "$XTAP" capture -i "$XT_IF_C" \
		-w "$XT_TMP/snap.pcap" -c 2 -s 5000 icmp
	cap_tshark "$XT_TMP/snap.pcap" -T fields -e frame.cap_len -e frame.len
	xt_assert_eq "jumbo frames cut at 5000 bytes" $'5000\t8942\n5000\t8942' "$XT_STDOUT"
	xt_stop "$cap"
}

# -w - streams to stdout, and -c COUNT stops the capture by itself.
test_capture_stdout_and_count()
{
	local ping
	cap_setup
	# pings until stopped: the three captures take what comes, however slow
	xt_bg ping "$XT_NS_C" "$XT_TMP/ping.log" ping -c 1200 -i 0.1 -W 1 "$XT_S4"
	# frames other than the echo (ARP, neighbour discovery) may come too
	xt_ok "xtap capture -w - -c 4 | tshark -r -" xt_ns "$XT_NS_C" timeout 20 bash -c \
		'set -o pipefail; "$1" capture -i "$2" -w - -c 4 --hook xdp 2>"$3" |
		 tshark -r - -T fields -e frame.len 2>/dev/null' _ "$XTAP" "$XT_IF_C" "$XT_TMP/stdout.log"
	xt_assert_eq "frames read from the pipe" 4 "$(grep -c . <<<"$XT_STDOUT")"
	grep -q '^4 packets captured$' "$XT_TMP/stdout.log" ||
		xt_fail "summary: $(cat "$XT_TMP/stdout.log")"

	xt_ok "xtap capture -c 5" xt_ns "$XT_NS_C" timeout 20 "$XTAP" capture -i "$XT_IF_C" \
		-w "$XT_TMP/five.pcap" -c 5
	xt_assert_match "summary of -c 5" '5 packets captured' "$XT_STDERR"
	cap_tshark "$XT_TMP/five.pcap" -T fields -e frame.number
	xt_assert_eq "packets in the -c 5 file" 5 "$(grep -c . <<<"$XT_STDOUT")"

	# -s: each packet cut at 42 bytes, the wire length kept
	xt_ok "xtap capture -s 42" xt_ns "$XT_NS_C" timeout 20 "$XTAP" capture -i "$XT_IF_C" \
		-w "$XT_TMP/snap.pcap" -c 3 -s 42 --hook xdp
	cap_tshark "$XT_TMP/snap.pcap" -T fields -e frame.cap_len -e frame.len
	xt_assert_eq "frames in the -s 42 file" 3 "$(grep -c . <<<"$XT_STDOUT")"
	xt_assert_eq "frames not cut at 42 bytes" "" \
		"$(awk '$1 != ($2 < 42 ? $2 : 42)' <<<"$XT_STDOUT")"
	grep -q '^42	98$' <<<"$XT_STDOUT" || xt_fail "no echo reply cut at 42 bytes: $XT_STDOUT"
	xt_stop "$ping"
}

# Usage errors and what capture says when there is nothing to read.
test_capture_errors()
{
	cap_setup
	xt_assert_rc "an invalid filter expression" 2 xt_ns "$XT_NS_C" "$XTAP" capture \
		-i "$XT_IF_C" -w "$XT_TMP/x.pcap" tcp port
	xt_assert_eq "filter message (libpcap's)" \
		"xtap: capture: filter 'tcp port': can't parse filter expression: syntax error" \
		"$XT_STDERR"
	[ -e "$XT_TMP/x.pcap" ] && xt_fail "a refused capture created its file"
	xt_assert_rc "replay with an invalid filter" 2 "$XTAP" replay -r /dev/null \
		-w "$XT_TMP/x.pcap" host nosuchhost.invalid
	xt_assert_match "replay filter message" "replay: filter 'host nosuchhost.invalid': " "$XT_STDERR"
	xt_assert_rc "-w is required" 2 xt_ns "$XT_NS_C" "$XTAP" capture -i "$XT_IF_C"
	xt_assert_rc "an interface not attached" 1 xt_ns "$XT_NS_C" "$XTAP" capture -i lo \
		-w "$XT_TMP/x.pcap"
	xt_assert_eq "message for an interface not attached" \
		"xtap: capture: lo: not attached (run 'xtap attach lo' first)" "$XT_STDERR"
	xt_assert_rc "a bad --hook" 2 xt_ns "$XT_NS_C" "$XTAP" capture -w "$XT_TMP/x.pcap" --hook nope
}

# -B sets the ring's size. A ring that fills while its reader is stopped
# drops what does not fit, counted in the summary, and the file holds
# exactly the packets the summary says were captured.
test_capture_ring_full()
{
	local pid log rc captured dropped
	cap_setup
	xt_assert_rc "-B below a jumbo frame's record" 2 xt_ns "$XT_NS_C" "$XTAP" capture \
		-i "$XT_IF_C" -w "$XT_TMP/x.pcap" -B 16
	xt_assert_match "-B message" "capture: -B 16: not a ring size in KiB" "$XT_STDERR"
	cap_start pid "$XT_TMP/rf.log" -i "$XT_IF_C" -w "$XT_TMP/rf.pcap" --hook xdp -B 256
	kill -STOP "$pid"
	# 300 echo replies of 1442 bytes at C's XDP: some 440 kB for a 256 KiB ring
	xt_ok "ping while the capture is stopped" xt_ns "$XT_NS_C" ping -c 300 -i 0.002 -s 1400 \
		-W 1 -q "$XT_S4"
	kill -CONT "$pid"
	sleep 0.3
	kill -INT "$pid"
	for ((i = 0; i < 50; i++)); do xt_alive "$pid" || break; sleep 0.1; done
	xt_alive "$pid" && xt_fail "xtap capture did not stop on SIGINT"
	wait "$pid"
	rc=$?
	log=$XT_TMP/rf.log
	[ "$rc" -eq 0 ] || xt_fail "xtap capture exited $rc: $(tail -n 4 "$log" | tr '\n' ' ')"
	captured=$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' "$log")
	dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel (capture ring full)$/\1/p' "$log")
	[ -n "$captured" ] && [ -n "$dropped" ] || xt_fail "no summary: $(tail -n 4 "$log")"
	[ "$dropped" -gt 0 ] || xt_fail "a 256 KiB ring took 300 frames of 1442 bytes: $(cat "$log")"
	[ "$captured" -gt 100 ] || xt_fail "only $captured packets in a 256 KiB ring"
	# the replies, and any ARP or neighbour discovery that came along
	[ $((captured + dropped)) -ge 300 ] && [ $((captured + dropped)) -le 310 ] ||
		xt_fail "captured $captured + dropped $dropped is not the 300 replies"
	cap_tshark "$XT_TMP/rf.pcap" -T fields -e frame.number
	xt_assert_eq "packets in the file of a full ring" "$captured" "$(grep -c . <<<"$XT_STDOUT")"
}

# replay -w writes the frames of its input with their times, as the live path
# would capture them; -s cuts them.
test_capture_replay_write()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap} in=$XT_TMP/in.pcap
	xt_require tshark
	[ -x "$mkpcap" ] || xt_skip "needs $mkpcap (make $(dirname "$XTAP")/tests/mkpcap)"
	xt_ok "mkpcap" "$mkpcap" "$in"
	local want got fmt
	for fmt in pcap pcapng; do
		local out=$XT_TMP/out.$fmt args=()
		[ "$fmt" = pcapng ] && args=(--pcapng)
		xt_ok "xtap replay -w ($fmt)" "$XTAP" replay -r "$in" -w "$out" "${args[@]}"
		cap_tshark "$in" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.protocols
		want=$XT_STDOUT
		cap_tshark "$out" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.protocols
		xt_assert_eq "replay -w $fmt: times, lengths, protocols" "$want" "$XT_STDOUT"
		cap_tshark "$in" -x
		want=$(grep -E '^[0-9a-f]{4}  ' <<<"$XT_STDOUT")
		cap_tshark "$out" -x
		got=$(grep -E '^[0-9a-f]{4}  ' <<<"$XT_STDOUT")
		[ "$want" == "$got" ] || xt_fail "replay -w $fmt: the bytes differ from the input"
	done
	# --sample-flows 1: fewer frames, but every SYN, FIN and RST of the input
	local edges='tcp.flags.syn == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1' n_in n_out
	xt_ok "xtap replay -w --sample-flows 1" "$XTAP" replay -r "$in" -w "$XT_TMP/flows.pcap" \
		--sample-flows 1
	cap_tshark "$in" -Y "$edges" -T fields -e frame.time_epoch
	want=$XT_STDOUT
	cap_tshark "$XT_TMP/flows.pcap" -Y "$edges" -T fields -e frame.time_epoch
	xt_assert_eq "SYN, FIN and RST kept by --sample-flows" "$want" "$XT_STDOUT"
	cap_tshark "$in" -T fields -e frame.number
	n_in=$(grep -c . <<<"$XT_STDOUT")
	cap_tshark "$XT_TMP/flows.pcap" -T fields -e frame.number
	n_out=$(grep -c . <<<"$XT_STDOUT")
	[ "$n_out" -lt "$n_in" ] || xt_fail "--sample-flows 1 kept $n_out of $n_in frames"

	# a filter: the frames tcpdump -r keeps with the same expression, byte for byte
	local expr
	for expr in 'ip6 and not icmp6' 'icmp or arp or udp' 'greater 200 and not ip6' vlan; do
		xt_ok "xtap replay -w '$expr'" "$XTAP" replay -r "$in" -w "$XT_TMP/f.pcap" $expr
		xt_ok "tcpdump -r -w '$expr'" tcpdump -r "$in" -w "$XT_TMP/f-ref.pcap" "$expr"
		want=$(cap_bytes "$XT_TMP/f-ref.pcap")
		got=$(cap_bytes "$XT_TMP/f.pcap")
		[ -n "$got" ] || xt_fail "replay '$expr' kept nothing"
		[ "$want" == "$got" ] || xt_fail "replay '$expr': $(grep -c . <<<"$got") frames," \
			"tcpdump -r $(grep -c . <<<"$want")"
	done

	xt_ok "xtap replay -w -s 60" "$XTAP" replay -r "$in" -w "$XT_TMP/snap.pcap" -s 60
	cap_tshark "$XT_TMP/snap.pcap" -T fields -e frame.cap_len
	xt_assert_eq "no frame longer than 60 bytes" "" "$(awk '$1 > 60' <<<"$XT_STDOUT")"

	# a filter on the length of frames the file cut: `greater` sees the
	# length they had on the wire, as tcpdump -r does
	xt_ok "xtap replay -w 'greater 200' of a cut file" \
		"$XTAP" replay -r "$XT_TMP/snap.pcap" -w "$XT_TMP/g.pcap" greater 200
	xt_ok "tcpdump -r -w 'greater 200' of a cut file" \
		tcpdump -r "$XT_TMP/snap.pcap" -w "$XT_TMP/g-ref.pcap" greater 200
	want=$(cap_bytes "$XT_TMP/g-ref.pcap")
	got=$(cap_bytes "$XT_TMP/g.pcap")
	[ -n "$got" ] || xt_fail "replay 'greater 200' of a cut file kept nothing"
	[ "$want" == "$got" ] || xt_fail "replay 'greater 200' of a cut file:" \
		"$(grep -c . <<<"$got") frames, tcpdump -r $(grep -c . <<<"$want")"
}

# A full disk ends the capture with an error and a file that is whole up to
# its last packet; the summary says how many were not written.
test_capture_full_disk()
{
	local small=$XT_TMP/small xt ping
	cap_setup
	mkdir -p "$small"
	mount -t tmpfs -o size=256k tmpfs "$small" || xt_skip "cannot mount a tmpfs"
	xt_defer umount "$small"
	cap_start xt "$XT_TMP/full.log" -i "$XT_IF_C" -w "$small/full.pcap"
	xt_bg ping "$XT_NS_C" "$XT_TMP/ping.log" ping -c 2000 -i 0.002 -s 1400 -W 1 -q "$XT_S4"
	for ((i = 0; i < 200; i++)); do xt_alive "$xt" || break; sleep 0.1; done
	xt_alive "$xt" && xt_fail "xtap capture still running on a full disk"
	wait "$xt"
	local rc=$?
	xt_stop "$xt"
	xt_stop "$ping"
	xt_assert_eq "exit code on a full disk" 1 "$rc"
	local log
	log=$(cat "$XT_TMP/full.log")
	xt_assert_match "error on a full disk" "xtap: capture: $small/full.pcap: No space left on device" "$log"
	xt_assert_match "summary on a full disk" $'[0-9]+ packets captured\n0 packets dropped by kernel \\(capture ring full\\)\n[1-9][0-9]* packets not written' "$log"
	local n
	n=$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' <<<"$log")
	cap_tshark "$small/full.pcap" -T fields -e frame.number
	xt_assert_eq "packets in the file of a full disk" "$n" "$(grep -c . <<<"$XT_STDOUT")"
	[ "$n" -gt 50 ] || xt_fail "only $n packets before the disk was full"
}

# -C starts a new file once one is larger than the size, -W keeps that many
# (overwriting the oldest); every file is whole and the packets add up.
test_capture_rotation()
{
	local ping f n total=0
	cap_setup
	# long enough for both captures, each of which holds packets back for its
	# reorder window (XTAP_CAPTURE_REORDER_NS) and reads the files between them
	xt_bg ping "$XT_NS_C" "$XT_TMP/ping.log" ping -c 1000 -i 0.01 -s 1000 -W 1 -q "$XT_S4"
	# 1042-byte echoes: 10 of them to a file of 10 kB and a bit
	xt_ok "xtap capture -C 0.01" xt_ns "$XT_NS_C" timeout 30 "$XTAP" capture -i "$XT_IF_C" \
		-w "$XT_TMP/rot.pcap" -C 0.01 -c 40 --hook xdp
	for f in "$XT_TMP"/rot.pcap "$XT_TMP"/rot.pcap[1-9]*; do
		[ "$(stat -c %s "$f")" -le $((10000 + 1100)) ] || xt_fail "$(basename "$f") is too large"
		cap_tshark "$f" -T fields -e frame.number
		total=$((total + $(grep -c . <<<"$XT_STDOUT")))
	done
	xt_assert_eq "packets in all the rotated files" 40 "$total"
	[ -e "$XT_TMP/rot.pcap3" ] || xt_fail "no rot.pcap3: $(ls "$XT_TMP")"

	# -W 3: rot0 rot1 rot2 only, the newest packets kept
	xt_ok "xtap capture -C 0.01 -W 3 --pcapng" xt_ns "$XT_NS_C" timeout 30 "$XTAP" capture \
		-i "$XT_IF_C" -w "$XT_TMP/ring" -C 0.01 -W 3 -c 40 --hook xdp --pcapng
	xt_assert_eq "files of -W 3" "ring0 ring1 ring2" "$(cd "$XT_TMP" && echo ring*)"
	total=0
	for f in "$XT_TMP"/ring*; do
		cap_tshark "$f" -T fields -e frame.interface_name
		n=$(grep -c . <<<"$XT_STDOUT")
		total=$((total + n))
		[ "$n" -gt 0 ] || xt_fail "$(basename "$f") holds no packet"
		grep -qv "^$XT_IF_C@xdp$" <<<"$XT_STDOUT" && xt_fail "$(basename "$f"): interface names"
	done
	[ "$total" -lt 40 ] || xt_fail "-W 3 kept all $total packets: nothing was overwritten"
	xt_stop "$ping"
}
