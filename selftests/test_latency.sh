# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TCP handshake timing and connection outcomes against tshark: real curl
# traffic between two namespaces, captured with tcpdump and replayed.

# latency_traffic PCAP : HTTP over IPv4 and IPv6 (six connections), then one
# connection to a closed port, captured in the client's namespace.
latency_traffic()
{
	local pcap=$1 www=$XT_TMP/www http cap url i
	xt_require tcpdump tshark curl
	xt_pair
	mkdir -p "$www"
	printf '<html><body>xtap latency</body></html>\n' >"$www/index.html"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$pcap" tcp
	for i in 1 2 3; do
		for url in "http://$XT_S4:8080/" "http://[$XT_S6]:8080/"; do
			xt_ok "curl $url ($i)" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "$url"
		done
	done
	xt_assert_rc "curl to a closed port" 7 xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
		"http://$XT_S4:9/"
	xt_capture_stop "$cap"
	xt_stop "$http"
}

# Per TCP conversation, xtap's initial_rtt_ns (SYN to SYN-ACK plus SYN-ACK to
# ACK, measured in the kernel) equals tshark's tcp.analysis.initial_rtt to
# within 1 us; the HTTP connections are closed by FIN, the one to a closed
# port is refused. (For a refused connection tshark gives the SYN to RST time
# as initial_rtt; xtap reports no handshake times for it.)
test_latency_handshake_agrees_with_tshark()
{
	local pcap=$XT_TMP/lat.pcap json=$XT_TMP/lat.json fields=$XT_TMP/lat.fields
	latency_traffic "$pcap"
	xt_replay_json "$pcap" "$json"
	xt_ok "tshark initial_rtt" tshark -r "$pcap" -T fields -E separator=/t -E occurrence=f \
		-e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst \
		-e tcp.dstport -e tcp.analysis.initial_rtt -Y tcp
	printf '%s\n' "$XT_STDOUT" >"$fields"
	xt_ok "compare handshakes" "$XT_PYTHON" - "$json" "$fields" <<'EOF'
import ipaddress, json, sys

flows = [f for f in json.load(open(sys.argv[1]))["flows"] if f["proto"] == "tcp"]

def ep(addr, port):
    return (ipaddress.ip_address(addr).compressed, int(port))

streams = {}
for line in open(sys.argv[2]):
    c = line.rstrip("\n").split("\t")
    if len(c) < 8 or not c[0]:
        continue
    s = streams.setdefault(int(c[0]), {"eps": None, "rtt": None})
    if s["eps"] is None:
        s["eps"] = frozenset((ep(c[1] or c[2], c[3]), ep(c[4] or c[5], c[6])))
    if c[7] and s["rtt"] is None:
        s["rtt"] = round(float(c[7]) * 1e9)

bad = []
byeps = {frozenset((ep(f["a"]["addr"], f["a"]["port"]), ep(f["b"]["addr"], f["b"]["port"]))): f
         for f in flows}
if len(byeps) != len(streams):
    bad.append("xtap has %d TCP flows, tshark %d streams" % (len(byeps), len(streams)))
timed = refused = closed = 0
for n, s in sorted(streams.items()):
    f = byeps.get(s["eps"])
    if f is None:
        bad.append("stream %d: no xtap flow" % n)
        continue
    x = f["initial_rtt_ns"]
    ports = {f["a"]["port"], f["b"]["port"]}
    if f["outcome"] == "refused":
        pass    # tshark times SYN to RST as initial_rtt; xtap has no handshake
    elif s["rtt"] is None or x is None:
        if s["rtt"] is not None or x is not None:
            bad.append("stream %d: tshark %s, xtap %s" % (n, s["rtt"], x))
    else:
        timed += 1
        if abs(x - s["rtt"]) > 1000:
            bad.append("stream %d: initial_rtt tshark %d ns, xtap %d ns" % (n, s["rtt"], x))
        if x != f["handshake_syn_synack_ns"] + f["handshake_synack_ack_ns"]:
            bad.append("stream %d: initial_rtt_ns is not the sum of its halves" % n)
    if 9 in ports:
        refused += f["outcome"] == "refused"
        if f["outcome"] != "refused" or f["initial_rtt_ns"] is not None:
            bad.append("stream %d to port 9: outcome %s, initial_rtt_ns %s"
                       % (n, f["outcome"], f["initial_rtt_ns"]))
    elif f["outcome"] != "closed" or f["syn_retransmits"] != 0:
        bad.append("stream %d: outcome %s, syn_retransmits %d"
                   % (n, f["outcome"], f["syn_retransmits"]))
    else:
        closed += 1
for b in bad:
    print(b, file=sys.stderr)
print("timed %d, closed %d, refused %d" % (timed, closed, refused))
sys.exit(1 if bad else 0)
EOF
	xt_assert_eq "handshakes compared" "timed 6, closed 6, refused 1" "$XT_STDOUT"
}

