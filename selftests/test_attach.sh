# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Live attach and detach: real traffic between two namespaces over a veth pair,
# checked against `xtap flows -j`, `xtap stats -j` and `xtap status -j`; detach
# leaves every interface as it was; failures leave nothing behind.
#
# $XTAP_PIN_ROOT is shared by the whole host, and other users of xtap may be
# attached while these tests run. So the tests detach only their own
# interfaces, read only the flows between their own addresses, and check that
# $XTAP_PIN_ROOT is gone only when no interface but theirs is attached
# (att_pins_gone says so when it skips that check).

# --- helpers -------------------------------------------------------------------

# Reads xtap's JSON on stdin. Commands:
#   flows C S         one line per flow between addresses C and S, oriented
#                     client (C) to server (S), sorted
#   filter C S        the flows between C and S as {"flows": [...]}
#   stat IF HOOK CTR  counter CTR of interface IF at HOOK (0 when absent;
#                     "missing" when the interface or hook is not listed)
#   status IF KEY     a field of IF's entry in status -j ("missing" when IF
#                     is not listed); KEY prog_ids prints the ids, space separated
#   names             the attached interfaces' names, one a line
# shellcheck disable=SC2016
ATT_PY='
import json, sys
cmd, args = sys.argv[1], sys.argv[2:]
doc = json.load(sys.stdin)

def between(c, s):
    for f in doc.get("flows", []):
        if {f["a"]["addr"], f["b"]["addr"]} == {c, s}:
            yield f

if cmd == "flows":
    c, s = args
    out = []
    for f in between(c, s):
        cs = "ab" if f["a"]["addr"] == c else "ba"
        sc = "ba" if cs == "ab" else "ab"
        who = "client" if (f["initiator"] == "a") == (cs == "ab") else "server"
        line = "%s c2s=%d/%d s2c=%d/%d init=%s/%s" % (
            f["proto"], f["packets_" + cs], f["bytes_" + cs], f["packets_" + sc],
            f["bytes_" + sc], who, f["initiator_by"])
        if f["proto"] == "tcp":
            line += " syn=%d/%d fin=%d/%d rst=%d/%d" % (
                f["syn_" + cs], f["syn_" + sc], f["fin_" + cs], f["fin_" + sc],
                f["rst_" + cs], f["rst_" + sc])
        line += " first_point=%d" % f["first_point"]
        out.append(line)
    print("\n".join(sorted(out)))
elif cmd == "filter":
    json.dump({"flows": list(between(*args))}, sys.stdout)
elif cmd == "stat":
    name, hook, ctr = args
    for i in doc.get("interfaces", []):
        if i["name"] == name and hook in i["hooks"]:
            print(i["hooks"][hook].get(ctr, 0))
            break
    else:
        print("missing")
elif cmd == "status":
    name, key = args
    for i in doc.get("interfaces", []):
        if i["name"] == name:
            v = i.get(key)
            if key == "prog_ids":
                v = " ".join(str(x) for x in v.values())
            elif isinstance(v, bool):
                v = "true" if v else "false"
            print(v)
            break
    else:
        print("missing")
elif cmd == "names":
    for i in doc.get("interfaces", []):
        print(i["name"])
'

att_py() { "$XT_PYTHON" -c "$ATT_PY" "$@"; }

# att_in NS CMD... : xtap in namespace NS ("" = here), output captured by xt_run
att_in() { local ns=$1; shift; xt_run xt_ns "$ns" "$XTAP" "$@"; }

# att_json VAR WHAT NS ARGS... : `xtap ARGS` must succeed; VAR gets its stdout
att_json()
{
	local __aj_var=$1 what=$2 ns=$3
	shift 3
	xt_ok "$what" xt_ns "$ns" "$XTAP" "$@"
	printf -v "$__aj_var" '%s' "$XT_STDOUT"
}

