# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sampled flow accounting (xtap attach --sampling N) on live traffic: the
# estimates of a known traffic mix fall within their statistical bounds, and
# every TCP handshake and close is exact.

# 4,000 UDP datagrams and five HTTP connections from the client's namespace,
# xtap on the client's end sampling 1 in 4: the UDP flow's estimate is within
# 5 standard deviations (sqrt(n (N - 1))) of what was sent and flagged as an
# estimate; each connection has one SYN and one FIN each way, its handshake
# times and the outcome "closed".
test_sample_estimates_and_exact_handshakes()
{
	local www=$XT_TMP/www http i
	xt_require curl
	xt_pair
	mkdir -p "$www"
	printf 'xtap sampling\n' >"$www/index.html"
	xt_http_server http "$XT_NS_S" 8080 "$www"
	xt_ok "xtap attach --sampling 4" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C" --sampling 4
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
	xt_ok "4000 UDP datagrams" xt_ns "$XT_NS_C" "$XT_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 47000))
for i in range(4000):
    s.sendto(b"x" * 32, (sys.argv[1], 9))
    if i % 200 == 199:
        time.sleep(0.01)
' "$XT_S4"
	for i in 1 2 3 4 5; do
		xt_ok "curl ($i)" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/"
	done
	sleep 1	# the last FINs and ACKs
	xt_ok "xtap flows -j" xt_ns "$XT_NS_C" "$XTAP" flows -j
	xt_ok "estimates and handshakes" "$XT_PYTHON" -c '
import json, sys
flows = json.loads(sys.argv[1])["flows"]
bad = []
udp = [f for f in flows if f["proto"] == "udp" and 47000 in (f["a"]["port"], f["b"]["port"])]
if len(udp) != 1:
    bad.append("%d UDP flows from port 47000" % len(udp))
else:
    f = udp[0]
    est = f["packets_ab"] + f["packets_ba"]
    if not (f["estimated"] and f["sampling"] == 4):
        bad.append("UDP flow not flagged: %s %s" % (f["estimated"], f["sampling"]))
    if abs(est - 4000) > 5 * (4000 * 3) ** 0.5 or est % 4:
        bad.append("UDP estimate %d for 4000 datagrams" % est)
tcp = [f for f in flows if f["proto"] == "tcp" and 8080 in (f["a"]["port"], f["b"]["port"])]
if len(tcp) != 5:
    bad.append("%d TCP flows to 8080, expected 5" % len(tcp))
for f in tcp:
    name = "tcp %s:%s" % (f["a"]["port"], f["b"]["port"])
    if (f["syn_ab"], f["syn_ba"], f["fin_ab"], f["fin_ba"], f["rst_ab"], f["rst_ba"]) != (1, 1, 1, 1, 0, 0):
        bad.append("%s: SYN/FIN/RST %s" % (name, [f[k] for k in ("syn_ab", "syn_ba", "fin_ab", "fin_ba", "rst_ab", "rst_ba")]))
    if f["outcome"] != "closed" or f.get("initial_rtt_ns") is None:
        bad.append("%s: outcome %s, initial_rtt_ns %s" % (name, f["outcome"], f.get("initial_rtt_ns")))
    if not f["estimated"]:
        bad.append("%s: not flagged as an estimate" % name)
if bad:
    print("\n".join(bad))
    sys.exit(1)
' "$XT_STDOUT"
	xt_ok "xtap flows (text)" xt_ns "$XT_NS_C" "$XTAP" flows
	xt_assert_match "estimates marked in the table" "~ estimates: 1 packet in 4" "$XT_STDOUT"
	xt_stop "$http"
}
