# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/1.x and DNS response times: real curl and dig traffic between two
# namespaces, replayed from a capture and compared with tshark's http.time,
# and live, attached, against servers that answer after a known delay.

# app_http_server VAR DELAY : the delaying HTTP/1.1 server on port 8080 of
# the server namespace
app_http_server()
{
	local __ah_pid
	xt_bg __ah_pid "$XT_NS_S" "$XT_TMP/httpd.log" "$XT_PYTHON" "$XT_DIR/http_delay.py" \
		--port 8080 --delay "$2"
	xt_wait_log "http server" "$__ah_pid" "$XT_TMP/httpd.log" '^ready'
	printf -v "$1" '%s' "$__ah_pid"
}

# app_traffic PCAP : curl over IPv4 and IPv6, one connection carrying two
# requests, a 404; captured in the client's namespace
app_traffic()
{
	local pcap=$1 http cap
	xt_require tcpdump tshark curl
	xt_pair
	app_http_server http 0.02
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$pcap" tcp port 8080
	xt_ok "curl v4" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/a"
	xt_ok "curl v6" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://[$XT_S6]:8080/b"
	xt_ok "curl two on one connection" xt_ns "$XT_NS_C" curl -sS -o /dev/null -o /dev/null \
		--max-time 5 "http://$XT_S4:8080/c" "http://$XT_S4:8080/status/404"
	xt_ok "curl HEAD" xt_ns "$XT_NS_C" curl -sS -o /dev/null -I --max-time 5 "http://$XT_S4:8080/d"
	xt_capture_stop "$cap"
	xt_stop "$http"
}

