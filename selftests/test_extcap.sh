# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap as Wireshark's extcap program: the real tshark lists xtap's
# interfaces and captures through them. The program is installed by
# `make install-extcap` into a folder of the test's own, which a private
# mount namespace puts over the system's extcap folder for tshark alone
# (tshark ignores WIRESHARK_EXTCAP_DIR when run as root); nothing outside the
# test sees it.

# ext_sysdir : Wireshark's extcap folder, as tshark reports it
ext_sysdir()
{
	tshark -G folders 2>/dev/null | sed -n 's/^Extcap path:[[:space:]]*//p' | head -n 1
}

# ext_setup : a namespace pair with xtap attached on the client end; the
# extcap program installed under $XT_TMP/dest. Sets XT_EXTCAP_SYS (the
# system's folder), XT_EXTCAP_DIR (the test's) and XT_EXTCAP (the program).
ext_setup()
{
	xt_require tshark tcpdump ping unshare make
	XT_EXTCAP_SYS=$(ext_sysdir)
	[ -d "$XT_EXTCAP_SYS" ] || xt_skip "tshark names no extcap folder"
	XT_EXTCAP_DIR=$XT_TMP/dest$XT_EXTCAP_SYS
	XT_EXTCAP=$XT_EXTCAP_DIR/xtap-extcap
	if [ "$(readlink -f "$XTAP")" = "$(readlink -f "$XT_ROOT/build/xtap")" ]; then
		# the Makefile finds the folder by itself; -o: never rebuild xtap here
		xt_ok "make install-extcap" make -s -C "$XT_ROOT" -o build/xtap install-extcap \
			DESTDIR="$XT_TMP/dest"
	else
		install -D -m 0755 "$XTAP" "$XT_EXTCAP" || xt_fail "cannot install $XT_EXTCAP"
	fi
	[ -x "$XT_EXTCAP" ] || xt_fail "install-extcap did not make $XT_EXTCAP: $(find "$XT_TMP/dest")"
	xt_pair
	cap_attach "$XT_NS_C" "$XT_IF_C"
}

# ext_tshark NS ARGS... : tshark ARGS in namespace NS ("": this one), with
# the test's extcap folder in place of the system's (xt_run's results)
ext_tshark()
{
	local ns=$1
	shift
	xt_run xt_ns "$ns" unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && shift 2 && exec tshark "$@"' _ \
		"$XT_EXTCAP_DIR" "$XT_EXTCAP_SYS" "$@"
}

# ext_bytes FILE : each packet of a pcap or pcapng file, wire length and
# bytes, one a line in file order
ext_bytes()
{
	local f=$1
	tshark -r "$f" -F pcap -w "$f.pcap" 2>/dev/null || xt_fail "tshark cannot convert $f"
	python3 "$XT_DIR/pcaptool.py" bytes "$f.pcap"
}

