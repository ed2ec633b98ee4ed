# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap export and xtap serve on live traffic: IPFIX to nfdump's nfcapd on
# loopback (read back with nfdump, enterprise elements decoded from a capture
# of the messages), a TCP collector that comes and goes, JSON lines, and the
# Prometheus endpoint checked with promtool.

EXP_DECODE=$XT_DIR/ipfix_decode.py

# exp_port VAR udp|tcp : a free loopback port
exp_port()
{
	local __p
	__p=$("$XT_PYTHON" -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$2") || xt_fail "no free port"
	printf -v "$1" '%s' "$__p"
}

# exp_count_ge FILE ERE N : FILE has at least N lines matching ERE
exp_count_ge() { [ "$(grep -Ec "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

# exp_setup : a namespace pair, xtap attached on the server's end, an HTTP
# server there
exp_setup()
{
	xt_require curl ping
	xt_pair
	xt_ok "xtap attach $XT_IF_S" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	mkdir -p "$XT_TMP/www"
	head -c 20000 /dev/urandom | base64 >"$XT_TMP/www/index.html"
	xt_http_server EXP_HTTP "$XT_NS_S" 8080 "$XT_TMP/www"
}

# exp_curl N : N HTTP requests, each its own connection
exp_curl()
{
	local i
	for ((i = 0; i < $1; i++)); do
		xt_ok "curl $i" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/"
	done
}

# exp_nfcapd VAR PORT DIR : nfcapd on 127.0.0.1:PORT writing to DIR
exp_nfcapd()
{
	local __nf
	mkdir -p "$3"
	xt_bg __nf "" "$3.log" nfcapd -b 127.0.0.1 -p "$2" -w "$3" -t 3600
	xt_wait_log nfcapd "$__nf" "$3.log" 'Startup'
	printf -v "$1" '%s' "$__nf"
}

# exp_stop_export PID : SIGTERM; the exporter must exit 0 with its summary
exp_stop_export()
{
	local pid=$1 log=${XT_BGLOG[$1]} rc i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do xt_alive "$pid" || break; sleep 0.1; done
	xt_alive "$pid" && xt_fail "xtap export did not stop on SIGTERM"
	wait "$pid"
	rc=$?
	xt_stop "$pid"
	[ "$rc" -eq 0 ] || xt_fail "xtap export exited $rc: $(tail -n 3 "$log" | tr '\n' ' ')"
}

# exp_seed_hist : one service histogram for $XT_S4:8080/tcp, as the latency
# code would leave it: 3 handshakes (2 of 1500 ns in bucket 10, 1 ms in
# bucket 19) on every CPU (bpftool writes the value to each); sets EXP_NCPU
exp_seed_hist()
{
	local key val
	key="00 00 00 00 00 00 00 00 00 00 ff ff $(printf '%02x ' ${XT_S4//./ }) 90 1f 06 00 00 00 00 00"
	val=$("$XT_PYTHON" -c 'import struct
b = [0] * 40; b[10] = 2; b[19] = 1
print(" ".join("%02x" % x for x in struct.pack("<43Q", 3, 1003000, 1000000, *b)))')
	xt_ok "seed a histogram" bpftool map update pinned "$XTAP_PIN_ROOT/maps/xtap_hist" \
		key hex $key value hex $val
	EXP_NCPU=$(bpftool map dump pinned "$XTAP_PIN_ROOT/maps/xtap_hist" -j | "$XT_PYTHON" -c \
		'import json,sys; print(len(json.load(sys.stdin)[0]["values"]))')
}

# Flows that ended (FIN) go to nfcapd while the exporter runs; nfdump reads
# back, per direction, the endpoints, packets and bytes that xtap's table
# holds, and a capture of the messages decodes to the handshake times,
# outcome, SYN retransmissions, retransmissions, passive RTT and HTTP time and
# status of each curl (and DNS time and code of a dig) under PEN 32473 with
# the documented IDs, equal to what `xtap flows -j` shows.
test_export_ipfix_to_nfcapd()
{
	local port dir=$XT_TMP/nf nf exp cap pcap=$XT_TMP/ipfix.pcap flows=$XT_TMP/flows.json dns
	xt_require nfcapd nfdump tcpdump bpftool dig
	exp_setup
	xt_dns_server dns "$XT_NS_S" www.xtap.test=10.77.0.9
	exp_port port udp
	exp_nfcapd nf "$port" "$dir"
	xt_capture_start cap "" lo "$pcap" udp port "$port"
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --ipfix "127.0.0.1:$port" --interval 1 \
		--template-refresh 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/export.log" 'export: 127.0.0.1'
	exp_curl 3
	xt_ok ping xt_ns "$XT_NS_C" ping -c 3 -i 0.2 -q "$XT_S4"
	xt_ok dig xt_ns "$XT_NS_C" dig +tries=1 +time=3 +short -b "$XT_C4#40053" @"$XT_S4" \
		www.xtap.test A
	sleep 3.5   # end quiet (1 s) and a round (1 s): the TCP flows went as ended
	xt_ok "xtap flows -j" "$XTAP" flows -j
	printf '%s\n' "$XT_STDOUT" >"$flows"
	exp_seed_hist   # its service record goes with the last round
	exp_stop_export "$exp"
	grep -Eq 'records sent, 0 not sent' "$XT_TMP/export.log" ||
		xt_fail "export summary: $(tail -n 2 "$XT_TMP/export.log")"
	xt_stop "$nf"
	xt_capture_stop "$cap"
	xt_ok nfdump nfdump -R "$dir" -q -N -o 'fmt:%sa|%da|%sp|%dp|%pr|%pkt|%byt'
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/nfdump.txt"
	xt_ok "decode the IPFIX messages" "$XT_PYTHON" "$EXP_DECODE" pcap "$pcap" "$port"
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/records.json"
	xt_ok "compare" "$XT_PYTHON" - "$flows" "$XT_TMP/nfdump.txt" "$XT_TMP/records.json" \
		"$XT_C4" "$XT_S4" "$EXP_NCPU" <<'EOF'
import json, sys
flows = json.load(open(sys.argv[1]))["flows"]
ncpu = int(sys.argv[6])
cli, srv = sys.argv[4], sys.argv[5]
nf = {}
for line in open(sys.argv[2]):
    c = [x.strip() for x in line.split("|")]
    if len(c) == 7:
        k = (c[0], c[1], int(c[2]), int(float(c[3])), int(c[4]))
        p, b = nf.get(k, (0, 0))
        nf[k] = (p + int(c[5]), b + int(c[6]))
recs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
bad = []
mine = [f for f in flows if {f["a"]["addr"], f["b"]["addr"]} == {cli, srv}]
tcp = [f for f in mine if f["proto"] == "tcp"]
icmp = [f for f in mine if f["proto"] == "icmp"]
udp = [f for f in mine if f["proto"] == "udp"]
if len(tcp) != 3 or len(icmp) != 1 or len(udp) != 1:
    bad.append("xtap has %d tcp, %d icmp and %d udp flows" % (len(tcp), len(icmp), len(udp)))
for f in mine:
    for d, s, t in (("ab", "a", "b"), ("ba", "b", "a")):
        sp = f[s].get("port", 0) if f["proto"] != "icmp" else 0
        dp = f[t].get("port", 0) if f["proto"] != "icmp" else (8 if s == f["initiator"] else 0)
        proto = {"tcp": 6, "udp": 17}.get(f["proto"], 1)
        k = (f[s]["addr"], f[t]["addr"], sp, dp, proto)
        want = (f["packets_" + d], f["bytes_" + d])
        if nf.get(k) != want:
            bad.append("%s: nfdump %s, xtap %s" % (k, nf.get(k), want))
for f in tcp:
    c = f["a"] if f["initiator"] == "a" else f["b"]
    init = [r["fields"] for r in recs if r["template"] == 256 and r["fields"]["7"] == c["port"]]
    if len(init) != 1:
        bad.append("port %d: %d initiator records" % (c["port"], len(init)))
        continue
    r = init[0]
    if r.get("136") != 3:
        bad.append("port %d: flowEndReason %s, not 3 (end of flow)" % (c["port"], r.get("136")))
    if r.get("239") != 1:
        bad.append("port %d: biflowDirection %s" % (c["port"], r.get("239")))
    want = {"32473:1": f["handshake_syn_synack_ns"], "32473:2": f["handshake_synack_ack_ns"],
            "32473:3": 7, "32473:4": f["syn_retransmits"]}
    # 5-9: the one record of an ended flow carries its whole counts; RTT
    # and HTTP time are the flow's means, all ones when not measured
    ci = "ab" if f["initiator"] == "a" else "ba"
    si = ci[::-1]
    none64 = (1 << 64) - 1
    http = f.get("http") or {}
    want.update({"32473:5": f["retransmits_" + ci], "32473:6": f["retransmits_" + si],
                 "32473:7": f["rtt_mean_ns_" + ci] if f["rtt_mean_ns_" + ci] is not None else none64,
                 "32473:8": http.get("response_mean_ns"), "32473:9": 200})
    if http.get("last_status") != 200 or not http.get("timed"):
        bad.append("port %d: xtap's http object %s, want status 200 and a timed response" % (c["port"], http))
    for ie, v in want.items():
        if r.get(ie) != v:
            bad.append("port %d: IE %s is %s, xtap %s" % (c["port"], ie, r.get(ie), v))
    # no DNS on a TCP flow: absent or all ones
    for ie, v in (("32473:10", none64), ("32473:11", 255)):
        if r.get(ie, v) != v:
            bad.append("port %d: IE %s is %s on a TCP flow" % (c["port"], ie, r.get(ie)))
    if abs(r["152"] - f["first_ns"] // 1000000) > 1:
        bad.append("port %d: flowStartMilliseconds %d, first_ns %d" % (c["port"], r["152"], f["first_ns"]))
# the DNS query: its time and code; no retransmissions, RTT or HTTP on UDP
none64 = (1 << 64) - 1
for f in udp:
    c = f["a"] if f["initiator"] == "a" else f["b"]
    init = [r["fields"] for r in recs if r["template"] == 256 and r["fields"]["7"] == c["port"]]
    dns = f.get("dns") or {}
    if len(init) != 1 or not dns.get("timed"):
        bad.append("dns port %d: %d initiator records, xtap's dns %s" % (c["port"], len(init), dns))
        continue
    want = {"4": 17, "32473:5": 0, "32473:6": 0, "32473:7": none64, "32473:8": none64,
            "32473:9": 0xffff, "32473:10": dns["response_mean_ns"], "32473:11": 0}
    for ie, v in want.items():
        if init[0].get(ie) != v:
            bad.append("dns port %d: IE %s is %s, want %s" % (c["port"], ie, init[0].get(ie), v))
# the seeded handshake histogram (kind 0); the traffic's own RTT samples
# (kind 3) may go out for the same service too
svc = [r["fields"] for r in recs if r["template"] == 260 and r["fields"].get("32473:20") == 0]
want = {"12": srv, "11": 8080, "4": 6, "32473:20": 0, "32473:21": 3 * ncpu,
        "32473:22": 1003000 * ncpu, "32473:23": 1000000}
if len(svc) != 1 or any(svc[0].get(k) != v for k, v in want.items()):
    bad.append("service records %s, want one with %s" % (svc, want))
else:
    b = bytes.fromhex(svc[0]["32473:24"])
    counts = [int.from_bytes(b[8 * i:8 * i + 8], "big") for i in range(40)]
    if counts[10] != 2 * ncpu or counts[19] != ncpu or sum(counts) != 3 * ncpu:
        bad.append("service buckets %s" % counts)
resp = [r for r in recs if r["template"] == 257]
# the tunnel's type and id (27, 28) are part of the flow key: on both records
if any(k.startswith("32473:") and k not in ("32473:27", "32473:28") for r in resp for k in r["fields"]):
    bad.append("responder records carry enterprise elements")
if any((r["fields"].get("32473:27"), r["fields"].get("32473:28"), r["fields"].get("351")) != (0, 0, 0)
       for r in recs if r["template"] in (256, 257)):
    bad.append("a flow outside any tunnel with a tunnel")
if not resp:
    bad.append("no responder records")
if bad:
    sys.exit("\n".join(bad))
print("%d records decoded, %d nfdump flows" % (len(recs), len(nf)))
EOF
}

# Flows that end while nothing listens are counted as possibly lost (they
# left, but nobody took them); the exporter keeps going, and once nfcapd is up
# the flows that end after it came back reach it: the refusals made the next
# message carry the templates, with no template refresh (30 s) in between.
test_export_udp_collector_comes_back()
{
	local port dir=$XT_TMP/nf nf exp after
	xt_require nfcapd nfdump
	exp_setup
	exp_port port udp
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --ipfix "127.0.0.1:$port" --udp \
		--interval 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/export.log" 'export: 127.0.0.1'
	exp_curl 2
	sleep 3.5
	xt_alive "$exp" || xt_fail "xtap export died without a collector"
	exp_nfcapd nf "$port" "$dir"
	exp_curl 2
	sleep 3.5
	exp_stop_export "$exp"
	xt_stop "$nf"
	grep -Eq 'records sent, 0 not sent, [1-9][0-9]* possibly lost' "$XT_TMP/export.log" ||
		xt_fail "records to the absent collector not counted: $(tail -n 1 "$XT_TMP/export.log")"
	xt_ok nfdump nfdump -R "$dir" -q -N -o 'fmt:%sa %da %dp %pr' "proto tcp and port 8080"
	after=$(grep -c "$XT_C4 .*$XT_S4 *8080" <<<"$XT_STDOUT")
	xt_assert_eq "connections received after the collector came back" 2 "$after"
}

# A UDP collector started after the exporter decodes the first message it
# gets, about an interval later, not at the template refresh (30 s): every
# refusal before made the next message carry the templates. What went while
# it was away is counted as possibly lost, exactly what it lacks: decoded +
# possibly lost = sent, in the summary and in /metrics.
test_export_udp_collector_late()
{
	local port sport exp col pg sv out=$XT_TMP/udp.records m=$XT_TMP/metrics.txt
	local sum sent lost
	exp_setup
	exp_port port udp
	xt_bg pg "$XT_NS_C" "$XT_TMP/ping.log" ping -i 0.1 -c 70 -q "$XT_S4"
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --ipfix "127.0.0.1:$port" --interval 1 \
		--active-timeout 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/export.log" 'export: 127.0.0.1'
	sleep 3.2
	xt_bg col "" "$XT_TMP/col.log" "$XT_PYTHON" "$EXP_DECODE" udp-collector "$port" "$out"
	xt_wait_log "udp collector" "$col" "$XT_TMP/col.log" '^ready'
	xt_wait_for "a decoded flow record within about an interval" 3 \
		exp_count_ge "$out" '"template": 256' 1
	sleep 1
	exp_stop_export "$exp"
	sleep 0.3
	xt_stop "$col"
	sum=$(grep -Eo 'records sent, 0 not sent, [0-9]+ possibly lost' "$XT_TMP/export.log") ||
		xt_fail "summary: $(tail -n 1 "$XT_TMP/export.log")"
	sent=$(grep -Eo '[0-9]+ records sent' "$XT_TMP/export.log" | grep -Eo '^[0-9]+')
	lost=$(grep -Eo '[0-9]+ possibly lost' <<<"$sum" | grep -Eo '^[0-9]+')
	[ "$lost" -ge 2 ] || xt_fail "possibly lost: $lost, want the records of the rounds before the collector"
	xt_assert_eq "undecodable data sets" 0 "$(grep -c undecodable "$out")"
	xt_assert_eq "decoded records + possibly lost" "$sent" \
		"$(($(grep -c '"template"' "$out") + lost))"
	grep -q 'Connection refused (the next message carries the templates)' "$XT_TMP/export.log" ||
		xt_fail "the refusal was not told: $(head -n 3 "$XT_TMP/export.log")"
	# the counters live in the pinned state, for /metrics
	exp_port sport tcp
	exp_serve sv "$sport"
	xt_ok "scrape" curl -sS --max-time 5 -o "$m" "http://127.0.0.1:$sport/metrics"
	xt_stop "$sv"
	xt_assert_eq "/metrics possibly lost" "xtap_export_records_possibly_lost_total $lost" \
		"$(grep '^xtap_export_records_possibly_lost_total ' "$m")"
	xt_assert_eq "/metrics sent" "xtap_export_records_sent_total $sent" \
		"$(grep '^xtap_export_records_sent_total ' "$m")"
}

# exp_totals OUT FLOWS JSONL... : the deltas of the JSON lines add up, per
# flow between the client and the server, to the counts in xtap's table
exp_totals()
{
	xt_ok "records add up to the table" "$XT_PYTHON" - "$XT_C4" "$XT_S4" "$@" <<'EOF2'
import json, sys
cli, srv, flows_file = sys.argv[1], sys.argv[2], sys.argv[3]
tot = {}
for path in sys.argv[4:]:
    for l in open(path):
        r = json.loads(l)
        if r["type"] != "flow":
            continue
        k = (r["a"]["addr"], r["a"].get("port"), r["b"]["addr"], r["b"].get("port"), r["proto"])
        t = tot.setdefault(k, [0, 0, 0, 0])
        for i, f in enumerate(("delta_packets_ab", "delta_bytes_ab", "delta_packets_ba",
                               "delta_bytes_ba")):
            t[i] += r[f]
bad = []
n = 0
for f in json.load(open(flows_file))["flows"]:
    if {f["a"]["addr"], f["b"]["addr"]} != {cli, srv}:
        continue
    n += 1
    k = (f["a"]["addr"], f["a"].get("port"), f["b"]["addr"], f["b"].get("port"), f["proto"])
    want = [f["packets_ab"], f["bytes_ab"], f["packets_ba"], f["bytes_ba"]]
    if tot.get(k) != want:
        bad.append("%s: records add to %s, table %s" % (k, tot.get(k), want))
if n < 2:
    bad.append("%d flows" % n)
if bad:
    sys.exit("\n".join(bad))
print("%d flows add up" % n)
EOF2
}

# What went lives with the pinned state (the exporter's cursor): a second
# --once with no traffic in between sends nothing for the same flows nor
# service histograms; an exporter killed with SIGKILL and started again loses
# and repeats nothing (the records of all the runs add up to xtap's table); a
# second exporter while one runs is refused with one line.
test_export_cursor_survives_restart()
{
	local exp exp2 pg a=$XT_TMP/a.jsonl b=$XT_TMP/b.jsonl c=$XT_TMP/c.jsonl d=$XT_TMP/d.jsonl
	xt_require bpftool
	exp_setup
	exp_curl 2
	exp_seed_hist
	xt_ok "export --once" "$XTAP" export --json "$a" --once
	grep -q '"type":"flow"' "$a" || xt_fail "the first --once sent nothing"
	grep -q '"type":"latency"' "$a" || xt_fail "the first --once sent no histogram"
	xt_ok "export --once again" "$XTAP" export --json "$b" --once
	grep -q '"type":"flow"' "$b" && xt_fail "the second --once sent again: $(head -c 300 "$b")"
	grep -q '"type":"latency"' "$b" && xt_fail "the second --once sent a histogram again: $(head -c 300 "$b")"
	# live traffic, and an exporter killed in the middle of it
	xt_bg pg "$XT_NS_C" "$XT_TMP/ping.log" ping -i 0.05 -c 80 -q "$XT_S4"
	xt_bg exp "" "$XT_TMP/e1.log" "$XTAP" export --json "$c" --interval 1 --active-timeout 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/e1.log" 'export: '
	# killed once it has sent some flows, while the ping goes on
	xt_wait_for "the first exporter to send a flow" 10 grep -q '"type":"flow"' "$c"
	xt_stop "$exp" KILL
	xt_bg exp2 "" "$XT_TMP/e2.log" "$XTAP" export --json "$d" --interval 1 --active-timeout 1
	xt_wait_log "xtap export" "$exp2" "$XT_TMP/e2.log" 'export: '
	sleep 0.5
	xt_assert_rc "a second exporter" 1 "$XTAP" export --json "$XT_TMP/x.jsonl" --once
	xt_assert_match "its error" \
		"^xtap: export: another xtap export \(pid $exp2\) sends the flows of this state; one exporter at a time\$" \
		"$XT_STDERR"
	xt_wait_for "the ping to end" 10 grep -q 'packets transmitted' "$XT_TMP/ping.log"
	exp_curl 1
	sleep 1.2
	xt_ok "xtap flows -j" "$XTAP" flows -j
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/flows.json"
	exp_stop_export "$exp2"
	exp_totals "$XT_TMP/flows.json" "$a" "$b" "$c" "$d"
}

# A collector name that does not resolve is a runtime error (1), a malformed
# one a usage error (2); each says so in one line.
test_export_collector_errors()
{
	xt_assert_rc "unresolvable collector" 1 "$XTAP" export --ipfix nohost.invalid:4739
	xt_assert_match "its error" '^xtap: export: --ipfix nohost\.invalid:4739: nohost\.invalid: .+$' \
		"$XT_STDERR"
	xt_assert_eq "one line" 1 "$(printf '%s\n' "$XT_STDERR" | wc -l)"
	xt_assert_rc "malformed collector" 2 "$XTAP" export --ipfix nohost.invalid
}

# Over TCP: the exporter connects when the collector appears, sends the
# templates and the flows that ended since, reconnects when it goes away and
# comes back, and counts what it could not send meanwhile.
test_export_tcp_reconnects()
{
	local port exp col out=$XT_TMP/tcp.records n
	exp_setup
	exp_port port tcp
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --ipfix "127.0.0.1:$port" --tcp --interval 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/export.log" 'export: 127.0.0.1'
	exp_curl 1
	sleep 3
	xt_alive "$exp" || xt_fail "xtap export died without a collector"
	xt_bg col "" "$XT_TMP/col1.log" "$XT_PYTHON" "$EXP_DECODE" tcp-collector "$port" "$out"
	xt_wait_log "tcp collector" "$col" "$XT_TMP/col1.log" '^ready'
	xt_wait_for "the exporter to connect" 35 grep -q 'connected to' "$XT_TMP/export.log"
	exp_curl 2
	xt_wait_for "two ended flows at the collector" 10 exp_count_ge "$out" '"136": 3' 2
	xt_stop "$col"
	exp_curl 1       # ends while the collector is down
	sleep 3
	xt_bg col "" "$XT_TMP/col2.log" "$XT_PYTHON" "$EXP_DECODE" tcp-collector "$port" "$out"
	xt_wait_log "tcp collector" "$col" "$XT_TMP/col2.log" '^ready'
	xt_wait_for "the exporter to reconnect" 40 exp_count_ge "$XT_TMP/export.log" 'connected to' 2
	exp_curl 3
	xt_wait_for "three more ended flows" 10 exp_count_ge "$out" '"136": 3' 10
	exp_stop_export "$exp"
	n=$(grep -c '"template": 256' "$out")
	[ "$n" -ge 5 ] || xt_fail "collector decoded $n initiator records"
	grep -Eq 'records sent, [0-9]+ not sent' "$XT_TMP/export.log" ||
		xt_fail "no summary: $(tail -n 1 "$XT_TMP/export.log")"
}

# JSON lines: one object per record; the deltas of a flow's records add up
# to the counts in xtap's table (retransmissions too), ended TCP flows say
# so, and a flow's last record carries its HTTP state as `xtap flows` does.
test_export_json_lines()
{
	local exp out=$XT_TMP/flows.jsonl
	exp_setup
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --json "$out" --interval 1 --active-timeout 1
	xt_wait_log "xtap export" "$exp" "$XT_TMP/export.log" 'export: '
	exp_curl 3
	sleep 3.5
	xt_ok "xtap flows -j" "$XTAP" flows -j
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/flows.json"
	exp_stop_export "$exp"
	xt_ok "compare" "$XT_PYTHON" - "$out" "$XT_TMP/flows.json" "$XT_S4" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
flows = json.load(open(sys.argv[2]))["flows"]
tot = {}
ends = {}
last = {}
for r in recs:
    if r["type"] != "flow":
        continue
    k = (r["a"]["addr"], r["a"].get("port"), r["b"]["addr"], r["b"].get("port"), r["proto"])
    t = tot.setdefault(k, [0, 0, 0, 0, 0, 0])
    for i, f in enumerate(("delta_packets_ab", "delta_bytes_ab", "delta_packets_ba", "delta_bytes_ba",
                           "delta_retrans_ab", "delta_retrans_ba")):
        t[i] += r[f]
    ends.setdefault(k, []).append(r["reason"])
    last[k] = r
bad = []
n = 0
for f in flows:
    if f["proto"] != "tcp" or sys.argv[3] not in (f["a"]["addr"], f["b"]["addr"]):
        continue
    n += 1
    k = (f["a"]["addr"], f["a"].get("port"), f["b"]["addr"], f["b"].get("port"), f["proto"])
    want = [f["packets_ab"], f["bytes_ab"], f["packets_ba"], f["bytes_ba"],
            f["retransmits_ab"], f["retransmits_ba"]]
    if tot.get(k) != want:
        bad.append("%s: records add to %s, table %s" % (k, tot.get(k), want))
    # equal but for the wall clock of the last response: each command
    # converts the programs' clock with its own reading of the offset
    h = dict(last.get(k, {}).get("http") or {})
    t = dict(f.get("http") or {})
    at, tat = h.pop("last_response_at_ns", None), t.pop("last_response_at_ns", None)
    if not t or h != t or h.get("last_status") != 200 or abs((at or 0) - (tat or 0)) > 1000000:
        bad.append("%s: last record's http %s, table %s" % (k, last.get(k, {}).get("http"), f.get("http")))
    if ends.get(k, [""])[-1] != "end":
        bad.append("%s: reasons %s" % (k, ends.get(k)))
if n != 3:
    bad.append("%d tcp flows" % n)
if bad:
    sys.exit("\n".join(bad))
EOF
}

# exp_serve VAR PORT : xtap serve on 127.0.0.1:PORT
exp_serve()
{
	local __sv
	xt_bg __sv "" "$XT_TMP/serve.log" "$XTAP" serve --listen "127.0.0.1:$2"
	xt_wait_log "xtap serve" "$__sv" "$XT_TMP/serve.log" 'serve: http://'
	printf -v "$1" '%s' "$__sv"
}

# /metrics passes promtool, counts what the attached interface saw, and
# turns a service's log2 histogram into a cumulative Prometheus histogram in
# seconds; 20 concurrent scrapes, a client that resets the connection mid-
# response and one that never sends its request leave the server answering;
# other paths are 404; a port in use and a bad address are one-line errors.
test_serve_metrics()
{
	local port sv m=$XT_TMP/metrics.txt ncpu i pids=()
	xt_require promtool bpftool
	exp_setup
	exp_curl 2
	exp_seed_hist
	ncpu=$EXP_NCPU
	exp_port port tcp
	exp_serve sv "$port"
	xt_ok "scrape" curl -sS --max-time 5 -o "$m" "http://127.0.0.1:$port/metrics"
	xt_ok "promtool check metrics" sh -c "promtool check metrics <'$m'"
	grep -Eq "^xtap_interfaces_attached [1-9]" "$m" || xt_fail "no attached interface in /metrics"
	grep -Eq "^xtap_packets_total\{interface=\"$XT_IF_S\",netns=\"$XT_NS_S\",hook=\"xdp\",class=\"tcp\"\} [1-9]" "$m" ||
		xt_fail "no TCP packets counted for $XT_IF_S: $(grep class=.tcp "$m" | head -3)"
	grep -Eq '^xtap_flow_table_entries [1-9]' "$m" || xt_fail "no flow table occupancy"
	grep -Eq '^xtap_flow_table_evictions_total 0$' "$m" || xt_fail "evictions: $(grep evictions "$m")"
	# the cgroup: the HTTP server's (this shell's, cgroup v2)
	local lbl="kind=\"handshake\",server=\"$XT_S4\",port=\"8080\",proto=\"tcp\"" cg
	cg=$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup)
	lbl+=",cgroup=\"$cg\""
	xt_assert_eq "bucket le=1.024e-06" "xtap_latency_seconds_bucket{$lbl,le=\"1.024e-06\"} 0" \
		"$(grep -F "{$lbl,le=\"1.024e-06\"}" "$m")"
	xt_assert_eq "bucket le=2.048e-06" "xtap_latency_seconds_bucket{$lbl,le=\"2.048e-06\"} $((2 * ncpu))" \
		"$(grep -F "{$lbl,le=\"2.048e-06\"}" "$m")"
	xt_assert_eq "bucket le=0.001048576" "xtap_latency_seconds_bucket{$lbl,le=\"0.001048576\"} $((3 * ncpu))" \
		"$(grep -F "{$lbl,le=\"0.001048576\"}" "$m")"
	xt_assert_eq "count" "xtap_latency_seconds_count{$lbl} $((3 * ncpu))" \
		"$(grep -F "xtap_latency_seconds_count{$lbl}" "$m")"
	# a client that never sends its request, and one that leaves mid-response
	"$XT_PYTHON" -c 'import socket,sys,time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(8)' "$port" &
	pids+=($!)
	XT_PIDS+=("$!")
	xt_ok "reset mid-response" "$XT_PYTHON" -c 'import socket,struct,sys
for i in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(100)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()' "$port"
	for ((i = 0; i < 20; i++)); do
		curl -sS --max-time 5 -o "$XT_TMP/m.$i" "http://127.0.0.1:$port/metrics" &
		pids+=($!)
	done
	for ((i = 1; i <= 20; i++)); do
		wait "${pids[$i]}" || xt_fail "concurrent scrape $i failed"
	done
	for ((i = 0; i < 20; i++)); do
		grep -q '^xtap_flow_table_size ' "$XT_TMP/m.$i" || xt_fail "scrape $i incomplete"
	done
	xt_alive "$sv" || xt_fail "xtap serve died"
	xt_ok "scrape after" curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$port/metrics"
	xt_ok "404" curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/"
	xt_assert_eq "status of /" 404 "$XT_STDOUT"
	xt_assert_rc "port in use" 1 "$XTAP" serve --listen "127.0.0.1:$port"
	xt_assert_match "port in use error" '^xtap: serve: 127\.0\.0\.1:[0-9]+: Address already in use$' "$XT_STDERR"
	xt_assert_rc "bad address" 2 "$XTAP" serve --listen "127.0.0.1:http"
	xt_assert_rc "bad collector" 2 "$XTAP" export --ipfix "nonsense"
	xt_assert_rc "bad collector port" 2 "$XTAP" export --ipfix "127.0.0.1:70000"
	xt_assert_rc "no destination" 2 "$XTAP" export
	xt_stop "$sv"
}
