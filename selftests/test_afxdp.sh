# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap capture --afxdp on real frames sent over a veth pair into a namespace:
# every frame sent is in the file byte for byte, sampling is within its
# bounds, SIGINT leaves a valid file, and the interface is left as it was.

# afx_setup : namespaces C and S joined by a veth pair (no IPv6: a quiet
# link), IPv4 addresses, xtap attached on S's end. Sets AFX_MAC (S's end).
afx_setup()
{
	xt_require tshark tcpdump ping
	local ns
	xt_ns_new XT_NS_C c
	xt_ns_new XT_NS_S s
	for ns in "$XT_NS_C" "$XT_NS_S"; do
		xt_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || xt_fail "$ns: cannot disable IPv6"
	done
	XT_IF_C=$(xt_name c0) || exit 1
	XT_IF_S=$(xt_name s0) || exit 1
	xt_veth "$XT_NS_C" "$XT_IF_C" "$XT_NS_S" "$XT_IF_S"
	xt_addr "$XT_NS_C" "$XT_IF_C" 10.79.0.1/24
	xt_addr "$XT_NS_S" "$XT_IF_S" 10.79.0.2/24
	xt_ok "xtap attach $XT_IF_S" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	AFX_MAC=$(xt_ns "$XT_NS_S" ip -br link show dev "$XT_IF_S" | awk '{print $3}')
	[ -n "$AFX_MAC" ] || xt_fail "no MAC address on $XT_IF_S"
}

# afx_start VAR LOG ARGS... : xtap capture --afxdp -i S's end ARGS, once listening
afx_start()
{
	local __as_var=$1 __as_log=$2 __as_pid
	shift 2
	xt_bg __as_pid "$XT_NS_S" "$__as_log" "$XTAP" capture --afxdp -i "$XT_IF_S" "$@"
	xt_wait_log "xtap capture --afxdp" "$__as_pid" "$__as_log" '^xtap: listening on'
	printf -v "$__as_var" '%s' "$__as_pid"
}

# afx_stop PID : SIGINT; the capture must exit 0 with a summary
afx_stop()
{
	local pid=$1 log=${XT_BGLOG[$1]} rc i
	sleep 0.2
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do xt_alive "$pid" || break; sleep 0.1; done
	xt_alive "$pid" && xt_fail "xtap capture --afxdp did not stop on SIGINT"
	wait "$pid"
	rc=$?
	xt_stop "$pid"
	[ "$rc" -eq 0 ] || xt_fail "xtap capture --afxdp exited $rc: $(tail -n 4 "$log" | tr '\n' ' ')"
	grep -Eq '^[0-9]+ packets captured$' "$log" || xt_fail "no summary: $(tail -n 4 "$log")"
}

# afx_count LOG WHAT : the number on the summary line "N packets WHAT..."
afx_count() { sed -n "s/^\([0-9][0-9]*\) packets $2.*/\1/p" "$1"; }

# afx_frames FILE [FILTER] : tshark -r FILE; fails on any warning; the
# number of frames (matching the display FILTER) on stdout
afx_frames()
{
	local f=$1
	shift
	xt_run tshark -r "$f" "$@"
	local warn
	warn=$(grep -v 'Running as user "root"' <<<"$XT_STDERR" | grep .)
	[ "$XT_RC" -eq 0 ] && [ -z "$warn" ] ||
		xt_fail "tshark -r $(basename "$f"): exit $XT_RC: $(xt_show "$XT_STDERR")"
	grep -c . <<<"$XT_STDOUT"
}

# afx_state : what xtap status and ip link say about S's end
afx_state()
{
	xt_ns "$XT_NS_S" "$XTAP" status | grep -v '^flow table'
	xt_ns "$XT_NS_S" ip -d link show dev "$XT_IF_S" | grep -o 'prog/xdp id [0-9]*'
}