# tshark -D lists "xtap" and one interface per attachment it can name; the
# same tshark captures 20 ICMP packets of a ping through xtap-IFACE with a
# capture filter, and they are the packets tcpdump saw on that interface:
# the same bytes in the same order, with xtap's pcapng interfaces and
# comments. The extcap program is gone when tshark returns.
test_extcap_tshark()
{
	local ref=$XT_TMP/tcpdump.pcap out=$XT_TMP/tshark.pcapng cap ping want got n
	ext_setup
	ext_tshark "$XT_NS_C" -D
	[ "$XT_RC" -eq 0 ] || xt_fail "tshark -D: exit $XT_RC: $XT_STDERR"
	grep -Eq '^[0-9]+\. xtap \(xtap: every attached interface\)$' <<<"$XT_STDOUT" ||
		xt_fail "tshark -D has no xtap interface: $(xt_show "$XT_STDOUT")"
	grep -Eq "^[0-9]+\. xtap-$XT_IF_C \(xtap: $XT_IF_C\)$" <<<"$XT_STDOUT" ||
		xt_fail "tshark -D has no xtap-$XT_IF_C: $(xt_show "$XT_STDOUT")"
	# outside the client's namespace the name means another interface
	ext_tshark "" -D
	grep -q "xtap-$XT_IF_C" <<<"$XT_STDOUT" && xt_fail "xtap-$XT_IF_C listed outside its namespace"

	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$ref" -B 65536 icmp
	xt_bg ping "$XT_NS_C" "$XT_TMP/ping.log" ping -c 600 -i 0.1 -W 1 "$XT_S4"
	ext_tshark "$XT_NS_C" -i "xtap-$XT_IF_C" -c 20 -f icmp -w "$out" -a duration:20
	# tshark reports the extcap program's stderr as "Error by extcap pipe"
	[ "$XT_RC" -eq 0 ] && ! grep -qi error <<<"$XT_STDERR" &&
		grep -q '^20 packets captured$' <<<"$XT_STDERR" ||
		xt_fail "tshark -i xtap-$XT_IF_C: exit $XT_RC: $(xt_show "$XT_STDERR")"
	# the options dialog's settings, as tshark gives them (-o)
	local pref=extcap.xtap_${XT_IF_C}
	ext_tshark "$XT_NS_C" -i "xtap-$XT_IF_C" -c 4 -f icmp -w "$XT_TMP/opts.pcapng" \
		-a duration:20 -o "$pref.hook:xdp" -o "$pref.snaplen:60"
	[ "$XT_RC" -eq 0 ] || xt_fail "tshark -o $pref...: exit $XT_RC: $(xt_show "$XT_STDERR")"
	xt_stop "$ping"
	xt_capture_stop "$cap"
	pgrep -f "xtap-extcap --capture" >/dev/null && xt_fail "the extcap program outlived tshark"
	xt_run tshark -r "$XT_TMP/opts.pcapng" -T fields -e icmp.type -e frame.cap_len \
		-e frame.interface_name
	xt_assert_eq "replies at xdp cut at 60 bytes (hook xdp, snaplen 60)" \
		"$(printf '0\t60\t%s@xdp\n' "$XT_IF_C" "$XT_IF_C" "$XT_IF_C" "$XT_IF_C")" "$XT_STDOUT"

	got=$(ext_bytes "$out")
	want=$(python3 "$XT_DIR/pcaptool.py" bytes "$ref")
	n=$(grep -c . <<<"$got")
	xt_assert_eq "packets tshark captured through xtap" 20 "$n"
	# the ping went on before and after: tshark's 20 are a run of tcpdump's
	[[ $'\n'"$want"$'\n' == *$'\n'"$got"$'\n'* ]] ||
		xt_fail "tshark's packets are not tcpdump's: $(xt_show "$(cut -c 1-60 <<<"$got")")"
	xt_run tshark -r "$out" -T fields -e icmp.type -e frame.interface_name -e frame.comment
	xt_assert_eq "echo requests and replies" 20 "$(grep -Ec '^(0|8)	' <<<"$XT_STDOUT")"
	# after the direction, ping's local cgroup (this shell's, cgroup v2)
	local cg
	cg=$(sed -n 's/^0::\(.*\)$/, cgroup \1/p' /proc/self/cgroup)
	[ "$(sed -n "s/^8	$XT_IF_C@tc-egress	hook tc-egress, flow [0-9a-f]*, direction ab//p" \
		<<<"$XT_STDOUT" | sort -u)" = "$cg" ] ||
		xt_fail "no request with xtap's metadata: $(xt_show "$XT_STDOUT")"
	[ "$(sed -n "s/^0	$XT_IF_C@xdp	hook xdp, flow [0-9a-f]*, direction ba//p" \
		<<<"$XT_STDOUT" | sort -u)" = "$cg" ] ||
		xt_fail "no reply with xtap's metadata: $(xt_show "$XT_STDOUT")"
}

