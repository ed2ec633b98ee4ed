# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Per-hop latency and loss, and drop reasons, on a routed path: client
# namespace, veth, router namespace (forwarding on), veth, server namespace,
# with xtap attached (XDP and TC) on all four veth ends.

HOPS_PY='
import json, sys

def point(p):
    return "%s/%s" % (p["iface"], p["hook"])

cmd = sys.argv[1]
doc = json.load(sys.stdin)
if cmd == "hops":
    for h in doc["hops"]:
        print(point(h["from"]), point(h["to"]), h["count"], h["lost"], h["p50_ns"], h["max_ns"])
elif cmd == "drops":
    for d in doc["drops"]:
        print(d["proto"], d["a"], d["b"], d["iface"], d["reason"], d["packets"])
'
hops_py() { "$XT_PYTHON" -c "$HOPS_PY" "$@"; }

# hops_topology : namespaces C R S, veths C0-R0 and R1-S0, IPv4 only (no
# neighbour discovery in the counts). Sets H_NS_C H_NS_R H_NS_S, H_C0 H_R0
# H_R1 H_S0 (interfaces), H_C4 H_S4 (end addresses).
hops_topology()
{
	local ns net=$((120 + ${XT_ID#xt} % 100))
	xt_ns_new H_NS_C hc
	xt_ns_new H_NS_R hr
	xt_ns_new H_NS_S hs
	for ns in "$H_NS_C" "$H_NS_R" "$H_NS_S"; do
		xt_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || xt_fail "$ns: cannot turn IPv6 off"
	done
	xt_ns "$H_NS_R" sysctl -qw net.ipv4.ip_forward=1 || xt_fail "cannot turn forwarding on"
	H_C0=$(xt_name c0) H_R0=$(xt_name r0) H_R1=$(xt_name r1) H_S0=$(xt_name s0)
	xt_veth "$H_NS_C" "$H_C0" "$H_NS_R" "$H_R0"
	xt_veth "$H_NS_R" "$H_R1" "$H_NS_S" "$H_S0"
	H_C4=10.$net.1.1 H_S4=10.$net.2.1
	xt_addr "$H_NS_C" "$H_C0" "$H_C4/24"
	xt_addr "$H_NS_R" "$H_R0" "10.$net.1.254/24"
	xt_addr "$H_NS_R" "$H_R1" "10.$net.2.254/24"
	xt_addr "$H_NS_S" "$H_S0" "$H_S4/24"
	xt_ns "$H_NS_C" ip route add default via "10.$net.1.254" || xt_fail "client route"
	xt_ns "$H_NS_S" ip route add default via "10.$net.2.254" || xt_fail "server route"
	# neighbours resolved before xtap looks: the counts are the test's packets
	xt_wait_for "$H_S4 reachable from the client" 5 xt_ping_ok "$H_NS_C" "$H_S4"
}

hops_detach_all()
{
	local e
	for e in "$H_NS_C $H_C0" "$H_NS_R $H_R0" "$H_NS_R $H_R1" "$H_NS_S $H_S0"; do
		set -- $e
		[ -e "/run/netns/$1" ] && xt_ns "$1" "$XTAP" detach "$2"
	done
	rm -rf -- "$XTAP_PIN_ROOT"
}

# hops_attach [ATTACH ARGS...] : xtap on the four veth ends, following every
# packet unless the arguments name a --hop-sample
hops_attach()
{
	local e ns dev
	local -a extra=("$@")
	[[ " $* " == *" --hop-sample "* ]] || extra+=(--hop-sample 1)
	[ -e "$XTAP_PIN_ROOT" ] && xt_skip "$XTAP_PIN_ROOT is in use"
	xt_defer hops_detach_all
	for e in "$H_NS_C $H_C0" "$H_NS_R $H_R0" "$H_NS_R $H_R1" "$H_NS_S $H_S0"; do
		read -r ns dev <<<"$e"
		xt_ok "attach $dev" xt_ns "$ns" "$XTAP" attach "$dev" "${extra[@]}"
	done
	[ -e "$XTAP_PIN_ROOT/links/drops" ] || xt_fail "attach pinned no drop tracepoint link"
}

# hops_get : `xtap hops -j` as lines "FROM TO COUNT LOST P50 MAX" into H_HOPS
hops_get()
{
	xt_ok "xtap hops -j" "$XTAP" hops -j
	H_HOPS=$(hops_py hops <<<"$XT_STDOUT") || xt_fail "xtap hops -j: not the expected JSON"
}

# hops_line FROM TO : the line of that hop in H_HOPS
hops_line() { awk -v f="$1" -v t="$2" '$1 == f && $2 == t' <<<"$H_HOPS"; }

# hops_expect FROM TO COUNT LOST
hops_expect()
{
	local l
	l=$(hops_line "$1" "$2")
	[ -n "$l" ] || { xt_show "$H_HOPS"; xt_fail "no hop $1 -> $2"; }
	set -- $l "$3" "$4"
	xt_assert_eq "packets on hop $1 -> $2" "$7" "$3"
	xt_assert_eq "lost on hop $1 -> $2" "$8" "$4"
}

# hops_path [ATTACH ARGS...] : the request and reply paths come out in
# order, each hop with exactly the pings sent, none lost. Leaves `xtap stats
# -j` in XT_STDOUT.
hops_path()
{
	local want req rep n=5
	hops_topology
	hops_attach "$@"
	xt_ok "ping x$n" xt_ns "$H_NS_C" ping -c "$n" -i 0.05 -W 1 -q "$H_S4"
	hops_get
	req="$H_C0/tc-egress $H_R0/xdp $H_R0/tc-ingress $H_R1/tc-egress $H_S0/xdp $H_S0/tc-ingress"
	rep="$H_S0/tc-egress $H_R1/xdp $H_R1/tc-ingress $H_R0/tc-egress $H_C0/xdp $H_C0/tc-ingress"
	want=$(for p in "$req" "$rep"; do
		set -- $p
		while [ $# -ge 2 ]; do printf '%s %s\n' "$1" "$2"; shift; done
	done)
	xt_assert_eq "hops in path order" "$want" "$(awk '{print $1, $2}' <<<"$H_HOPS")"
	while read -r f t; do
		hops_expect "$f" "$t" "$n" 0
	done <<<"$want"
	# every hop has a time, and none is longer than the test
	awk '$5 == 0 || $6 > 5000000000 { exit 1 }' <<<"$H_HOPS" ||
		{ xt_show "$H_HOPS"; xt_fail "a hop without a time, or one above 5 s"; }
	xt_ok "xtap hops -v" "$XTAP" hops -v
	xt_assert_match "histogram bars" '#' "$XT_STDOUT"
	xt_ok "xtap stats -j" "$XTAP" stats -j
}

# Native XDP on veth hands the metadata on: the XDP to TC hop of each
# interface comes from XDP's stamp.
test_hops_path_order_and_counts()
{
	hops_path --mode native
	xt_assert_match "TC ingress took XDP's stamp" '"hop_meta_stamp": *[1-9]' "$XT_STDOUT"
}

# Generic XDP and clsact: the same hops, whether or not the stamp reaches TC
# (where it does not, TC ingress matches by fingerprint).
test_hops_generic_clsact()
{
	local id e ns dev
	hops_path --mode generic --tc clsact
	# the drop tracepoint goes with the last detach
	id=$(bpftool -j link show pinned "$XTAP_PIN_ROOT/links/drops" |
		"$XT_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])') ||
		xt_fail "no drop tracepoint link pinned"
	for e in "$H_NS_C $H_C0" "$H_NS_R $H_R0" "$H_NS_R $H_R1"; do
		read -r ns dev <<<"$e"
		xt_ok "detach $dev" xt_ns "$ns" "$XTAP" detach "$dev"
	done
	bpftool prog show id "$id" >/dev/null 2>&1 || xt_fail "drop tracepoint gone before the last detach"
	xt_ok "detach $H_S0" xt_ns "$H_NS_S" "$XTAP" detach "$H_S0"
	[ -e "$XTAP_PIN_ROOT" ] && xt_fail "$XTAP_PIN_ROOT left after the last detach"
	xt_wait_for "drop tracepoint program $id unloaded" 5 sh -c "! bpftool prog show id $id >/dev/null 2>&1"
}

# A --hop-sample that is not a power of 2 is refused before anything is attached.
test_hops_sample_option()
{
	local had=0
	[ -e "$XTAP_PIN_ROOT" ] && had=1
	xt_assert_rc "--hop-sample 3" 2 "$XTAP" attach --hop-sample 3 lo
	xt_assert_match "one-line error" 'hop-sample 3: a power of 2' "$XT_STDERR"
	[ "$had" = 0 ] && [ -e "$XTAP_PIN_ROOT" ] && xt_fail "a refused attach left $XTAP_PIN_ROOT"
	return 0
}

# Sampling: a new state follows 1 in 16 packets; --hop-sample sets the rate
# for every interface, later attaches keep it; and every point follows the
# same packets, so each hop of a path counts the same ones, none lost.
test_hops_sampled_path()
{
	local e ns dev n=64 want c
	hops_topology
	hops_attach --hop-sample 16
	xt_ok "xtap hops" "$XTAP" hops
	xt_assert_match "says what it follows" 'following 1 in 16 packets' "$XT_STDOUT"
	hops_detach_all >/dev/null
	xt_ok "attach without --hop-sample" xt_ns "$H_NS_C" "$XTAP" attach "$H_C0"
	xt_ok "xtap hops -j" "$XTAP" hops -j
	xt_assert_match "a new state follows 1 in 16" '"sample": *16[,}]' "$XT_STDOUT"
	xt_ok "attach --hop-sample 2" xt_ns "$H_NS_R" "$XTAP" attach --hop-sample 2 "$H_R0"
	for e in "$H_NS_R $H_R1" "$H_NS_S $H_S0"; do
		read -r ns dev <<<"$e"
		xt_ok "attach $dev" xt_ns "$ns" "$XTAP" attach "$dev"
	done
	xt_ok "xtap hops -j" "$XTAP" hops -j
	xt_assert_match "later attaches keep 1 in 2" '"sample": *2[,}]' "$XT_STDOUT"
	xt_ok "ping x$n" xt_ns "$H_NS_C" ping -c "$n" -i 0.02 -W 1 -q "$H_S4"
	hops_get
	for p in "$H_C0/tc-egress $H_R0/xdp $H_R0/tc-ingress $H_R1/tc-egress $H_S0/xdp $H_S0/tc-ingress" \
		 "$H_S0/tc-egress $H_R1/xdp $H_R1/tc-ingress $H_R0/tc-egress $H_C0/xdp $H_C0/tc-ingress"; do
		set -- $p
		want=$(hops_line "$1" "$2" | awk '{print $3}')
		# 1 in 2 of 64: outside 12..52 with a chance of about 1e-7
		[ -n "$want" ] && [ "$want" -ge 12 ] && [ "$want" -le 52 ] ||
			{ xt_show "$H_HOPS"; xt_fail "hop $1 -> $2: ${want:-no} packets of $n at 1 in 2"; }
		while [ $# -ge 2 ]; do
			hops_expect "$1" "$2" "$want" 0
			shift
		done
	done
}

# An nftables drop in the router for UDP to one port: the loss shows on the
# router hop (its TC ingress to the other side's TC egress) and on no other,
# and xtap drops names NETFILTER_DROP for exactly that flow; a datagram to a
# closed port at the server is dropped with its own reason.
test_hops_loss_on_router_hop_with_drop_reasons()
{
	local drop=4 req l
	hops_topology
	xt_ns "$H_NS_R" nft -f - <<-EOF || xt_fail "nft rule"
		table inet xthops {
			chain xtfwd {
				type filter hook forward priority 0;
				udp dport 9999 drop
			}
		}
	EOF
	hops_attach
	mkdir -p "$XT_TMP/www"
	echo hops >"$XT_TMP/www/index.html"
	xt_http_server http "$H_NS_S" 8080 "$XT_TMP/www"
	xt_ok "ping" xt_ns "$H_NS_C" ping -c 3 -i 0.05 -W 1 -q "$H_S4"
	xt_ok "curl" xt_ns "$H_NS_C" curl -sS -o /dev/null --max-time 5 "http://$H_S4:8080/"
	# a connected socket: each datagram has its own IP ID
	xt_ok "udp to the dropped port" xt_ns "$H_NS_C" "$XT_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9999))
for i in range(int(sys.argv[2])):
    s.send(b"xtap hops %d" % i)
' "$H_S4" "$drop"
	xt_ok "udp to a closed port" xt_ns "$H_NS_C" "$XT_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"closed", (sys.argv[1], 9998))
' "$H_S4"
	sleep 1.5	# past the sighting timeout: what has not arrived is lost
	hops_get
	req="$H_C0/tc-egress $H_R0/xdp $H_R0/tc-ingress $H_R1/tc-egress $H_S0/xdp $H_S0/tc-ingress"
	set -- $req
	local c1 c3
	c1=$(hops_line "$1" "$2" | awk '{print $3}')
	c3=$(hops_line "$3" "$4" | awk '{print $3}')
	[ -n "$c1" ] && [ -n "$c3" ] || { xt_show "$H_HOPS"; xt_fail "request path hops missing"; }
	xt_assert_eq "router hop carries all but the dropped datagrams" "$((c1 - drop))" "$c3"
	hops_expect "$3" "$4" "$c3" "$drop"
	l=$(awk -v f="$3" -v t="$4" '!($1 == f && $2 == t) && $4 != 0' <<<"$H_HOPS")
	[ -z "$l" ] || { xt_show "$H_HOPS"; xt_fail "loss on a hop other than the router's: $l"; }

	xt_ok "xtap drops -j" "$XTAP" drops -j
	l=$(hops_py drops <<<"$XT_STDOUT") || xt_fail "xtap drops -j: not the expected JSON"
	xt_assert_eq "NETFILTER_DROP: the UDP flow to 9999 only, at the router's ingress" \
		"udp $H_R0 $drop" "$(awk '$5 == "NETFILTER_DROP" { print $1, $4, $6 }' <<<"$l" |
			sort | tr '\n' ' ' | sed 's/ $//')"
	xt_assert_match "the dropped flow is the one to 9999" "NETFILTER_DROP" \
		"$(grep -F ":9999 " <<<"$l")"
	xt_assert_eq "closed port: its own reason, at the server" "udp $H_S0 NO_SOCKET 1" \
		"$(grep -F ":9998 " <<<"$l" | awk '{ print $1, $4, $5, $6 }')"
	xt_ok "xtap flows" xt_ns "$H_NS_C" "$XTAP" flows
	xt_assert_match "flows: a DROPS column" 'DROPS' "$XT_STDOUT"
	xt_assert_eq "flows: the dropped flow's DROPS" "$drop" \
		"$(grep -F ":9999 " <<<"$XT_STDOUT" | awk '{ print $NF }')"
	xt_stop "$http"
}
