# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS handshakes: real TLS 1.2 and 1.3 (and a HelloRetryRequest) between
# curl and openssl s_server in two namespaces, captured, replayed, and
# compared with what tshark reads from the same capture.

# tls_traffic PCAP : four handshakes to openssl s_server on port 4433
tls_traffic()
{
	local pcap=$1 srv cap
	xt_require tcpdump tshark curl openssl
	xt_pair
	xt_ok "certificate" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$XT_TMP/key.pem" -out "$XT_TMP/cert.pem" -days 1 -subj /CN=tls.example
	# P-256 only: a client whose key share is X25519 gets a HelloRetryRequest
	xt_bg srv "$XT_NS_S" "$XT_TMP/s_server.log" openssl s_server -accept 4433 -www \
		-cert "$XT_TMP/cert.pem" -key "$XT_TMP/key.pem" -groups P-256 -naccept 4
	xt_wait_for "s_server listening" 5 xt_listening "$XT_NS_S" tcp 4433
	xt_capture_start cap "$XT_NS_C" "$XT_IF_C" "$pcap" tcp port 4433
	xt_ok "curl TLS 1.3" xt_ns "$XT_NS_C" curl -sS -k -o /dev/null --max-time 5 --tlsv1.3 \
		--curves P-256 \
		--resolve "v13.tls.example:4433:$XT_S4" https://v13.tls.example:4433/
	xt_ok "curl TLS 1.2" xt_ns "$XT_NS_C" curl -sS -k -o /dev/null --max-time 5 --tlsv1.2 \
		--tls-max 1.2 --resolve "v12.tls.example:4433:$XT_S4" https://v12.tls.example:4433/
	xt_ok "curl TLS 1.3 over IPv6" xt_ns "$XT_NS_C" curl -sS -k -o /dev/null --max-time 5 \
		--curves P-256 \
		--resolve "v6.tls.example:4433:[$XT_S6]" https://v6.tls.example:4433/
	xt_ok "curl TLS 1.3, HelloRetryRequest" xt_ns "$XT_NS_C" curl -sS -k -o /dev/null \
		--max-time 5 --curves X25519:P-256 --tlsv1.3 \
		--resolve "hrr.tls.example:4433:$XT_S4" https://hrr.tls.example:4433/
	xt_capture_stop "$cap"
	xt_stop "$srv"
}