# What Wireshark asks besides a capture, and the errors it shows: the link
# type, the options dialog, the capture-filter check (nothing on stdout for
# a filter that runs, one line for one that does not, exit 0 both), and a
# capture whose filter cannot run (one line on stderr, which tshark shows).
test_extcap_questions()
{
	local cfg
	ext_setup
	xt_ok "--extcap-dlts" "$XT_EXTCAP" --extcap-dlts --extcap-interface xtap
	xt_assert_eq "DLTs" "dlt {number=1}{name=EN10MB}{display=Ethernet}" "$XT_STDOUT"
	xt_ok "--extcap-config" "$XT_EXTCAP" --extcap-config --extcap-interface "xtap-$XT_IF_C"
	cfg=$XT_STDOUT
	xt_assert_eq "options in the dialog" \
		"--filter string|--snaplen unsigned|--sample unsigned|--sample-flows unsigned|--hook selector|--metadata boolflag" \
		"$(sed -n 's/^arg {number=[0-9]*}{call=\([^}]*\)}.*{type=\([^}]*\)}.*/\1 \2/p' <<<"$cfg" |
		   paste -sd '|')"
	grep -q '^arg {number=1}{call=--snaplen}.*{default=262144}{range=1,262144}' <<<"$cfg" ||
		xt_fail "snap length default and range: $(xt_show "$cfg")"
	xt_assert_eq "hooks offered" "auto xdp tc-ingress tc-egress all" \
		"$(sed -n 's/^value {arg=4}{value=\([^}]*\)}.*/\1/p' <<<"$cfg" | paste -sd ' ')"
	xt_ok "--extcap-interfaces" xt_ns "$XT_NS_C" "$XT_EXTCAP" --extcap-interfaces \
		--extcap-version=4.0
	xt_assert_match "extcap sentence" '^extcap \{version=[0-9.]+ \(ABI [0-9]+\)\}' "$XT_STDOUT"
	xt_ok "--extcap-version alone" "$XT_EXTCAP" --extcap-version
	xt_assert_match "its answer" '^extcap \{version=[0-9.]+ \(ABI [0-9]+\)\}$' "$XT_STDOUT"
	xt_ok "--extcap-cleanup-postkill" "$XT_EXTCAP" --extcap-cleanup-postkill \
		--extcap-interface xtap

	xt_ok "a filter that runs" "$XT_EXTCAP" --extcap-interface xtap --extcap-capture-filter \
		'icmp or tcp port 80'
	xt_assert_eq "answer for a filter that runs" "" "$XT_STDOUT$XT_STDERR"
	xt_ok "a filter libpcap refuses" "$XT_EXTCAP" --extcap-interface xtap \
		--extcap-capture-filter 'tcp port'
	xt_assert_eq "answer for a filter libpcap refuses" \
		"filter 'tcp port': can't parse filter expression: syntax error" "$XT_STDOUT"
	xt_ok "a filter xtap cannot translate" "$XT_EXTCAP" --extcap-interface xtap \
		--extcap-capture-filter inbound
	xt_assert_match "answer for a filter xtap cannot translate" \
		"^filter 'inbound': filter instruction 0: load of Linux ancillary data .* cannot be translated$" \
		"$XT_STDOUT"

	# the capture refuses it before touching the fifo: one line on stderr
	mkfifo "$XT_TMP/fifo"
	xt_assert_rc "capture with a filter xtap cannot translate" 2 "$XT_EXTCAP" --capture \
		--extcap-interface "xtap-$XT_IF_C" --fifo "$XT_TMP/fifo" --extcap-capture-filter inbound
	xt_assert_match "its error" "^xtap: extcap: filter 'inbound': .* cannot be translated$" \
		"$XT_STDERR"
	# the dialog's kernel filter is joined to the capture filter
	xt_assert_rc "capture filter and kernel filter" 2 "$XT_EXTCAP" --capture \
		--extcap-interface xtap --fifo "$XT_TMP/fifo" --extcap-capture-filter icmp \
		--filter 'ip and inbound'
	xt_assert_match "the joined filter" "^xtap: extcap: filter '\(icmp\) and \(ip and inbound\)': " \
		"$XT_STDERR"
	xt_assert_rc "an interface that is not xtap's" 2 "$XT_EXTCAP" --capture \
		--extcap-interface eth0 --fifo "$XT_TMP/fifo"
	xt_assert_eq "its error" "xtap: extcap: eth0: not an xtap interface (xtap or xtap-IFACE)" \
		"$XT_STDERR"
	# and tshark shows that line in its error
	ext_tshark "$XT_NS_C" -i "xtap-$XT_IF_C" -c 1 -f inbound -a duration:10
	grep -q "Error by extcap pipe: xtap: extcap: filter 'inbound': .* cannot be translated" \
		<<<"$XT_STDERR" || xt_fail "tshark's error: $(xt_show "$XT_STDERR")"
}

# ext_capture_bg VAR LOG ARGS... : the extcap program capturing into
# $XT_TMP/fifo from the client's namespace (nsenter execs it: VAR is its PID)
ext_capture_bg()
{
	local __ec_var=$1 __ec_log=$2
	shift 2
	xt_bg "$__ec_var" "$XT_NS_C" "$__ec_log" "$XT_EXTCAP" --capture \
		--extcap-interface "xtap-$XT_IF_C" --fifo "$XT_TMP/fifo" "$@"
}

