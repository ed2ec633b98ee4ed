# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Overlay tunnels on live traffic: a VXLAN device over a veth underlay
# between two namespaces, xtap attached to the underlay.

# VNI 42 over UDP 4789 between 10.77.0.1 and 10.77.0.2, the overlay
# 10.88.0.1 <-> 10.88.0.2; ping and HTTP inside. xtap on the client's
# underlay shows the inner flows keyed with VNI 42, their outer endpoints
# and the HTTP connection's handshake times, and no outer UDP 4789 flow.
test_tunnel_vxlan_live()
{
	local www=$XT_TMP/www http vc vs port col
	xt_require curl
	xt_pair
	vc=$(xt_name vxc) || exit 1
	vs=$(xt_name vxs) || exit 1
	xt_ns "$XT_NS_C" ip link add "$vc" type vxlan id 42 dstport 4789 local "$XT_C4" \
		remote "$XT_S4" dev "$XT_IF_C" || xt_skip "no vxlan device here"
	xt_link_register "$XT_NS_C" "$vc"
	xt_ns "$XT_NS_S" ip link add "$vs" type vxlan id 42 dstport 4789 local "$XT_S4" \
		remote "$XT_C4" dev "$XT_IF_S" || xt_fail "cannot add a vxlan device"
	xt_link_register "$XT_NS_S" "$vs"
	xt_addr "$XT_NS_C" "$vc" 10.88.0.1/24
	xt_addr "$XT_NS_S" "$vs" 10.88.0.2/24
	xt_ns "$XT_NS_C" ip link set "$vc" up || xt_fail "cannot bring $vc up"
	xt_ns "$XT_NS_S" ip link set "$vs" up || xt_fail "cannot bring $vs up"
	xt_wait_for "10.88.0.2 reachable through the tunnel" 5 xt_ping_ok "$XT_NS_C" 10.88.0.2
	mkdir -p "$www"
	printf 'xtap tunnel\n' >"$www/index.html"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	xt_ok "xtap attach" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C"
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
	xt_ok "ping through the tunnel" xt_ns "$XT_NS_C" ping -c 3 -i 0.2 -W 1 -q 10.88.0.2
	xt_ok "curl through the tunnel" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
		"http://10.88.0.2:8080/"
	sleep 1	# the last FINs and ACKs
	xt_ok "xtap flows -j" xt_ns "$XT_NS_C" "$XTAP" flows -j
	xt_ok "inner flows with VNI 42 and the outer endpoints" "$XT_PYTHON" -c '
import json, sys
flows = json.loads(sys.argv[1])["flows"]
bad = []
inner = [f for f in flows if {f["a"]["addr"], f["b"]["addr"]} == {"10.88.0.1", "10.88.0.2"}]
want_outer = {"10.88.0.1": "10.77.0.1", "10.88.0.2": "10.77.0.2"}
for f in inner:
    t = f.get("tunnel")
    name = "%s %s" % (f["proto"], f["flow_id"])
    if not t or t.get("type") != "vxlan" or t.get("id") != 42:
        bad.append("%s: tunnel %s" % (name, t))
        continue
    if t.get("outer_src") != want_outer[f["a"]["addr"]] or t.get("outer_dst") != want_outer[f["b"]["addr"]]:
        bad.append("%s: outer %s -> %s" % (name, t.get("outer_src"), t.get("outer_dst")))
    if t.get("udp_dport") != 4789:
        bad.append("%s: udp_dport %s" % (name, t.get("udp_dport")))
icmp = [f for f in inner if f["proto"] == "icmp"]
if len(icmp) != 1 or icmp[0]["packets_ab"] + icmp[0]["packets_ba"] < 6:
    bad.append("icmp flows %s" % [(f["packets_ab"], f["packets_ba"]) for f in icmp])
tcp = [f for f in inner if f["proto"] == "tcp" and 8080 in (f["a"]["port"], f["b"]["port"])]
if len(tcp) != 1:
    bad.append("%d inner TCP flows to 8080" % len(tcp))
else:
    f = tcp[0]
    if f["outcome"] != "closed" or f.get("initial_rtt_ns") is None:
        bad.append("tcp: outcome %s, initial_rtt_ns %s" % (f["outcome"], f.get("initial_rtt_ns")))
outer = [f for f in flows if f["proto"] == "udp" and 4789 in (f["a"].get("port"), f["b"].get("port"))]
if outer:
    bad.append("%d outer UDP 4789 flows" % len(outer))
if bad:
    print("\n".join(bad))
    sys.exit(1)
' "$XT_STDOUT"
	xt_ok "xtap flows (text)" xt_ns "$XT_NS_C" "$XTAP" flows
	xt_assert_match "the TUNNEL column" "vxlan:42 10.77.0.1>10.77.0.2" "$XT_STDOUT"
	xt_ok "xtap flows -j --tunnel 42" xt_ns "$XT_NS_C" "$XTAP" flows -j --tunnel 42
	xt_ok "--tunnel 42 selects the inner flows alone" "$XT_PYTHON" -c '
import json, sys
flows = json.loads(sys.argv[1])["flows"]
ok = len(flows) >= 2 and all(f.get("tunnel", {}).get("id") == 42 for f in flows)
sys.exit(0 if ok else 1)
' "$XT_STDOUT"
	xt_ok "xtap flows -j --tunnel 7" xt_ns "$XT_NS_C" "$XTAP" flows -j --tunnel 7
	xt_assert_match "no flow in tunnel 7" '"total": *0' "$XT_STDOUT"
	xt_ok "xtap stats -j" xt_ns "$XT_NS_C" "$XTAP" stats -j
	xt_assert_match "decapsulations counted" '"tunnel_decapsulated"' "$XT_STDOUT"
	xt_stop "$http"
	# IPFIX: the inner flows' records carry VNI 42 (layer2SegmentId with the
	# VxLAN segment type, xtap's type and id) on both directions, and the
	# initiator's the outer endpoints of its direction
	port=$("$XT_PYTHON" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	xt_bg col "" "$XT_TMP/col.log" "$XT_PYTHON" "$XT_DIR/ipfix_decode.py" udp-collector \
		"$port" "$XT_TMP/ipfix.jsonl"
	xt_wait_log "collector" "$col" "$XT_TMP/col.log" '^ready'
	xt_ok "xtap export --once" "$XTAP" export --ipfix "127.0.0.1:$port" --udp --once
	xt_wait_for "the TCP flow's records" 5 grep -q '"11": 8080' "$XT_TMP/ipfix.jsonl"
	xt_stop "$col"
	xt_ok "IPFIX tunnel elements" "$XT_PYTHON" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in recs if "undecodable" in r]
inner = [r["fields"] for r in recs if "fields" in r and
         {r["fields"].get("8"), r["fields"].get("12")} == {"10.88.0.1", "10.88.0.2"}]
outer = {"10.88.0.1": "10.77.0.1", "10.88.0.2": "10.77.0.2"}
vni42 = (1 << 56) | 42
for f in inner:
    if (f.get("351"), f.get("32473:27"), f.get("32473:28")) != (vni42, 1, 42):
        bad.append(("tunnel", f))
    if f["239"] == 1 and (f.get("32473:29"), f.get("32473:30")) != (outer[f["8"]], outer[f["12"]]):
        bad.append(("outer endpoints", f))
dirs = {(f["4"], f["239"]) for f in inner}
if not {(1, 1), (1, 2), (6, 1), (6, 2)} <= dirs:
    bad.append(("records of ICMP and TCP both ways", sorted(dirs)))
if any(f.get("7") == 4789 or f.get("11") == 4789 for r in recs for f in [r.get("fields", {})]):
    bad.append("an outer UDP 4789 record")
if bad:
    print(bad)
    sys.exit(1)
print(len(inner), "inner records")' "$XT_TMP/ipfix.jsonl"
}