# The table shows the same: an RTT and "closed" for the HTTP connections,
# "-" and "refused" for the closed port.
test_latency_table_outcomes()
{
	local pcap=$XT_TMP/lat.pcap
	latency_traffic "$pcap"
	xt_ok "xtap replay" "$XTAP" replay -r "$pcap"
	xt_assert_match "table header" 'DURATION +RTT +OUTCOME' "$XT_STDOUT"
	xt_assert_match "refused row" ":9 .* - refused" "$XT_STDOUT"
	xt_assert_eq "closed rows with an RTT" 6 \
		"$(grep -Ec ':8080 .* [0-9.]+(ns|us|ms|s) closed( |$)' <<<"$XT_STDOUT")"
}

# --- retransmissions, histograms (kern/lib/latency.h) ----------------------

# retrans_traffic PCAP : echo conversations over IPv4 and IPv6 between the
# namespaces, one message in flight at a time, while nftables in each
# namespace drops every fifth data segment coming in (deterministically:
# numgen inc). Timers are shortened (route rto_min) so a loss costs ms.
# Captured in the client's namespace, where tcpdump sees both copies of every
# retransmitted segment (inbound frames are captured before nftables).
retrans_traffic()
{
	local pcap=$1 srv cap addr ns dev net
	xt_require tcpdump tshark nft
	xt_pair
	for ns in "$XT_NS_C" "$XT_NS_S"; do
		dev=$XT_IF_C
		[ "$ns" = "$XT_NS_S" ] && dev=$XT_IF_S
		xt_ns "$ns" ip route change 10.77.0.0/24 dev "$dev" rto_min 5ms &&
			xt_ns "$ns" ip -6 route change fd00:77::/64 dev "$dev" proto kernel metric 256 \
				rto_min 5ms || xt_fail "$ns: cannot set rto_min"

	done
	xt_ns "$XT_NS_S" nft -f - <<'EOF' || xt_fail "nftables rules in the server namespace"
table inet xtret {
	chain in {
		type filter hook input priority 0;
		tcp dport 8081 meta length > 150 numgen inc mod 5 == 1 drop
	}
}
EOF
	xt_ns "$XT_NS_C" nft -f - <<'EOF' || xt_fail "nftables rules in the client namespace"
table inet xtret {
	chain in {
		type filter hook input priority 0;
		tcp sport 8081 meta length > 150 numgen inc mod 5 == 2 drop
	}
}
EOF
	xt_bg srv "$XT_NS_S" "$XT_TMP/echo.log" "$XT_PYTHON" "$XT_DIR/tcp_echo.py" server 8081
	xt_wait_log "echo server" "$srv" "$XT_TMP/echo.log" '^ready'
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$pcap" tcp
	for addr in "$XT_S4" "$XT_S6"; do
		xt_ok "echo client to $addr" xt_ns "$XT_NS_C" timeout 30 "$XT_PYTHON" \
			"$XT_DIR/tcp_echo.py" client "$addr" 8081 20 300
	done
	xt_capture_stop "$cap"
	xt_stop "$srv"
}

# Per flow and direction, xtap replay's retransmits equal the number of
# frames tshark marks tcp.analysis.retransmission; both directions have some.
test_latency_retransmits_agree_with_tshark()
{
	local pcap=$XT_TMP/rx.pcap json=$XT_TMP/rx.json
	retrans_traffic "$pcap"
	xt_replay_json "$pcap" "$json"
	xt_ok "compare retransmissions" "$XT_PYTHON" "$XT_DIR/retrans_compare.py" --histograms \
		"$pcap" "$json"
	xt_assert_match "retransmissions compared" '^flows 2, client [1-9][0-9]*, server [1-9]' \
		"$XT_STDOUT"
}

# hist_count JSON : the count of the one histogram in `xtap latency -j`, 0 if none
hist_count()
{
	"$XT_PYTHON" -c 'import json,sys; h=json.load(sys.stdin)["latency"]; print(sum(x["count"] for x in h))' <<<"$1"
}