# Per flow, the response times xtap measured in the kernel (count, sum, max)
# equal tshark's http.time for the responses of that TCP stream to within
# 1 us each; the status classes and the last path agree too. tshark looks at
# each segment on its own (no reassembly), so its time is to the first byte
# of the response, as xtap's.
test_app_http_agrees_with_tshark()
{
	local pcap=$XT_TMP/app.pcap json=$XT_TMP/app.json fields=$XT_TMP/app.fields
	app_traffic "$pcap"
	xt_replay_json "$pcap" "$json"
	xt_ok "tshark http.time" tshark -r "$pcap" -o tcp.desegment_tcp_streams:FALSE \
		-T fields -E separator=/t -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
		-e ip.dst -e ipv6.dst -e tcp.dstport -e http.time -e http.response.code \
		-e http.request.uri -Y http
	printf '%s\n' "$XT_STDOUT" >"$fields"
	xt_ok "compare response times" "$XT_PYTHON" - "$json" "$fields" <<'EOF'
import ipaddress, json, sys

flows = [f for f in json.load(open(sys.argv[1]))["flows"] if f["proto"] == "tcp"]

def ep(addr, port):
    return (ipaddress.ip_address(addr).compressed, int(port))

streams = {}
for line in open(sys.argv[2]):
    c = line.rstrip("\n").split("\t")
    if len(c) < 10 or not c[0]:
        continue
    s = streams.setdefault(int(c[0]), {"eps": None, "times": [], "codes": [], "uris": []})
    s["eps"] = s["eps"] or frozenset((ep(c[1] or c[2], c[3]), ep(c[4] or c[5], c[6])))
    if c[7]:
        s["times"].append(round(float(c[7]) * 1e9))
    if c[8]:
        s["codes"].append(int(c[8]))
    if c[9]:
        s["uris"].append(c[9])

byeps = {frozenset((ep(f["a"]["addr"], f["a"]["port"]), ep(f["b"]["addr"], f["b"]["port"]))): f
         for f in flows}
bad, timed = [], 0
for n, s in sorted(streams.items()):
    f = byeps.get(s["eps"])
    if f is None or "http" not in f:
        bad.append("stream %d: no xtap flow with HTTP state" % n)
        continue
    h = f["http"]
    t = s["times"]
    if h["timed"] != len(t) or h["responses"] != len(s["codes"]) or h["requests"] != len(s["uris"]):
        bad.append("stream %d: xtap %d requests, %d responses, %d timed; tshark %d, %d, %d"
                   % (n, h["requests"], h["responses"], h["timed"], len(s["uris"]),
                      len(s["codes"]), len(t)))
        continue
    timed += len(t)
    if abs(h["response_sum_ns"] - sum(t)) > 1000 * len(t):
        bad.append("stream %d: sum tshark %d ns, xtap %d ns" % (n, sum(t), h["response_sum_ns"]))
    if t and abs(h["response_max_ns"] - max(t)) > 1000:
        bad.append("stream %d: max tshark %d ns, xtap %d ns" % (n, max(t), h["response_max_ns"]))
    for code in s["codes"]:
        h["status"]["%dxx" % (code // 100)] -= 1
    if any(h["status"].values()):
        bad.append("stream %d: status classes differ: %s" % (n, s["codes"]))
    if h["last_status"] != s["codes"][-1] or h["last_path"] != s["uris"][-1]:
        bad.append("stream %d: last %s %s, tshark %s %s" % (n, h["last_status"], h["last_path"],
                                                             s["codes"][-1], s["uris"][-1]))
for b in bad:
    print(b, file=sys.stderr)
print("streams %d, timed %d" % (len(streams), timed))
sys.exit(1 if bad else 0)
EOF
	xt_assert_eq "responses compared" "streams 4, timed 5" "$XT_STDOUT"
	if grep -Eq '"(http_[a-z0-9_]*|dns_[a-z_]*|app_flows_failed)":' "$json"; then
		xt_fail "bad-input counters on clean traffic: $(grep -Eo '"(http|dns|app)_[a-z0-9_]*":[0-9]+' "$json")"
	fi
}

# The replay table shows the status and the mean response time.
test_app_table()
{
	local pcap=$XT_TMP/app.pcap
	app_traffic "$pcap"
	xt_ok "xtap replay" "$XTAP" replay -r "$pcap"
	xt_assert_match "table header" 'OUTCOME +STATUS +RESP' "$XT_STDOUT"
	xt_assert_eq "rows with 200 and a time" 3 \
		"$(grep -Ec ':8080 .* 200 +[0-9.]+(us|ms)$' <<<"$XT_STDOUT")"
	xt_assert_eq "the row with 404" 1 "$(grep -Ec ':8080 .* 404 +[0-9.]+(us|ms)$' <<<"$XT_STDOUT")"
}

# app_attach : xtap attached to the client's end (its own state directory),
# detached at cleanup
app_attach()
{
	xt_ok "xtap attach" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C"
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
}

# app_hist_bucket KIND PORT : "count bucket27" of the live histogram of kind
# (1 http, 2 dns) for the server's port, summed over CPUs, read with bpftool
app_hist()
{
	bpftool -j map dump pinned "$XTAP_PIN_ROOT/maps/xtap_hist" | "$XT_PYTHON" -c '
import json, sys
kind, port = int(sys.argv[1]), int(sys.argv[2])
count = b27 = 0
for e in json.load(sys.stdin):
    k = e.get("formatted", {}).get("key") or {}
    if k.get("kind") != kind or k.get("port") != port:
        continue
    for v in e["formatted"]["values"]:
        count += v["value"]["count"]
        b27 += v["value"]["bucket"][27]
print(count, b27)' "$1" "$2"
}

# A server that answers after 200 ms: the live flow's response time and the
# HTTP histogram of that service show it (bucket 27 holds 134..268 ms).
test_app_http_delay_live()
{
	local http flow
	xt_require curl bpftool
	xt_pair
	app_http_server http 0.2
	app_attach
	xt_ok "curl" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/slow"
	xt_ok "xtap flows -j" "$XTAP" flows -j
	flow=$("$XT_PYTHON" -c '
import json, sys
for f in json.loads(sys.argv[1])["flows"]:
    h = f.get("http")
    if h and 8080 in (f["a"].get("port"), f["b"].get("port")):
        print(h["timed"], h["last_status"], h["last_path"], h["last_host"],
              200e6 <= h["response_max_ns"] < 268e6)' "$XT_STDOUT")
	xt_assert_eq "flow: timed, status, path, host, 200..268 ms" "1 200 /slow $XT_S4:8080 True" "$flow"
	xt_assert_eq "HTTP histogram of $XT_S4:8080: count, bucket 27" "1 1" "$(app_hist 1 8080)"
	xt_ok "xtap flows" "$XTAP" flows
	xt_assert_match "table row" ":8080 .* 200 +2[0-9][0-9]\.[0-9]+ms" "$XT_STDOUT"
}

# A DNS responder that answers after 200 ms, and a name it never answers:
# the first query is timed at 200 ms, the second counted unanswered.
test_app_dns_delay_live()
{
	local dns got
	xt_require dig bpftool
	xt_pair
	xt_bg dns "$XT_NS_S" "$XT_TMP/dns.log" "$XT_PYTHON" "$XT_DIR/dns_responder.py" --port 53 \
		--delay 0.2 --answer www.xtap.test=10.77.0.9 --ignore lost.xtap.test
	xt_wait_log "dns responder" "$dns" "$XT_TMP/dns.log" '^ready'
	app_attach
	xt_ok "dig" xt_ns "$XT_NS_C" dig +tries=1 +time=3 +short -b "$XT_C4#40053" @"$XT_S4" \
		www.xtap.test A
	xt_assert_eq "dig's answer" "10.77.0.9" "$XT_STDOUT"
	xt_assert_rc "dig, no answer" 9 xt_ns "$XT_NS_C" dig +tries=1 +time=1 -b "$XT_C4#40054" \
		@"$XT_S4" lost.xtap.test A
	xt_ok "xtap flows -j" "$XTAP" flows -j
	got=$("$XT_PYTHON" -c '
import json, sys
for f in sorted(json.loads(sys.argv[1])["flows"], key=lambda f: f["a"].get("port", 0) + f["b"].get("port", 0)):
    d = f.get("dns")
    if d:
        print(d["queries"], d["responses"], d["timed"], d["last_name"], d["last_rcode_name"],
              d["unanswered"], d["timed"] == 0 or 200e6 <= d["response_max_ns"] < 268e6)' "$XT_STDOUT")
	xt_assert_eq "dns flows" "1 1 1 www.xtap.test NOERROR 0 True
1 0 0 lost.xtap.test None 1 True" "$got"
	xt_assert_eq "DNS histogram of $XT_S4:53: count, bucket 27" "1 1" "$(app_hist 2 53)"
}