# Per TCP stream: the SNI, the chosen cipher suite and version, whether
# there was a HelloRetryRequest, ClientHello to the first ServerHello and to
# the client's first application-data record, all as tshark reads them, to
# the microsecond (the capture's resolution); the per-service histograms
# hold the same times.
test_tls_agrees_with_tshark()
{
	local pcap=$XT_TMP/tls.pcap json=$XT_TMP/tls.json fields=$XT_TMP/tls.fields
	tls_traffic "$pcap"
	xt_replay_json "$pcap" "$json"
	xt_ok "tshark tls" tshark -r "$pcap" -T fields -E separator=/t -E occurrence=a \
		-E aggregator=, -e tcp.stream -e frame.time_epoch -e tcp.srcport \
		-e tls.record.content_type -e tls.handshake.type -e tls.handshake.extensions_server_name \
		-e tls.handshake.ciphersuite -e tls.handshake.extensions.supported_version \
		-e ip.src -e ipv6.src -e tls.handshake.random -e tls.record.opaque_type -Y tls
	printf '%s\n' "$XT_STDOUT" >"$fields"
	xt_ok "compare TLS" "$XT_PYTHON" - "$json" "$fields" <<'EOF'
import json, sys
from decimal import Decimal

HRR = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
out = json.load(open(sys.argv[1]))
flows = {f["a"]["port"] if f["b"]["port"] == 4433 else f["b"]["port"]: f
         for f in out["flows"] if f["proto"] == "tcp" and "tls" in f}

def us(t):
    return int(Decimal(t) * 1000000)

streams = {}
for line in open(sys.argv[2]):
    c = line.rstrip("\n").split("\t")
    if len(c) < 12 or not c[0]:
        continue
    s = streams.setdefault(int(c[0]), {"ch": None, "sh": None, "data": None, "sni": None,
                                       "cipher": None, "hrr": False, "version": None})
    t, sport = us(c[1]), int(c[2])
    s["port"] = sport if sport != 4433 else s.get("port")
    # TLS 1.3 records after the ServerHello show their type as opaque_type
    types, hs = c[3].split(",") + c[11].split(","), c[4].split(",") if c[4] else []
    client = sport != 4433
    if client and "1" in hs and s["ch"] is None:
        s["ch"], s["sni"] = t, c[5]
    if not client and "2" in hs:
        if s["sh"] is None:
            s["sh"] = t
        s["cipher"] = int(c[6].split(",")[-1], 16)
        s["hrr"] = s["hrr"] or HRR in c[10]
        if c[7]:
            s["version"] = int(c[7].split(",")[-1], 16)
        elif s["version"] is None:
            s["version"] = 0x0303
    if client and "23" in types and s["data"] is None:
        s["data"] = t

bad = []
want_kinds = {"tls": [], "tls-data": []}
for n, s in sorted(streams.items()):
    f = flows.get(s.get("port"))
    if f is None:
        bad.append("stream %d: no xtap flow with TLS" % n)
        continue
    t = f["tls"]
    got = (t["sni"], t["cipher"], t["version"], t["hello_retry"], t["hello_ns"] // 1000,
           t["handshake_ns"] // 1000, t["hello_ns"] % 1000, t["handshake_ns"] % 1000)
    ver = {0x0303: "TLS1.2", 0x0304: "TLS1.3"}[s["version"]]
    want = (s["sni"], s["cipher"], ver, s["hrr"], s["sh"] - s["ch"], s["data"] - s["ch"], 0, 0)
    print("stream %d: xtap %s, tshark %s" % (n, got, want))
    if got != want:
        bad.append("stream %d: xtap %s, tshark %s" % (n, got, want))
    want_kinds["tls"].append(t["hello_ns"])
    want_kinds["tls-data"].append(t["handshake_ns"])
seen = {(s["sni"], s["version"], s["hrr"]) for s in streams.values()}
for need in [("v13.tls.example", 0x0304, False), ("v12.tls.example", 0x0303, False),
             ("v6.tls.example", 0x0304, False), ("hrr.tls.example", 0x0304, True)]:
    if need not in seen:
        bad.append("no handshake %s in the capture" % (need,))
for kind, times in want_kinds.items():
    hs = [h for h in out["latency"] if h["kind"] == kind and h["service"]["port"] == 4433]
    cnt, tot = sum(h["count"] for h in hs), sum(h["sum_ns"] for h in hs)
    if cnt != len(times) or tot != sum(times):
        bad.append("%s histograms: %d samples summing %d, want %d summing %d"
                   % (kind, cnt, tot, len(times), sum(times)))
for c in ("tls_hello_split", "tls_hello_bad", "tls_hello_extensions_many",
          "tls_server_hello_unmatched"):
    if out["stats"].get(c, 0):
        bad.append("counter %s = %d" % (c, out["stats"][c]))
if len(streams) != 4:
    bad.append("%d TLS streams in the capture, want 4" % len(streams))
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
	xt_show "$XT_STDOUT"
	# the text table and xtap latency's TLS kinds
	xt_ok "xtap replay table" "$XTAP" replay -r "$pcap"
	xt_assert_match "TLS column" 'TLS1\.2 .* v12\.tls\.example h2' "$XT_STDOUT"
	xt_assert_match "TLS column" 'TLS1\.3 .* hrr\.tls\.example h2' "$XT_STDOUT"
}

# Live, attached on the client's end: one TLS 1.3 handshake through
# s_server shows in xtap flows -j, in xtap latency --kind tls (both TLS
# times) and in the IPFIX initiator record (template 262, elements 12-18).
test_tls_live()
{
	local srv col port
	xt_require curl openssl
	xt_pair
	xt_ok "certificate" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$XT_TMP/key.pem" -out "$XT_TMP/cert.pem" -days 1 -subj /CN=tls.example
	xt_bg srv "$XT_NS_S" "$XT_TMP/s_server.log" openssl s_server -accept 4433 -www \
		-cert "$XT_TMP/cert.pem" -key "$XT_TMP/key.pem" -naccept 1
	xt_wait_for "s_server listening" 5 xt_listening "$XT_NS_S" tcp 4433
	xt_ok "xtap attach" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C"
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
	xt_ok "curl TLS 1.3" xt_ns "$XT_NS_C" curl -sS -k -o /dev/null --max-time 5 --tlsv1.3 \
		--resolve "live.tls.example:4433:$XT_S4" https://live.tls.example:4433/
	xt_stop "$srv"
	xt_ok "xtap flows -j" "$XTAP" flows -j
	xt_ok "flow's TLS" "$XT_PYTHON" -c '
import json, sys
fl = [f for f in json.loads(sys.argv[1])["flows"] if "tls" in f]
assert len(fl) == 1, fl
t = fl[0]["tls"]
assert t["sni"] == "live.tls.example" and t["version"] == "TLS1.3", t
assert t["alpn"] == ["h2", "http/1.1"], t
assert 0 < t["hello_ns"] < t["handshake_ns"] < 5e9, t
print(t["hello_ns"], t["handshake_ns"])' "$XT_STDOUT"
	xt_ok "xtap latency --kind tls" "$XTAP" latency --kind tls
	xt_assert_match "hello histogram" "$XT_S4:4433/tcp tls"$'\n' "$XT_STDOUT"
	xt_assert_match "handshake histogram" "$XT_S4:4433/tcp tls-data"$'\n' "$XT_STDOUT"
	xt_ok "xtap latency --kind tls-data" "$XTAP" latency --kind tls-data
	grep -q 'tcp tls$' <<<"$XT_STDOUT" && xt_fail "--kind tls-data shows the hello: $XT_STDOUT"
	# IPFIX: the initiator's record of the TLS flow
	port=$("$XT_PYTHON" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	xt_bg col "" "$XT_TMP/col.log" "$XT_PYTHON" "$XT_DIR/ipfix_decode.py" udp-collector \
		"$port" "$XT_TMP/ipfix.jsonl"
	xt_wait_log "collector" "$col" "$XT_TMP/col.log" '^ready'
	xt_ok "xtap export --once" "$XTAP" export --ipfix "127.0.0.1:$port" --udp --once
	xt_wait_for "the TLS record" 5 grep -q '"template": 262' "$XT_TMP/ipfix.jsonl"
	xt_stop "$col"
	xt_ok "IPFIX TLS elements" "$XT_PYTHON" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x["fields"] for x in r if x.get("template") == 262]
assert len(r) == 1, r
f = r[0]
sni = bytes.fromhex(f["32473:12"]).rstrip(b"\0").decode()
alpn = bytes.fromhex(f["32473:13"]).rstrip(b"\0").decode()
assert (sni, alpn, f["32473:14"], f["32473:18"]) == ("live.tls.example", "h2", 0x0304, 0), f
assert 0 < f["32473:16"] < f["32473:17"] < 5e9, f
assert f["11"] == 4433, f' "$XT_TMP/ipfix.jsonl"
}
