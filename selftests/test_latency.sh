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