# ext_wait_exit WHAT PID LOG : PID ends within 3 s with exit 0 and says nothing
ext_wait_exit()
{
	local what=$1 pid=$2 log=$3 i rc
	for ((i = 0; i < 30; i++)); do xt_alive "$pid" || break; sleep 0.1; done
	xt_alive "$pid" && xt_fail "$what: the capture did not stop"
	wait "$pid"
	rc=$?
	xt_stop "$pid"
	[ "$rc" -eq 0 ] || xt_fail "$what: exit $rc: $(cat "$log")"
	[ -s "$log" ] && xt_fail "$what: the capture wrote to stderr: $(cat "$log")"
	return 0
}

# The capture stops by itself, exit 0 and nothing said, when Wireshark
# closes the fifo: while packets come (a write fails with EPIPE) and while
# none come (the fifo's reader is seen gone); and on SIGTERM, before the fifo
# was opened and after, leaving a whole pcapng file. Without --metadata it
# writes pcap.
test_extcap_stops()
{
	local ec ping
	ext_setup
	mkfifo "$XT_TMP/fifo"
	# the reader takes the file header and goes; nothing passes the filter
	ext_capture_bg ec "$XT_TMP/idle.log" --extcap-capture-filter 'udp port 9'
	xt_ok "read the fifo's first bytes" timeout 10 sh -c 'head -c 16 "$1" >/dev/null' _ \
		"$XT_TMP/fifo"
	ext_wait_exit "reader gone, no traffic" "$ec" "$XT_TMP/idle.log"

	# stopped before Wireshark opened the fifo
	ext_capture_bg ec "$XT_TMP/early.log"
	sleep 0.5
	kill -TERM "$ec"
	ext_wait_exit "SIGTERM before the fifo opened" "$ec" "$XT_TMP/early.log"

	xt_bg ping "$XT_NS_C" "$XT_TMP/ping.log" ping -c 200 -i 0.05 -W 1 "$XT_S4"
	ext_capture_bg ec "$XT_TMP/busy.log" --metadata
	xt_ok "read 1000 bytes of packets" timeout 10 sh -c 'head -c 1000 "$1" >/dev/null' _ \
		"$XT_TMP/fifo"
	ext_wait_exit "reader gone, ping running" "$ec" "$XT_TMP/busy.log"

	ext_capture_bg ec "$XT_TMP/term.log" --metadata
	timeout 20 cat "$XT_TMP/fifo" >"$XT_TMP/term.pcapng" &
	local cat=$!
	sleep 1.5
	kill -TERM "$ec"
	ext_wait_exit "SIGTERM" "$ec" "$XT_TMP/term.log"
	wait "$cat"
	xt_run tshark -r "$XT_TMP/term.pcapng" -T fields -e icmp.type -e frame.interface_name
	[ "$XT_RC" -eq 0 ] || xt_fail "the file after SIGTERM: $(xt_show "$XT_STDERR")"
	grep -q "^8	$XT_IF_C@tc-egress$" <<<"$XT_STDOUT" ||
		xt_fail "no echo request in the file after SIGTERM: $(xt_show "$XT_STDOUT")"

	ext_capture_bg ec "$XT_TMP/pcap.log" --snaplen 60 --hook xdp
	timeout 20 cat "$XT_TMP/fifo" >"$XT_TMP/plain.pcap" &
	cat=$!
	sleep 1
	kill -TERM "$ec"
	ext_wait_exit "SIGTERM (pcap)" "$ec" "$XT_TMP/pcap.log"
	wait "$cat"
	xt_assert_eq "pcap without --metadata" "4d3cb2a1" \
		"$(od -An -tx1 -N4 "$XT_TMP/plain.pcap" | tr -d ' \n')"
	xt_run tshark -r "$XT_TMP/plain.pcap" -T fields -e frame.cap_len -e icmp.type
	grep -q '^60	0$' <<<"$XT_STDOUT" || xt_fail "no reply cut at 60 bytes: $(xt_show "$XT_STDOUT")"
	grep -q '	8$' <<<"$XT_STDOUT" && xt_fail "an echo request with --hook xdp"
	xt_stop "$ping"
}