# Replay of crafted tunnel captures (mkpcap -T: TCP and UDP in VXLAN, Geneve,
# GRE over IPv4 and IPv6 inner, IPv4 and IPv6 in IPv4) agrees with tshark's
# inner conversations: the same conversations, frames and bytes each way,
# and no flow of the tunnel ends themselves.
test_tunnel_replay_matches_tshark()
{
	local mkpcap=${XTAP_MKPCAP:-$(dirname "$XTAP")/tests/mkpcap} pcap=$XT_TMP/tun.pcap
	xt_require tshark
	xt_ok "mkpcap -T" "$mkpcap" -T "$pcap"
	xt_replay_json "$pcap" "$XT_TMP/replay.json"
	xt_ok "tshark conversations" tshark -q -z conv,tcp -z conv,udp -r "$pcap"
	xt_ok "the inner conversations agree" "$XT_PYTHON" -c '
import json, re, sys
flows = json.load(open(sys.argv[1]))["flows"]
conv = {}
for line in sys.argv[2].splitlines():
    m = re.match(r"(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+) bytes\s+(\d+) (\d+) bytes", line)
    if not m:
        continue
    a, b = [tuple(x.rsplit(":", 1)) for x in m.group(1, 2)]
    if a[0].startswith("172.16.") or b[0].startswith("172.16."):
        continue	# the tunnel ends: the outer UDP of VXLAN and Geneve
    # tshark: "<-" is b to a, "->" is a to b
    conv[frozenset([a, b])] = {a: (int(m.group(5)), int(m.group(6))), b: (int(m.group(3)), int(m.group(4)))}
bad = []
seen = set()
for f in flows:
    a = (f["a"]["addr"], str(f["a"].get("port")))
    b = (f["b"]["addr"], str(f["b"].get("port")))
    k = frozenset([a, b])
    if k not in conv:
        bad.append("xtap flow %s <-> %s not in tshark" % (a, b))
        continue
    seen.add(k)
    got = {a: (f["packets_ab"], f["bytes_ab"]), b: (f["packets_ba"], f["bytes_ba"])}
    if got != conv[k]:
        bad.append("%s <-> %s: xtap %s, tshark %s" % (a, b, got, conv[k]))
for k in set(conv) - seen:
    bad.append("tshark conversation %s not in xtap" % sorted(k))
if len(conv) != 12:
    bad.append("%d inner conversations in tshark, want 12" % len(conv))
if bad:
    print("\n".join(bad))
    sys.exit(1)
' "$XT_TMP/replay.json" "$XT_STDOUT"
}