# att_net : the second octet of this test's addresses (10.N.x.y), so that the
# flows of this test are told apart from anybody else's in the shared table
att_net() { echo $((120 + ${XT_ID#xt} % 100)); }

# att_pair IDX : client and server namespaces joined by a veth pair, IPv4 only
# (no IPv6 neighbour discovery in the counts). Sets A_NS_C A_NS_S A_IF_C
# A_IF_S A_C4 A_S4.
att_pair()
{
	local idx=$1 ns
	xt_ns_new A_NS_C "c$idx"
	xt_ns_new A_NS_S "s$idx"
	for ns in "$A_NS_C" "$A_NS_S"; do
		xt_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || xt_fail "$ns: cannot turn IPv6 off"
	done
	A_IF_C=$(xt_name "c$idx") || exit 1
	A_IF_S=$(xt_name "s$idx") || exit 1
	xt_veth "$A_NS_C" "$A_IF_C" "$A_NS_S" "$A_IF_S"
	A_C4=10.$(att_net).$idx.1 A_S4=10.$(att_net).$idx.2
	xt_addr "$A_NS_C" "$A_IF_C" "$A_C4/24"
	xt_addr "$A_NS_S" "$A_IF_S" "$A_S4/24"
	xt_wait_for "$A_S4 reachable from $A_NS_C" 5 xt_ping_ok "$A_NS_C" "$A_S4"
}

# att_detach_quiet NS IF : cleanup: detach IF in NS, or by name from here when
# NS is gone; then remove an empty leftover state directory
att_detach_quiet()
{
	if [ -n "$1" ] && [ -e "/run/netns/$1" ]; then
		xt_ns "$1" "$XTAP" detach "$2"
	else
		"$XTAP" detach "$2"
	fi
	att_remove_empty_state
}

# att_detach_later NS IF : detach IF at cleanup, whatever happens
att_detach_later() { xt_defer att_detach_quiet "$1" "$2"; }

# att_remove_empty_state : a $XTAP_PIN_ROOT that no interface can be
# attached through (no registry, or neither a map nor a link pinned) is a
# leftover that would fail the next tests (xtap status fails on it); remove it
# under xtap's own lock, so that no attach or detach is under way meanwhile
att_remove_empty_state()
{
	[ -d "$XTAP_PIN_ROOT" ] || return 0
	flock "$XTAP_PIN_ROOT" sh -c '
		d=$XTAP_PIN_ROOT
		[ -d "$d" ] || exit 0
		if [ ! -e "$d/ifaces" ] ||
			{ [ -z "$(ls -A "$d/maps" 2>/dev/null)" ] && [ -z "$(ls -A "$d/links" 2>/dev/null)" ]; }; then
			rm -rf -- "$d"
		fi' 2>/dev/null || true
}

# att_others : interfaces attached by anybody but this test, one a line
att_others()
{
	[ -e "$XTAP_PIN_ROOT" ] || return 0
	local st
	st=$("$XTAP" status -j 2>/dev/null) || { echo "(xtap status fails)"; return 0; }
	att_py names <<<"$st" | grep -v "^$XT_ID" || true
}

# att_pins_gone WHAT IF... : none of the IFs is attached any more, and
# $XTAP_PIN_ROOT is gone unless somebody else still has an interface attached
att_pins_gone()
{
	local what=$1 others= i st
	shift
	# somebody else's attach may be under way, with its state made but its
	# interface not yet registered: look again for up to 2 s
	for ((i = 0; i < 20; i++)); do
		[ -e "$XTAP_PIN_ROOT" ] || return 0
		[ -e "$XTAP_PIN_ROOT/ifaces" ] || break     # no registry: nobody's state
		others=$(att_others)
		[ -n "$others" ] && break
		sleep 0.1
	done
	[ -n "$others" ] ||
		xt_fail "$what: $XTAP_PIN_ROOT is still there: $(ls -R "$XTAP_PIN_ROOT" | tr '\n' ' ')"
	xt_info "$what: not checking that $XTAP_PIN_ROOT is gone: also attached: $(echo $others)"
	st=$("$XTAP" status -j 2>/dev/null) || xt_fail "$what: xtap status -j fails"
	for i in "$@"; do
		xt_assert_eq "$what: $i in xtap status" missing "$(att_py status "$i" name <<<"$st")"
	done
}

# att_snapshot NS IF : what ip and tc say about IF
att_snapshot()
{
	local ns=$1 dev=$2
	# stdout only: ip sometimes warns "Peer netns reference is invalid"
	xt_ns "$ns" ip link show dev "$dev" 2>/dev/null
	echo "-- qdisc"
	xt_ns "$ns" tc qdisc show dev "$dev" 2>/dev/null
	echo "-- ingress filters"
	xt_ns "$ns" tc filter show dev "$dev" ingress 2>/dev/null
	echo "-- egress filters"
	xt_ns "$ns" tc filter show dev "$dev" egress 2>/dev/null
}

# att_progs_gone WHAT IDS... : no BPF program with these ids exists any more
att_progs_gone()
{
	local what=$1 id
	shift
	for id in "$@"; do
		xt_wait_for "$what: program id $id freed" 3 att_prog_absent "$id"
	done
}
att_prog_absent() { ! bpftool prog show id "$1" >/dev/null 2>&1; }

# att_one_line WHAT TEXT : TEXT is exactly one line
att_one_line()
{
	[ -n "$2" ] && [ "$(grep -c '' <<<"$2")" = 1 ] && return 0
	xt_fail "$1: expected one error line, got: $(xt_show "$2")"
}

# att_www DIR : a document root with a page of ATT_BODY bytes
ATT_BODY=1234
att_www()
{
	mkdir -p "$1"
	head -c "$ATT_BODY" /dev/zero | tr '\0' x >"$1/page.html"
}

# att_traffic PCAP : 7 pings and 3 HTTP requests from the client to the
# server of att_pair, captured in the client's namespace into PCAP
att_traffic()
{
	local pcap=$1 cap i
	xt_capture_start cap "$A_NS_C" "$A_IF_C" "$pcap"
	xt_ok "7 pings" xt_ns "$A_NS_C" ping -c 7 -i 0.05 -W 1 -q "$A_S4"
	xt_assert_match "ping summary" '7 packets transmitted, 7 received' "$XT_STDOUT"
	for i in 1 2 3; do
		xt_ok "curl #$i" xt_ns "$A_NS_C" curl -sS -o /dev/null --max-time 5 \
			-w '%{http_code} %{size_download}' "http://$A_S4:8080/page.html"
		xt_assert_eq "curl #$i: status and body size" "200 $ATT_BODY" "$XT_STDOUT"
	done
	xt_capture_stop "$cap"
}

# att_count PCAP FILTER : packets of PCAP that match the tcpdump FILTER
att_count()
{
	tcpdump -nn -r "$1" "$2" 2>/dev/null | grep -c '' || true
}

# att_check_flows WHAT PCAP FIRST_POINT : the flow table has exactly the
# conversations of att_traffic between A_C4 and A_S4: one ICMP flow with 7
# packets each way, 3 TCP flows that agree with tshark packet for packet,
# each with one SYN and one FIN each way; the first point that saw each is
# FIRST_POINT (the XTAP_POINT of the hook that saw the first packet)
att_check_flows()
{
	local what=$1 pcap=$2 fp=$3 flows sum tcp icmp
	att_json flows "$what: xtap flows -j" "" flows -j
	sum=$(att_py flows "$A_C4" "$A_S4" <<<"$flows") || xt_fail "$what: flows -j is not JSON"
	icmp=$(grep '^icmp ' <<<"$sum")
	tcp=$(grep '^tcp ' <<<"$sum")
	xt_assert_eq "$what: flows between $A_C4 and $A_S4 (protocols)" "icmp tcp tcp tcp" \
		"$(cut -d' ' -f1 <<<"$sum" | tr '\n' ' ' | sed 's/ $//')"
	# 7 echo requests and 7 replies of 98 bytes (14 + 20 + 8 + 56)
	xt_assert_eq "$what: the ICMP flow" \
		"icmp c2s=7/686 s2c=7/686 init=client/first-seen first_point=$fp" "$icmp"
	xt_assert_eq "$what: the TCP flows (SYN/FIN/RST, initiator)" \
		"$(printf 'init=client/syn syn=1/1 fin=1/1 rst=0/0 first_point=%s\n' "$fp" "$fp" "$fp")" \
		"$(sed 's/^tcp c2s=[0-9/]* s2c=[0-9/]* //' <<<"$tcp")"
	att_py filter "$A_C4" "$A_S4" <<<"$flows" >"$XT_TMP/mine.json"
	xt_assert_rc "$what: TCP flows against tshark" 0 \
		"$XT_PYTHON" "$XT_DIR/conv_compare.py" "$pcap" "$XT_TMP/mine.json"
	xt_assert_eq "$what: tshark's verdict" "agree: 3 conversations (tcp 3, udp 0)" "$XT_STDOUT"
}

# att_check_stats WHAT IF PCAP IN_HOOKS OUT_HOOKS BASE : IF's counters, less
# those in BASE (stats -j taken right after attach): every hook in IN_HOOKS
# saw the 7 requests and the client's TCP packets, every hook in OUT_HOOKS the
# 7 replies and the server's TCP packets (IF is the server's end when IN_HOOKS
# has its ingress hooks). Differences, because a reused slot does not start
# from zero (test_attach_reused_slot_counts_from_zero).
att_check_stats()
{
	local what=$1 dev=$2 pcap=$3 in=$4 out=$5 base=$6 stats h c2s s2c
	att_json stats "$what: xtap stats -j" "" stats -j
	c2s=$(att_count "$pcap" "tcp and src host $A_C4")
	s2c=$(att_count "$pcap" "tcp and src host $A_S4")
	[ "$c2s" -gt 0 ] && [ "$s2c" -gt 0 ] || xt_fail "$what: no TCP in the capture"
	for h in $in; do
		xt_assert_eq "$what: icmp at $dev $h" 7 "$(att_stat_diff "$dev" "$h" icmp "$base" "$stats")"
		xt_assert_eq "$what: tcp at $dev $h" "$c2s" "$(att_stat_diff "$dev" "$h" tcp "$base" "$stats")"
	done
	for h in $out; do
		xt_assert_eq "$what: icmp at $dev $h" 7 "$(att_stat_diff "$dev" "$h" icmp "$base" "$stats")"
		xt_assert_eq "$what: tcp at $dev $h" "$s2c" "$(att_stat_diff "$dev" "$h" tcp "$base" "$stats")"
	done
}

# att_stat_diff IF HOOK CTR BASE NOW : the counter in NOW less the one in BASE
att_stat_diff()
{
	local a b
	a=$(att_py stat "$1" "$2" "$3" <<<"$4")
	b=$(att_py stat "$1" "$2" "$3" <<<"$5")
	[[ "$a$b" =~ ^[0-9]+$ ]] || { echo "$1 $2 missing"; return 0; }
	echo $((b - a))
}

# --- 1, 2: every XDP mode with every TC mechanism, and a clean detach -------------

# att_live MODE TC IDX : attach the server's end with --mode MODE --tc TC;
# 7 pings and 3 HTTP requests are counted exactly in flows, stats and
# status; detach leaves ip link and tc exactly as before and frees the
# programs and the pins
att_live()
{
	local mode=$1 tc=$2 idx=$3 http before after st slot ids base
	xt_require curl tcpdump tshark ping bpftool
	att_pair "$idx"
	att_www "$XT_TMP/www"
	xt_http_server http "$A_NS_S" 8080 "$XT_TMP/www"
	before=$(att_snapshot "$A_NS_S" "$A_IF_S")

	att_detach_later "$A_NS_S" "$A_IF_S"
	att_in "$A_NS_S" attach "$A_IF_S" --mode "$mode" --tc "$tc"
	[ "$XT_RC" = 0 ] || xt_fail "xtap attach --mode $mode --tc $tc: exit $XT_RC: $XT_STDERR"
	xt_assert_eq "attach's report" \
		"$A_IF_S: attached xdp,tc-ingress,tc-egress, xdp $mode, tc $tc" "$XT_STDOUT"

	att_json st "xtap status -j" "$A_NS_S" status -j
	xt_assert_eq "status: xdp_mode" "$mode" "$(att_py status "$A_IF_S" xdp_mode <<<"$st")"
	xt_assert_eq "status: tc" "$tc" "$(att_py status "$A_IF_S" tc <<<"$st")"
	xt_assert_eq "status: hooks" "xdp,tc-ingress,tc-egress" "$(att_py status "$A_IF_S" hooks <<<"$st")"
	xt_assert_eq "status: present" true "$(att_py status "$A_IF_S" present <<<"$st")"
	att_json st "xtap status -j (root namespace)" "" status -j
	xt_assert_eq "status from the root namespace: netns" "$A_NS_S" \
		"$(att_py status "$A_IF_S" netns <<<"$st")"
	slot=$(att_py status "$A_IF_S" slot <<<"$st")
	ids=$(att_py status "$A_IF_S" prog_ids <<<"$st")
	xt_assert_match "status: three program ids" '^[1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$' "$ids"
	# the XDP program is the one the kernel reports on the link
	xt_assert_match "ip link: the XDP program" \
		"prog/xdp id ${ids%% *} name xdp_tap" "$(xt_ns "$A_NS_S" ip link show dev "$A_IF_S")"

	att_json base "stats -j before the traffic" "" stats -j
	att_traffic "$XT_TMP/traffic.pcap"
	# the server's end saw every conversation first, at XDP (its hook 0)
	att_check_flows "$mode/$tc" "$XT_TMP/traffic.pcap" $((slot * 3))
	att_check_stats "$mode/$tc" "$A_IF_S" "$XT_TMP/traffic.pcap" "xdp tc-ingress" "tc-egress" "$base"

	xt_ok "xtap detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	xt_assert_eq "detach's report" "$A_IF_S: detached" "$XT_STDOUT"
	after=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_eq "ip link and tc after detach" "$before" "$after"
	# shellcheck disable=SC2086
	att_progs_gone "after detach" $ids
	att_pins_gone "after detach" "$A_IF_S"
}

test_attach_native_tcx()
{
	att_live native tcx 1
}

test_attach_native_clsact()
{
	att_live native clsact 2
}

test_attach_generic_tcx()
{
	att_live generic tcx 3
}

test_attach_generic_clsact()
{
	att_live generic clsact 4
}


# --- 3: a clsact qdisc xtap did not create stays ---------------------------------

test_attach_keeps_existing_clsact()
{
	local before after flows st
	xt_require ping
	att_pair 5
	xt_ns "$A_NS_S" tc qdisc add dev "$A_IF_S" clsact || xt_fail "cannot add clsact"
	xt_qdisc_register "$A_NS_S" "$A_IF_S"
	before=$(att_snapshot "$A_NS_S" "$A_IF_S")

	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach --tc clsact" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic --tc clsact
	att_json st "status -j" "$A_NS_S" status -j
	xt_assert_eq "status: tc" clsact "$(att_py status "$A_IF_S" tc <<<"$st")"
	xt_assert_match "ingress filter on the existing qdisc" 'tc_tap_ingress' \
		"$(xt_ns "$A_NS_S" tc filter show dev "$A_IF_S" ingress)"
	xt_assert_match "egress filter on the existing qdisc" 'tc_tap_egress' \
		"$(xt_ns "$A_NS_S" tc filter show dev "$A_IF_S" egress)"
	xt_ok "3 pings" xt_ns "$A_NS_C" ping -c 3 -i 0.05 -W 1 -q "$A_S4"
	att_json flows "flows -j" "" flows -j
	xt_assert_match "the ICMP flow through the existing qdisc" '^icmp c2s=3/294 s2c=3/294 ' \
		"$(att_py flows "$A_C4" "$A_S4" <<<"$flows")"

	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	after=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_match "the clsact qdisc is still there" 'qdisc clsact' "$after"
	xt_assert_eq "ip link and tc after detach" "$before" "$after"
	att_pins_gone "after detach" "$A_IF_S"
}

# --- 4: attaching twice changes nothing ------------------------------------------

test_attach_twice_is_noop()
{
	local st1 st2 snap1 snap2
	att_pair 6
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "first attach" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode native --tc tcx
	att_json st1 "status -j" "$A_NS_S" status -j
	snap1=$(att_snapshot "$A_NS_S" "$A_IF_S")

	xt_ok "second attach" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode native --tc tcx
	xt_assert_eq "second attach's report" \
		"$A_IF_S: already attached (xdp,tc-ingress,tc-egress); nothing changed" "$XT_STDOUT"
	xt_assert_eq "second attach's stderr" "" "$XT_STDERR"
	# other options do not change an attached interface either
	xt_ok "third attach, other options" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" \
		--mode generic --tc clsact --hooks tc-ingress
	xt_assert_match "third attach's report" "^$A_IF_S: already attached .*nothing changed$" \
		"$XT_STDOUT"
	att_json st2 "status -j" "$A_NS_S" status -j
	xt_assert_eq "status -j after attaching again" \
		"$(att_py status "$A_IF_S" slot <<<"$st1") $(att_py status "$A_IF_S" prog_ids <<<"$st1") $(att_py status "$A_IF_S" xdp_mode <<<"$st1") $(att_py status "$A_IF_S" tc <<<"$st1")" \
		"$(att_py status "$A_IF_S" slot <<<"$st2") $(att_py status "$A_IF_S" prog_ids <<<"$st2") $(att_py status "$A_IF_S" xdp_mode <<<"$st2") $(att_py status "$A_IF_S" tc <<<"$st2")"
	xt_assert_eq "interfaces named $A_IF_S in status" 1 \
		"$(att_py names <<<"$st2" | grep -c "^$A_IF_S\$")"
	snap2=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_eq "ip link and tc after attaching again" "$snap1" "$snap2"
	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	att_pins_gone "after detach" "$A_IF_S"
}

# --- 5: detach after the interface is gone -----------------------------------------

# att_attach_gone_setup IDX : att_pair, both ends attached; sets ATT_IDS to
# their program ids
att_attach_both()
{
	local st
	att_pair "$1"
	att_detach_later "$A_NS_C" "$A_IF_C"
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach the client's end" xt_ns "$A_NS_C" "$XTAP" attach "$A_IF_C"
	xt_ok "attach the server's end" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S"
	att_json st "status -j" "" status -j
	ATT_IDS="$(att_py status "$A_IF_C" prog_ids <<<"$st") $(att_py status "$A_IF_S" prog_ids <<<"$st")"
}

test_detach_after_namespace_deleted()
{
	local st
	xt_require bpftool
	att_attach_both 7
	ip netns del "$A_NS_S" || xt_fail "cannot delete $A_NS_S"
	att_json st "status -j with the namespace gone" "" status -j
	# false, or null (xtap cannot enter a namespace that is gone)
	xt_assert_match "status: present after the namespace went" '^(false|None)$' \
		"$(att_py status "$A_IF_S" present <<<"$st")"
	xt_ok "detach by name from the root namespace" "$XTAP" detach "$A_IF_S"
	xt_assert_eq "detach's report" "$A_IF_S: detached" "$XT_STDOUT"
	att_json st "status -j" "" status -j
	xt_assert_eq "$A_IF_S in status after detach" missing "$(att_py status "$A_IF_S" name <<<"$st")"
	# the veth's other end went with the namespace; its namespace is still there
	xt_assert_eq "$A_IF_C present" false "$(att_py status "$A_IF_C" present <<<"$st")"
	xt_ok "detach the client's end in its namespace" xt_ns "$A_NS_C" "$XTAP" detach "$A_IF_C"
	xt_assert_eq "detach's report" "$A_IF_C: detached" "$XT_STDOUT"
	# shellcheck disable=SC2086
	att_progs_gone "after detach" $ATT_IDS
	att_pins_gone "after detach" "$A_IF_C" "$A_IF_S"
}

test_detach_after_veth_deleted()
{
	local st
	xt_require bpftool
	att_attach_both 8
	# one end goes, the other with it; both namespaces stay
	xt_ns "$A_NS_C" ip link del "$A_IF_C" || xt_fail "cannot delete $A_IF_C"
	att_json st "status -j with the veth gone" "" status -j
	xt_assert_eq "status: $A_IF_S present" false "$(att_py status "$A_IF_S" present <<<"$st")"
	xt_assert_eq "status: $A_IF_C present" false "$(att_py status "$A_IF_C" present <<<"$st")"
	xt_ok "detach both by name from the root namespace" "$XTAP" detach "$A_IF_C" "$A_IF_S"
	xt_assert_eq "detach's report" "$A_IF_C: detached"$'\n'"$A_IF_S: detached" "$XT_STDOUT"
	# shellcheck disable=SC2086
	att_progs_gone "after detach" $ATT_IDS
	att_pins_gone "after detach" "$A_IF_C" "$A_IF_S"
}

test_detach_all_after_namespace_deleted()
{
	local others
	xt_require bpftool
	att_attach_both 9
	ip netns del "$A_NS_S" || xt_fail "cannot delete $A_NS_S"
	others=$(att_others)
	if [ -n "$others" ]; then
		xt_info "not running detach --all: also attached: $(echo $others)"
		xt_ok "detach by name instead" "$XTAP" detach "$A_IF_S"
		xt_ok "detach by name instead" xt_ns "$A_NS_C" "$XTAP" detach "$A_IF_C"
		att_pins_gone "after detach" "$A_IF_C" "$A_IF_S"
		xt_skip "detach --all not tried: other interfaces are attached"
	fi
	xt_ok "detach --all" "$XTAP" detach --all
	xt_assert_eq "detach --all's report" \
		"$(printf '%s: detached\n' "$A_IF_C" "$A_IF_S" | sort)" "$(sort <<<"$XT_STDOUT")"
	[ ! -e "$XTAP_PIN_ROOT" ] || xt_fail "$XTAP_PIN_ROOT still there after detach --all"
	# shellcheck disable=SC2086
	att_progs_gone "after detach --all" $ATT_IDS
}

# A namespace deleted without detach, then a new namespace with an interface of
# the same name and index (a restarted container): attach must attach it,
# whether or not the kernel gave the new namespace the old one's inode.
test_attach_after_namespace_recreated()
{
	local ns_old ino_old ino_new st
	att_pair 10
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	ns_old=$A_NS_S
	ino_old=$(stat -L -c %i "/run/netns/$ns_old")
	ip netns del "$ns_old" || xt_fail "cannot delete $ns_old"
	ip netns del "$A_NS_C" || xt_fail "cannot delete $A_NS_C"
	sleep 0.5     # let the kernel free the old namespaces
	# the same names again, new namespaces
	att_pair 10
	ino_new=$(stat -L -c %i "/run/netns/$A_NS_S")
	[ "$ino_old" = "$ino_new" ] &&
		xt_info "the new namespace has the old one's inode ($ino_new)"
	xt_ok "attach in the new namespace" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	xt_assert_eq "attach's report" \
		"$A_IF_S: attached xdp,tc-ingress,tc-egress, xdp generic, tc tcx" "$XT_STDOUT"
	xt_assert_match "ip link: xtap's XDP program on the new $A_IF_S" 'prog/xdp id [0-9]+ name xdp_tap' \
		"$(xt_ns "$A_NS_S" ip link show dev "$A_IF_S")"
	xt_ok "3 pings" xt_ns "$A_NS_C" ping -c 3 -i 0.05 -W 1 -q "$A_S4"
	att_json st "flows -j" "" flows -j
	xt_assert_match "the ICMP flow in the new namespace" '^icmp c2s=3/294 s2c=3/294 ' \
		"$(att_py flows "$A_C4" "$A_S4" <<<"$st")"
	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	"$XTAP" detach "$A_IF_S" >/dev/null 2>&1   # the old entry, if it is still there
	att_pins_gone "after detach" "$A_IF_S"
}

# --- 6: two interfaces, one flow table ---------------------------------------------

test_attach_both_ends_count_once()
{
	local http st names slot_c base
	xt_require curl tcpdump tshark ping
	att_pair 11
	att_www "$XT_TMP/www"
	xt_http_server http "$A_NS_S" 8080 "$XT_TMP/www"
	att_detach_later "$A_NS_C" "$A_IF_C"
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach the client's end" xt_ns "$A_NS_C" "$XTAP" attach "$A_IF_C" --mode generic --tc clsact
	xt_ok "attach the server's end" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode native --tc tcx

	att_json st "status -j" "" status -j
	names=$(att_py names <<<"$st" | grep "^$XT_ID" | sort | tr '\n' ' ')
	xt_assert_eq "status lists both" "$(printf '%s\n' "$A_IF_C" "$A_IF_S" | sort | tr '\n' ' ')" "$names"
	xt_assert_eq "status: client's end" "$A_NS_C generic clsact" \
		"$(att_py status "$A_IF_C" netns <<<"$st") $(att_py status "$A_IF_C" xdp_mode <<<"$st") $(att_py status "$A_IF_C" tc <<<"$st")"
	xt_assert_eq "status: server's end" "$A_NS_S native tcx" \
		"$(att_py status "$A_IF_S" netns <<<"$st") $(att_py status "$A_IF_S" xdp_mode <<<"$st") $(att_py status "$A_IF_S" tc <<<"$st")"
	slot_c=$(att_py status "$A_IF_C" slot <<<"$st")

	att_json base "stats -j before the traffic" "" stats -j
	att_traffic "$XT_TMP/traffic.pcap"
	# counted once, by the client's end, which saw every first packet at TC
	# egress (its hook 2)
	att_check_flows "both ends" "$XT_TMP/traffic.pcap" $((slot_c * 3 + 2))
	# stats count at every hook of both ends
	att_check_stats "client's end" "$A_IF_C" "$XT_TMP/traffic.pcap" "tc-egress" "xdp tc-ingress" "$base"
	att_check_stats "server's end" "$A_IF_S" "$XT_TMP/traffic.pcap" "xdp tc-ingress" "tc-egress" "$base"

	xt_ok "detach both" xt_ns "$A_NS_C" "$XTAP" detach "$A_IF_C"
	xt_ok "detach both" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	att_pins_gone "after detach" "$A_IF_C" "$A_IF_S"
}

# --- 7: another program holds XDP ---------------------------------------------------

# att_foreign_xdp ATTACH_TYPE XTAP_ARGS... : an XDP program loaded by bpftool
# holds A_IF_S (ATTACH_TYPE xdpdrv or xdpgeneric); xtap attach fails naming
# it and leaves nothing
att_foreign_xdp()
{
	local type=$1 obj pin id before after
	shift
	xt_require bpftool
	obj=$(dirname "$XTAP")/empty.bpf.o
	[ -r "$obj" ] || xt_skip "$obj not built"
	att_pair 12
	pin=/sys/fs/bpf/$XT_ID-empty
	xt_pin_register "$pin"
	bpftool prog load "$obj" "$pin" type xdp || xt_fail "bpftool prog load $obj failed"
	xt_ns "$A_NS_S" bpftool net attach "$type" pinned "$pin" dev "$A_IF_S" ||
		xt_fail "bpftool net attach $type failed"
	xt_defer xt_ns "$A_NS_S" bpftool net detach "$type" dev "$A_IF_S"
	id=$(bpftool prog show pinned "$pin" | sed -n 's/^\([0-9]*\): .*/\1/p')
	[ -n "$id" ] || xt_fail "no id for the pinned program"
	before=$(att_snapshot "$A_NS_S" "$A_IF_S")

	att_detach_later "$A_NS_S" "$A_IF_S"
	att_in "$A_NS_S" attach "$A_IF_S" "$@"
	xt_assert_eq "exit code of attach $*" 1 "$XT_RC"
	att_one_line "attach $*" "$XT_STDERR"
	xt_assert_match "the error names the holder" \
		"^xtap: attach $A_IF_S: .*XDP program id $id( |\$)" "$XT_STDERR"
	xt_assert_eq "stdout of the failed attach" "" "$XT_STDOUT"
	after=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_eq "ip link and tc after the refused attach" "$before" "$after"
	xt_assert_match "the other program is still attached" "prog/xdp id $id name xdp_pass" "$after"
	att_pins_gone "after the refused attach" "$A_IF_S"
}

test_attach_refuses_foreign_native_xdp()
{
	att_foreign_xdp xdpdrv
}

test_attach_refuses_foreign_generic_xdp()
{
	att_foreign_xdp xdpgeneric --mode generic
}


# --- 8: failures ------------------------------------------------------------------

test_attach_unknown_interface_leaves_nothing()
{
	local bogus others
	bogus=$(xt_name nope0)
	others=$(att_others)
	att_detach_later "" "$bogus"
	att_in "" attach "$bogus"
	xt_assert_eq "exit code" 1 "$XT_RC"
	xt_assert_eq "error" "xtap: attach $bogus: interface not found" "$XT_STDERR"
	if [ -z "$others" ]; then
		[ ! -e "$XTAP_PIN_ROOT" ] ||
			xt_fail "attach of a missing interface left $XTAP_PIN_ROOT: $(ls -R "$XTAP_PIN_ROOT" | tr '\n' ' ')"
		att_in "" status
		xt_assert_eq "xtap status after the failed attach" \
			"0: xtap is not attached to any interface" "$XT_RC: $XT_STDOUT"
	else
		att_pins_gone "after the failed attach" "$bogus"
	fi
}

# In a list, the failing interface leaves nothing; the error names it.
test_attach_list_with_unknown_interface()
{
	local bogus st
	att_pair 13
	bogus=$(xt_name nope0)
	att_detach_later "$A_NS_S" "$A_IF_S"
	att_in "$A_NS_S" attach "$A_IF_S" "$bogus"
	xt_assert_eq "exit code" 1 "$XT_RC"
	xt_assert_eq "error" "xtap: attach $bogus: interface not found" "$XT_STDERR"
	att_json st "status -j" "" status -j
	xt_assert_eq "$bogus in status" missing "$(att_py status "$bogus" name <<<"$st")"
	# all or nothing: the good interface named first is not attached either
	xt_assert_eq "$A_IF_S in status" missing "$(att_py status "$A_IF_S" name <<<"$st")"
	att_pins_gone "after the failed list" "$A_IF_S" "$bogus"
}

# A list whose last interface fails after the first one was attached: the
# command detaches the first again, and both interfaces are as before.
test_attach_list_rolls_back_on_failure()
{
	local before after st
	att_pair 14
	att_detach_later "$A_NS_S" "$A_IF_S"
	att_detach_later "$A_NS_S" lo
	before=$(att_snapshot "$A_NS_S" "$A_IF_S")
	att_in "$A_NS_S" attach --mode native "$A_IF_S" lo
	xt_assert_eq "exit code" 1 "$XT_RC"
	xt_assert_match "error" '^xtap: attach lo: XDP native attach failed: ' "$XT_STDERR"
	xt_assert_match "rollback message" 'detached the 1 interface this command had attached' "$XT_STDERR"
	after=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_eq "ip link and tc of $A_IF_S after the rollback" "$before" "$after"
	att_pins_gone "after the rollback" "$A_IF_S" lo
}

# An L3 device (tun: no Ethernet header) is refused before anything is
# loaded: its frames would be misread as Ethernet.
test_attach_refuses_non_ethernet()
{
	local ns tun
	xt_ns_new ns t
	tun=$(xt_name tun0)
	xt_ok "create a tun device" xt_ns "$ns" ip tuntap add dev "$tun" mode tun
	att_detach_later "$ns" "$tun"
	att_in "$ns" attach "$tun"
	xt_assert_eq "exit code" 1 "$XT_RC"
	xt_assert_eq "error" "xtap: attach $tun: link type 65534 is not Ethernet; xtap parses Ethernet frames" "$XT_STDERR"
	att_pins_gone "after the refused attach" "$tun"
}

# Native XDP on lo is refused by the kernel: one line, exit 1, and lo has no
# XDP program, no filter, no qdisc from xtap afterwards.
test_attach_native_unsupported_leaves_nothing()
{
	local ns before after
	xt_ns_new ns n
	before=$(att_snapshot "$ns" lo)
	att_detach_later "$ns" lo
	att_in "$ns" attach lo --mode native
	xt_assert_eq "exit code" 1 "$XT_RC"
	att_one_line "attach lo --mode native" "$XT_STDERR"
	xt_assert_match "error" '^xtap: attach lo: XDP native attach failed: ' "$XT_STDERR"
	after=$(att_snapshot "$ns" lo)
	xt_assert_eq "ip link and tc after the failed attach" "$before" "$after"
	att_pins_gone "after the failed attach" lo
	# generic works on the same interface, with TC through clsact, and goes
	xt_ok "attach lo --mode generic --tc clsact" xt_ns "$ns" "$XTAP" attach lo --mode generic --tc clsact
	xt_ok "detach lo" xt_ns "$ns" "$XTAP" detach lo
	xt_assert_eq "ip link and tc after attach and detach" "$before" "$(att_snapshot "$ns" lo)"
}

test_attach_usage_errors()
{
	local ns others args
	xt_ns_new ns u
	others=$(att_others)
	att_detach_later "$ns" lo
	for args in "lo --mode bogus" "lo --tc bogus" "lo --hooks xdp,bogus" "lo --flows 0" \
		"--mode native" ""; do
		# shellcheck disable=SC2086
		att_in "$ns" attach $args
		xt_assert_eq "exit code of 'xtap attach $args'" 2 "$XT_RC"
		xt_assert_match "error of 'xtap attach $args'" '^xtap: attach' "$XT_STDERR"
	done
	att_in "$ns" detach
	xt_assert_eq "exit code of 'xtap detach' with nothing named" 2 "$XT_RC"
	att_in "$ns" detach --all lo
	xt_assert_eq "exit code of 'xtap detach --all lo'" 2 "$XT_RC"
	att_in "$ns" flows --sort bogus
	xt_assert_eq "exit code of 'xtap flows --sort bogus'" 2 "$XT_RC"
	xt_assert_eq "lo after the usage errors" "" \
		"$(xt_ns "$ns" ip link show dev lo | grep -o 'prog/xdp.*')"
	[ -n "$others" ] || [ ! -e "$XTAP_PIN_ROOT" ] ||
		xt_fail "usage errors left $XTAP_PIN_ROOT"
}

# A plain ingress qdisc (not clsact) is already on the interface and
# --tc clsact is asked for: the ingress qdisc has no egress hook. xtap must
# either refuse (one line, exit 1, nothing left, the qdisc kept) or attach
# programs that see each direction where it belongs: 7 pings, 7 each way.
test_attach_clsact_beside_ingress_qdisc()
{
	local before after st flows
	xt_require ping
	att_pair 14
	xt_ns "$A_NS_S" tc qdisc add dev "$A_IF_S" ingress || xt_fail "cannot add an ingress qdisc"
	xt_defer xt_ns "$A_NS_S" tc qdisc del dev "$A_IF_S" ingress
	before=$(att_snapshot "$A_NS_S" "$A_IF_S")
	att_detach_later "$A_NS_S" "$A_IF_S"
	att_in "$A_NS_S" attach "$A_IF_S" --hooks tc-ingress,tc-egress --tc clsact
	if [ "$XT_RC" != 0 ]; then
		xt_assert_eq "exit code" 1 "$XT_RC"
		att_one_line "attach --tc clsact beside an ingress qdisc" "$XT_STDERR"
		xt_assert_eq "ip link and tc after the refused attach" "$before" \
			"$(att_snapshot "$A_NS_S" "$A_IF_S")"
		att_pins_gone "after the refused attach" "$A_IF_S"
		return 0
	fi
	xt_info "attached: $XT_STDOUT"
	xt_ok "7 pings" xt_ns "$A_NS_C" ping -c 7 -i 0.05 -W 1 -q "$A_S4"
	att_json flows "flows -j" "" flows -j
	att_json st "stats -j" "" stats -j
	xt_assert_match "the ICMP flow beside an ingress qdisc" '^icmp c2s=7/686 s2c=7/686 ' \
		"$(att_py flows "$A_C4" "$A_S4" <<<"$flows")"
	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	after=$(att_snapshot "$A_NS_S" "$A_IF_S")
	xt_assert_eq "ip link and tc after detach" "$before" "$after"
}

# A slot freed by detach and taken by another interface starts from zero.
test_attach_reused_slot_counts_from_zero()
{
	local st slot_old slot_new h
	xt_require ping
	att_pair 15
	att_detach_later "$A_NS_C" "$A_IF_C"
	att_detach_later "$A_NS_S" "$A_IF_S"
	att_detach_later "$A_NS_S" lo
	# the client's end keeps the shared state alive throughout
	xt_ok "attach the client's end" xt_ns "$A_NS_C" "$XTAP" attach "$A_IF_C" --hooks tc-ingress
	xt_ok "attach the server's end" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	xt_ok "5 pings" xt_ns "$A_NS_C" ping -c 5 -i 0.05 -W 1 -q "$A_S4"
	att_json st "stats -j" "" stats -j
	xt_assert_eq "icmp at $A_IF_S xdp" 5 "$(att_py stat "$A_IF_S" xdp icmp <<<"$st")"
	att_json st "status -j" "" status -j
	slot_old=$(att_py status "$A_IF_S" slot <<<"$st")
	xt_ok "detach the server's end" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"

	# lo in the server's namespace: no traffic at all
	xt_ok "attach lo" xt_ns "$A_NS_S" "$XTAP" attach lo --mode generic
	att_json st "status -j" "" status -j
	slot_new=$(att_py status lo slot <<<"$st")
	[ "$slot_new" = "$slot_old" ] ||
		xt_info "lo took slot $slot_new, not $A_IF_S's $slot_old (somebody else attached meanwhile)"
	att_json st "stats -j" "" stats -j
	for h in xdp tc-ingress tc-egress; do
		xt_assert_eq "packets at lo $h right after attach (slot $slot_new, $A_IF_S's before)" 0 \
			"$(att_py stat lo "$h" packets <<<"$st")"
	done
	xt_ok "detach lo" xt_ns "$A_NS_S" "$XTAP" detach lo
	xt_ok "detach the client's end" xt_ns "$A_NS_C" "$XTAP" detach "$A_IF_C"
	att_pins_gone "after detach" "$A_IF_C" "$A_IF_S" lo
}

# --- 9: flows --watch stops on SIGINT -----------------------------------------------

test_flows_watch_stops_on_sigint()
{
	local pid log=$XT_TMP/watch.log rc i
	att_pair 16
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	xt_ok "3 pings" xt_ns "$A_NS_C" ping -c 3 -i 0.05 -W 1 -q "$A_S4"
	xt_bg pid "" "$log" timeout -s KILL 20 "$XTAP" flows --watch 1
	xt_wait_log "xtap flows --watch 1" "$pid" "$log" '^PROTO +CLIENT'
	sleep 1.3     # at least one redraw
	# signal xtap itself, not the timeout wrapper
	local xpid
	xpid=$(pgrep -P "$pid" -x xtap) || xt_fail "no xtap under the timeout wrapper $pid"
	kill -INT "$xpid"
	for ((i = 0; i < 30; i++)); do
		xt_alive "$pid" || break
		sleep 0.1
	done
	xt_alive "$pid" && xt_fail "xtap flows --watch still running 3s after SIGINT"
	wait "$pid"
	rc=$?
	xt_assert_eq "exit code after SIGINT" 0 "$rc"
	xt_assert_match "header" '(^|'$'\n'')PROTO +CLIENT +SERVER' "$(cat "$log")"
	xt_assert_match "the watch line" 'flows, every 1s \(Ctrl-C to stop\)' "$(cat "$log")"
	[ "$(grep -c 'Ctrl-C to stop' "$log")" -ge 2 ] ||
		xt_fail "no redraw within 1.3s: $(grep -c 'Ctrl-C to stop' "$log") tables"
	xt_assert_match "the pings in the table" "icmp +$A_C4 " "$(cat "$log")"
	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	att_pins_gone "after detach" "$A_IF_S"
}

# --- 10: the ABI recorded in the pinned state ----------------------------------------

# att_abi_refused WHAT ABI CMD... : xtap CMD fails with exit code 1 and the one
# line that names the state's ABI and this xtap's
att_abi_refused()
{
	local what=$1 abi=$2 cmd=$3
	shift 2
	att_in "" "$@"
	xt_assert_eq "$what: exit code" 1 "$XT_RC"
	xt_assert_eq "$what: error" \
		"xtap: $cmd: pinned state at $XTAP_PIN_ROOT has ABI $abi, this xtap has ABI $ATT_ABI: run 'xtap detach --all', then attach again" \
		"$XT_STDERR"
}

# A state recorded by another ABI, or by an xtap from before the record (none:
# version 0), is refused by every command that reads it; detach --all, the
# fix, still works and leaves nothing.
test_attach_abi_mismatch_refused()
{
	local others rec ids cmd
	xt_require bpftool
	others=$(att_others)
	[ -z "$others" ] || xt_skip "other interfaces are attached: $(echo $others)"
	att_pair 17
	att_detach_later "$A_NS_S" "$A_IF_S"
	xt_ok "attach" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	rec=$XTAP_PIN_ROOT/abi
	[ -e "$rec" ] || xt_fail "no ABI record at $rec"
	ATT_ABI=$(bpftool -j map lookup pinned "$rec" key 0 0 0 0 | "$XT_PYTHON" -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(int.from_bytes(bytes(int(b, 16) for b in v), "little"))') || xt_fail "cannot read $rec"
	[ "$ATT_ABI" -gt 0 ] || xt_fail "the ABI record holds $ATT_ABI"
	att_json ids "status -j" "" status -j
	ids=$(att_py status "$A_IF_S" prog_ids <<<"$ids")

	bpftool map update pinned "$rec" key 0 0 0 0 value $((ATT_ABI + 1)) 0 0 0 ||
		xt_fail "cannot change $rec"
	for cmd in status flows stats latency hops drops; do
		att_abi_refused "$cmd, another ABI" $((ATT_ABI + 1)) "$cmd"
	done
	att_abi_refused "detach by name, another ABI" $((ATT_ABI + 1)) detach "$A_IF_S"
	# the long-running commands refuse it at the start, before serving anything
	att_abi_refused "serve, another ABI" $((ATT_ABI + 1)) serve \
		--listen "127.0.0.1:$((20000 + ${XT_ID#xt} % 20000))"
	att_abi_refused "export, another ABI" $((ATT_ABI + 1)) export \
		--json "$XT_TMP/abi.jsonl" --once
	att_abi_refused "attach, another ABI" $((ATT_ABI + 1)) attach lo

	rm -f -- "$rec" || xt_fail "cannot remove $rec"
	att_abi_refused "status, no record" 0 status
	att_abi_refused "flows, no record" 0 flows

	xt_ok "detach --all" "$XTAP" detach --all
	xt_assert_eq "detach --all's report" "$A_IF_S: detached" "$XT_STDOUT"
	[ ! -e "$XTAP_PIN_ROOT" ] || xt_fail "$XTAP_PIN_ROOT still there after detach --all"
	xt_assert_eq "$A_IF_S after detach --all" "" \
		"$(xt_ns "$A_NS_S" ip link show dev "$A_IF_S" | grep -o 'prog/xdp.*')"
	# shellcheck disable=SC2086
	att_progs_gone "after detach --all" $ids
	xt_ok "attach again" xt_ns "$A_NS_S" "$XTAP" attach "$A_IF_S" --mode generic
	xt_ok "status after attaching again" "$XTAP" status
	xt_ok "detach" xt_ns "$A_NS_S" "$XTAP" detach "$A_IF_S"
	att_pins_gone "after detach" "$A_IF_S"
}