# Live: xtap attached in the client's namespace. Four HTTP connections add
# four handshakes to the server's histogram in `xtap latency -j`; a closed
# port shows refused, a port whose SYNs nftables drops shows unanswered.
test_latency_live_histogram_and_outcomes()
{
	local www=$XT_TMP/www http before after flows
	xt_require curl nft
	xt_pair
	mkdir -p "$www"
	printf 'xtap\n' >"$www/index.html"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	xt_ns "$XT_NS_S" nft -f - <<'EOF' || xt_fail "nftables rule in the server namespace"
table inet xtsyn {
	chain in {
		type filter hook input priority 0;
		tcp dport 8082 tcp flags & (syn | ack) == syn drop
	}
}
EOF
	xt_ok "xtap attach" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C"
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
	xt_ok "xtap latency before" "$XTAP" latency -j --service "$XT_S4:8080" --kind handshake
	before=$(hist_count "$XT_STDOUT")
	for i in 1 2 3 4; do
		xt_ok "curl ($i)" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/"
	done
	xt_assert_rc "curl to a closed port" 7 xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
		"http://$XT_S4:9/"
	xt_assert_rc "curl to a port whose SYNs are dropped" 28 xt_ns "$XT_NS_C" curl -sS -o /dev/null \
		--connect-timeout 2 "http://$XT_S4:8082/"
	xt_ok "xtap latency after" "$XTAP" latency -j --service "$XT_S4:8080" --kind handshake
	after=$(hist_count "$XT_STDOUT")
	xt_assert_eq "handshakes added to $XT_S4:8080's histogram" 4 "$((after - before))"
	xt_ok "xtap latency (text)" "$XTAP" latency --service "$XT_S4:8080" --kind handshake
	xt_assert_match "text histogram" "^$XT_S4:8080/tcp handshake"$'\n''\[[0-9.]+[num]?s, [0-9.]+[num]?s\) +[0-9]+ \|@+ *\|' \
		"$XT_STDOUT"
	xt_assert_match "summary line" $'\n''count [0-9]+, p50 [0-9.]+[num]?s, p90 .*, p99 .*, max [0-9.]+[num]?s$' \
		"$XT_STDOUT"
	xt_assert_rc "--kind garbage" 2 "$XTAP" latency --kind latency
	xt_assert_rc "--service without a port" 2 "$XTAP" latency --service "$XT_S4"
	xt_ok "xtap flows -j" "$XTAP" flows -j
	flows=$XT_STDOUT
	xt_ok "outcomes" "$XT_PYTHON" -c '
import json, sys
s = sys.argv[1]
out = {}
for f in json.load(sys.stdin)["flows"]:
    if f["proto"] != "tcp" or s not in (f["a"]["addr"], f["b"]["addr"]):
        continue
    port = f["b"]["port"] if f["b"]["addr"] == s else f["a"]["port"]
    out.setdefault(port, []).append((f["outcome"], f["syn_retransmits"],
                                      f["retransmits_ab"] + f["retransmits_ba"]))
print(" ".join("%d:%s" % (p, ",".join("%s/%d/%d" % o for o in sorted(v)))
               for p, v in sorted(out.items())))' "$XT_S4" <<<"$flows"
	xt_assert_match "outcomes per port" \
		'^9:refused/0/0 8080:(closed/0/0,){3}closed/0/0 8082:unanswered/[1-9]/[1-9]$' "$XT_STDOUT"
}

# Crafted edge cases (retrans_pcap.py): a retransmitted SYN, SYN-ACK and FIN,
# sequence numbers wrapping past 2^32 with copies from before and after the
# wrap, a partial overlap, keepalives of 0 and 1 byte (not counted) and 2
# bytes below the mark (counted), a server copy: xtap and tshark agree, 6
# from the client and 2 from the server.
test_latency_retransmit_edge_cases_agree_with_tshark()
{
	local pcap=$XT_TMP/edge.pcap json=$XT_TMP/edge.json
	xt_require tshark
	xt_ok "write the capture" "$XT_PYTHON" "$XT_DIR/retrans_pcap.py" "$pcap"
	xt_replay_json "$pcap" "$json"
	xt_ok "compare retransmissions" "$XT_PYTHON" "$XT_DIR/retrans_compare.py" "$pcap" "$json"
	xt_assert_eq "retransmissions compared" "flows 1, client 6, server 2" "$XT_STDOUT"
}