# Every frame sent (60 to 1514 bytes) is in the file byte for byte; the
# frames are consumed while the capture runs, the flow accounting still sees
# them, and afterwards the interface is as it was.
test_afxdp_frames_exact()
{
	local sent=$XT_TMP/sent.pcap out=$XT_TMP/afxdp.pcap log=$XT_TMP/afxdp.log cap before
	afx_setup
	before=$(afx_state)
	afx_start cap "$log" -w "$out"
	grep -Eq 'AF_XDP, 1 socket, (copy mode|zero-copy)' "$log" ||
		xt_fail "listening line: $(head -n 1 "$log")"
	xt_ok "send 300 frames" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_DIR/rawsend.py" "$XT_IF_C" \
		"$AFX_MAC" "$sent" 300 60,61,128,1000,1513,1514
	# the port is for capture only: ARP does not reach the stack
	xt_assert_rc "ping while the frames are taken" 1 xt_ns "$XT_NS_C" ping -c 1 -W 1 -q 10.79.0.2
	afx_stop "$cap"

	[ "$(stat -c %a "$out")" = 600 ] || xt_fail "capture file mode $(stat -c %a "$out"), want 600"
	local n_file n_udp captured
	n_file=$(afx_frames "$out")
	n_udp=$(afx_frames "$out" -Y "udp.dstport == 7777")
	captured=$(afx_count "$log" captured)
	xt_assert_eq "frames of the test in the file" 300 "$n_udp"
	xt_assert_eq "summary: captured, against the file" "$n_file" "$captured"
	xt_assert_eq "summary: dropped" 0 "$(afx_count "$log" dropped)"
	xt_assert_eq "summary: not written" 0 "$(afx_count "$log" 'not written')"
	local want got
	xt_run tshark -r "$sent" -x
	want=$(grep -E '^[0-9a-f]{4}  ' <<<"$XT_STDOUT")
	xt_run tshark -r "$out" -Y "udp.dstport == 7777" -x
	got=$(grep -E '^[0-9a-f]{4}  ' <<<"$XT_STDOUT")
	[ -n "$want" ] && [ "$want" == "$got" ] || xt_fail "the captured bytes differ from the frames sent"
	xt_run tshark -r "$out" -Y "udp.dstport == 7777" -T fields -e frame.len -e frame.cap_len
	xt_assert_eq "frames cut" "" "$(awk '$1 != $2' <<<"$XT_STDOUT")"
	# the receive time comes from the kernel: within the last minute
	xt_run tshark -r "$out" -c 1 -T fields -e frame.time_epoch
	local t now
	t=${XT_STDOUT%%.*} now=$(date +%s)
	[ -n "$t" ] && [ "$t" -le "$now" ] && [ "$t" -gt $((now - 60)) ] ||
		xt_fail "first frame's time $XT_STDOUT, now $now"

	# tap_core ran before the redirect: the frames are counted
	xt_ok "xtap stats -j" xt_ns "$XT_NS_S" "$XTAP" stats -j
	local udp
	udp=$(XT_JSON=$XT_STDOUT "$XT_PYTHON" -c '
import json, os
doc = json.loads(os.environ["XT_JSON"])
print(doc["interfaces"][0]["hooks"]["xdp"].get("udp", 0))')
	[ "$udp" -ge 300 ] || xt_fail "xdp counted $udp UDP frames, want at least 300"

	xt_assert_eq "interface state after the capture" "$before" "$(afx_state)"
	xt_wait_for "ping after the capture" 5 xt_ping_ok "$XT_NS_C" 10.79.0.2
}

# --sample 4: about a quarter of the frames go to the file, the rest to the
# stack (tcpdump on the same port sees exactly those); pcapng and a filter.
test_afxdp_sample()
{
	local out=$XT_TMP/afxdp.pcapng log=$XT_TMP/afxdp.log ref=$XT_TMP/passed.pcap cap td
	afx_setup
	xt_capture_start td "$XT_NS_S" "$XT_IF_S" "$ref" -B 65536 udp port 7777
	afx_start cap "$log" -w "$out" --pcapng --sample 4 udp port 7777
	xt_ok "send 4000 frames" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_DIR/rawsend.py" "$XT_IF_C" \
		"$AFX_MAC" "$XT_TMP/sent.pcap" 4000 60
	afx_stop "$cap"
	xt_capture_stop "$td"
	local n_file n_passed captured
	n_file=$(afx_frames "$out" -Y "udp.dstport == 7777")
	n_passed=$(afx_frames "$ref" -Y "udp.dstport == 7777")
	captured=$(afx_count "$log" captured)
	xt_assert_eq "summary: captured, against the file" "$n_file" "$captured"
	xt_assert_eq "summary: dropped" 0 "$(afx_count "$log" dropped)"
	xt_assert_eq "frames in the file and frames passed" 4000 $((n_file + n_passed))
	# binomial(4000, 1/4): mean 1000, sd 27.4; 5 sd either side
	[ "$n_file" -ge 863 ] && [ "$n_file" -le 1137 ] ||
		xt_fail "--sample 4 kept $n_file of 4000 frames, want 863..1137"
	xt_run tshark -r "$out" -c 1 -T fields -e frame.interface_name -e frame.packet_flags_direction
	xt_assert_eq "pcapng interface and direction" "$XT_IF_S@xdp	0x00000001" "$XT_STDOUT"
}

# SIGINT while frames stream in leaves a file tshark reads, and the summary
# agrees with it.
test_afxdp_sigint_midstream()
{
	local out=$XT_TMP/afxdp.pcap log=$XT_TMP/afxdp.log cap snd sent
	afx_setup
	afx_start cap "$log" -w "$out"
	xt_bg snd "$XT_NS_C" "$XT_TMP/send.log" "$XT_PYTHON" "$XT_DIR/rawsend.py" "$XT_IF_C" \
		"$AFX_MAC" - 20
	sleep 1
	xt_alive "$snd" || xt_fail "sender exited: $(cat "$XT_TMP/send.log")"
	afx_stop "$cap"
	xt_stop "$snd" INT
	sent=$(sed -n 's/^sent //p' "$XT_TMP/send.log")
	local n_file captured dropped
	n_file=$(afx_frames "$out")
	captured=$(afx_count "$log" captured)
	dropped=$(afx_count "$log" dropped)
	xt_assert_eq "summary: captured, against the file" "$n_file" "$captured"
	xt_assert_eq "summary: not written" 0 "$(afx_count "$log" 'not written')"
	[ "$captured" -gt 0 ] || xt_fail "nothing captured"
	[ -n "$sent" ] && [ $((captured + dropped)) -le "$sent" ] ||
		xt_fail "captured $captured + dropped $dropped, sent '$sent'"
}

# Generic XDP and a veth with 4 RX queues: one socket per queue, copy mode,
# and every frame sent (16 flows, spread over the queues) is in the file.
test_afxdp_generic_queues()
{
	local sent=$XT_TMP/sent.pcap out=$XT_TMP/afxdp.pcap log=$XT_TMP/afxdp.log cap
	xt_require tshark
	xt_ns_new XT_NS_C c
	xt_ns_new XT_NS_S s
	XT_IF_C=$(xt_name c0) || exit 1
	XT_IF_S=$(xt_name s0) || exit 1
	ip link add "$XT_IF_C" netns "$XT_NS_C" numtxqueues 4 numrxqueues 4 type veth peer name \
		"$XT_IF_S" netns "$XT_NS_S" numtxqueues 4 numrxqueues 4 || xt_fail "cannot create veth"
	xt_link_register "$XT_NS_C" "$XT_IF_C"
	xt_ns "$XT_NS_C" ip link set "$XT_IF_C" up
	xt_ns "$XT_NS_S" ip link set "$XT_IF_S" up
	xt_ok "xtap attach --mode generic" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S" --mode generic
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	AFX_MAC=$(xt_ns "$XT_NS_S" ip -br link show dev "$XT_IF_S" | awk '{print $3}')
	afx_start cap "$log" -w "$out" udp port 7777
	grep -q 'AF_XDP, 4 sockets, copy mode' "$log" || xt_fail "listening line: $(head -n 1 "$log")"
	xt_ok "send 160 frames" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_DIR/rawsend.py" "$XT_IF_C" \
		"$AFX_MAC" "$sent" 160 60,1514
	afx_stop "$cap"
	xt_assert_eq "frames in the file" 160 "$(afx_frames "$out")"
	xt_assert_eq "summary: captured" 160 "$(afx_count "$log" captured)"
}

# What --afxdp refuses, with a one-line error.
test_afxdp_errors()
{
	afx_setup
	xt_assert_rc "--afxdp without -i" 2 xt_ns "$XT_NS_S" "$XTAP" capture --afxdp -w "$XT_TMP/x.pcap"
	xt_assert_rc "--afxdp --sample-flows" 2 xt_ns "$XT_NS_S" "$XTAP" capture --afxdp \
		-i "$XT_IF_S" -w "$XT_TMP/x.pcap" --sample-flows 3
	xt_assert_rc "--afxdp --hook" 2 xt_ns "$XT_NS_S" "$XTAP" capture --afxdp \
		-i "$XT_IF_S" -w "$XT_TMP/x.pcap" --hook tc-egress
	xt_assert_rc "--afxdp on an interface not attached" 1 xt_ns "$XT_NS_S" "$XTAP" capture \
		--afxdp -i lo -w "$XT_TMP/x.pcap"
	xt_assert_eq "message" "xtap: capture: lo: not attached (run 'xtap attach lo' first)" \
		"$XT_STDERR"
	# a usage error, checked before anything is opened, as without --afxdp
	xt_assert_rc "a filter libpcap cannot compile" 2 xt_ns "$XT_NS_S" "$XTAP" capture \
		--afxdp -i "$XT_IF_S" -w "$XT_TMP/x.pcap" no such filter
	xt_assert_match "filter message" "^xtap: capture: filter 'no such filter': " "$XT_STDERR"
	[ -e "$XT_TMP/x.pcap" ] && xt_fail "a refused capture left its file"
	# an interface attached without XDP
	xt_ok "detach" xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	xt_ok "attach tc only" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S" --hooks tc-ingress,tc-egress
	xt_assert_rc "--afxdp without XDP" 1 xt_ns "$XT_NS_S" "$XTAP" capture --afxdp \
		-i "$XT_IF_S" -w "$XT_TMP/x.pcap"
	xt_assert_match "message" "needs the XDP hook" "$XT_STDERR"
}

# A full disk (a small tmpfs) stops the capture with exit code 1 and leaves a
# file that ends with the last whole packet; the summary agrees with it.
test_afxdp_full_disk()
{
	local small=$XT_TMP/small cap snd rc
	afx_setup
	mkdir -p "$small"
	mount -t tmpfs -o size=256k tmpfs "$small" || xt_skip "cannot mount a tmpfs"
	xt_defer umount "$small"
	afx_start cap "$XT_TMP/full.log" -w "$small/full.pcap"
	xt_ok "send 400 frames of 1514 bytes" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_DIR/rawsend.py" \
		"$XT_IF_C" "$AFX_MAC" "$XT_TMP/sent.pcap" 400 1514
	for ((i = 0; i < 50; i++)); do xt_alive "$cap" || break; sleep 0.1; done
	xt_alive "$cap" && xt_fail "xtap capture --afxdp still running on a full disk"
	wait "$cap"
	rc=$?
	xt_stop "$cap"
	xt_assert_eq "exit code on a full disk" 1 "$rc"
	local log n
	log=$(cat "$XT_TMP/full.log")
	xt_assert_match "error on a full disk" "xtap: capture: $small/full.pcap: No space left on device" "$log"
	xt_assert_match "summary on a full disk" $'[0-9]+ packets captured\n0 packets dropped by kernel \\(AF_XDP socket full\\)\n[1-9][0-9]* packets not written' "$log"
	n=$(afx_count "$XT_TMP/full.log" captured)
	xt_assert_eq "packets in the file of a full disk" "$n" "$(afx_frames "$small/full.pcap")"
	[ "$n" -gt 50 ] || xt_fail "only $n packets before the disk was full"
}
