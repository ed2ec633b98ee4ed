# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The local workload behind a flow: two TCP servers, each in a cgroup v2 made
# by hand, in one namespace of a veth pair; xtap attached to that end (its TC
# egress sees the servers' sockets). Each server's flows carry its cgroup's
# path and id (flows -j, IPFIX, the cgroup label of their services'
# histograms in /metrics), flows --cgroup selects them, capture --cgroup
# writes only their packets.

# cg_new VAR SUFFIX : a cgroup $XT_ID-SUFFIX under the cgroup v2 mount point,
# removed at cleanup; VAR gets its directory
cg_new()
{
	local __cg_var=$1 root dir
	root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	[ -n "$root" ] || xt_skip "no cgroup v2 file system mounted"
	dir="$root/xtap-test-$XT_ID-$2"
	mkdir "$dir" || xt_fail "mkdir $dir"
	xt_defer cg_remove "$root" "$dir"
	printf -v "$__cg_var" '%s' "$dir"
}

# cg_remove ROOT DIR : move what still runs in DIR to ROOT, remove DIR
cg_remove()
{
	local pid
	while read -r pid; do
		[ -n "$pid" ] && echo "$pid" >"$1/cgroup.procs"
	done <"$2/cgroup.procs"
	rmdir "$2"
}

# cg_server VAR CGDIR NS PORT : the TCP echo server on PORT in NS, in the
# cgroup CGDIR from its start; VAR gets its PID
cg_server()
{
	local __cs_var=$1 pid
	xt_bg pid "" "$XT_TMP/server-$4.log" sh -c \
		'echo $$ >"$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" "$4" server "$5"' \
		sh "$2" "$3" "$XT_PYTHON" "$XT_HERE/tcp_echo.py" "$4"
	xt_wait_for "server on $4" 5 xt_listening "$3" tcp "$4"
	printf -v "$__cs_var" '%s' "$pid"
}

test_cgroup_flows_and_capture()
{
	local cga cgb ida idb rela relb sa sb cap pcap=$XT_TMP/cg.pcapng
	xt_require findmnt tshark
	xt_pair
	cg_new cga a
	cg_new cgb b
	ida=$(stat -c %i "$cga") idb=$(stat -c %i "$cgb")
	rela=/${cga##*/} relb=/${cgb##*/}
	cg_server sa "$cga" "$XT_NS_S" 7101
	cg_server sb "$cgb" "$XT_NS_S" 7102
	xt_assert_eq "server a in its cgroup" "0::$rela" "$(grep "^0::" /proc/"$sa"/cgroup)"
	xt_ok "xtap attach" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	xt_assert_rc "capture --cgroup with no such cgroup" 1 "$XTAP" capture -w "$XT_TMP/x.pcap" \
		--cgroup "/xtap-test-$XT_ID-none"
	xt_assert_match "its error" "^xtap: capture: --cgroup .*: no such cgroup" "$XT_STDERR"
	xt_bg cap "" "$XT_TMP/capture.log" "$XTAP" capture --pcapng -w "$pcap" --cgroup "$rela"
	xt_wait_log "capture listening" "$cap" "$XT_TMP/capture.log" 'listening on'
	xt_bg capall "" "$XT_TMP/capture-all.log" "$XTAP" capture --pcapng -w "$XT_TMP/all.pcapng" \
		tcp
	xt_wait_log "capture of all listening" "$capall" "$XT_TMP/capture-all.log" 'listening on'
	xt_ok "client to a" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_HERE/tcp_echo.py" client "$XT_S4" \
		7101 20 100
	xt_ok "client to b" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_HERE/tcp_echo.py" client "$XT_S6" \
		7102 20 100
	sleep 0.5	# the capture reads its rings about 0.2 s behind
	xt_stop "$cap" INT
	xt_stop "$capall" INT

	xt_ok "xtap flows -j" "$XTAP" flows -j
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/flows.json"
	xt_ok "cgroups of the flows" "$XT_PYTHON" - "$XT_TMP/flows.json" "$ida" "$rela" "$idb" \
		"$relb" <<'PY'
import json, sys
ida, rela, idb, relb = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
flows = json.load(open(sys.argv[1]))["flows"]
want = {7101: (ida, rela), 7102: (idb, relb)}
seen = set()
for f in flows:
    if f["proto"] != "tcp":
        continue
    port = {f["a"]["port"], f["b"]["port"]} & set(want)
    if not port:
        continue
    port = port.pop()
    cg = f["cgroup"]
    assert cg is not None, f"flow to {port} has no cgroup: {f}"
    assert (cg["id"], cg["path"]) == want[port], f"flow to {port}: {cg}, want {want[port]}"
    assert f["socket_cookie"], f"flow to {port} has no socket cookie"
    seen.add(port)
assert seen == set(want), f"flows seen: {seen}"
PY
	xt_ok "xtap flows -j --cgroup a" "$XTAP" flows -j --cgroup "$rela"
	xt_ok "only a's flows" "$XT_PYTHON" -c '
import json, sys
f = json.load(sys.stdin)
assert f["total"] == len(f["flows"]) >= 1, f
for x in f["flows"]:
    assert 7101 in (x["a"]["port"], x["b"]["port"]) and x["cgroup"]["path"] == sys.argv[1], x
' "$rela" <<<"$XT_STDOUT"
	xt_ok "xtap flows --cgroup (full path)" "$XTAP" flows --cgroup "$cgb"
	xt_assert_match "the table's CGROUP column" "CGROUP" "$XT_STDOUT"
	xt_assert_match "b's row" ":7102 .*${relb}" "$XT_STDOUT"
	xt_assert_eq "no row of a" 0 "$(grep -c ':7101 ' <<<"$XT_STDOUT")"
	xt_assert_rc "flows --cgroup with a file" 1 "$XTAP" flows --cgroup "$cga/cgroup.procs"

	# IPFIX: the initiator's records carry the cgroup's id and path
	local port col exp out=$XT_TMP/ipfix.jsonl
	port=$("$XT_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || xt_fail "no free port"
	xt_bg col "" "$XT_TMP/col.log" "$XT_PYTHON" "$XT_HERE/ipfix_decode.py" tcp-collector "$port" \
		"$out"
	xt_wait_log "collector" "$col" "$XT_TMP/col.log" '^ready'
	xt_bg exp "" "$XT_TMP/export.log" "$XTAP" export --ipfix "127.0.0.1:$port" --tcp \
		--interval 1
	xt_wait_for "IPFIX records of a and b" 10 grep -q "\"$relb\"" "$out"
	xt_stop "$exp"
	xt_stop "$col"
	xt_ok "IPFIX cgroup elements" "$XT_PYTHON" - "$out" "$ida" "$rela" "$idb" "$relb" <<'PY'
import json, sys
want = {7101: (int(sys.argv[2]), sys.argv[3]), 7102: (int(sys.argv[4]), sys.argv[5])}
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    f = r.get("fields", {})
    if r.get("template") not in (256, 258) or f.get("4") != 6:
        continue
    port = {f["7"], f["11"]} & set(want)
    if port:
        port = port.pop()
        assert (f["32473:25"], f["32473:26"]) == want[port], (port, f)
        seen.add(port)
assert seen == set(want), seen
PY

	# /metrics: the handshake histogram of each server has its cgroup
	local sv
	port=$("$XT_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || xt_fail "no free port"
	xt_bg sv "" "$XT_TMP/serve.log" "$XTAP" serve --listen "127.0.0.1:$port"
	xt_wait_for "xtap serve" 5 curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$port/metrics"
	xt_ok "scrape" curl -sS --max-time 5 "http://127.0.0.1:$port/metrics"
	xt_stop "$sv"
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/metrics.txt"
	xt_assert_eq "a's service" 1 "$(grep -cxF "xtap_latency_seconds_count{kind=\"handshake\",server=\"$XT_S4\",port=\"7101\",proto=\"tcp\",cgroup=\"$rela\"} 1" "$XT_TMP/metrics.txt")"
	xt_assert_eq "b's service" 1 "$(grep -cxF "xtap_latency_seconds_count{kind=\"handshake\",server=\"$XT_S6\",port=\"7102\",proto=\"tcp\",cgroup=\"$relb\"} 1" "$XT_TMP/metrics.txt")"

	# the capture: a's packets only, with a's path in each comment
	xt_ok "tshark" tshark -r "$pcap" -T fields -E separator=/t -e tcp.srcport -e tcp.dstport \
		-e tcp.len -e frame.comment -e tcp.flags.syn -e tcp.flags.ack
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/cap.txt"
	xt_ok "a's packets only from its first SYN, a's path in each comment" "$XT_PYTHON" - "$XT_TMP/cap.txt" \
		"$rela" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
assert rows, "no packets captured"
for r in rows:
    assert "7101" in r[:2], f"a packet of another flow: {r}"
    assert r[3].endswith(f", cgroup {sys.argv[2]}"), f"comment: {r[3]}"
data = sum(1 for r in rows if r[2] != "0")
assert data >= 40, f"{data} data segments, want the 20 messages and their echoes"
assert [r for r in rows if r[1] == "7101" and r[4:6] == ["1", "0"]], "no SYN"
PY

	# a capture without --cgroup: each packet's comment names the cgroup its
	# flow had when it was copied, the inbound SYN the listener's
	xt_ok "tshark all" tshark -r "$XT_TMP/all.pcapng" -T fields -E separator=/t -e tcp.srcport \
		-e tcp.dstport -e tcp.len -e frame.comment -e tcp.flags.syn -e tcp.flags.ack
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/all.txt"
	xt_ok "each packet's cgroup in its comment" "$XT_PYTHON" - "$XT_TMP/all.txt" "$rela" \
		"$relb" <<'PY'
import sys
want = {"7101": sys.argv[2], "7102": sys.argv[3]}
n = {p: 0 for p in want}
syn = {p: 0 for p in want}
for line in open(sys.argv[1]):
    r = line.rstrip("\n").split("\t")
    if len(r) < 4:
        continue
    port = ({r[0], r[1]} & set(want)).pop()
    assert r[3].endswith(f", cgroup {want[port]}"), f"port {port}: {r}"
    n[port] += 1
    syn[port] += r[1] == port and r[4:6] == ["1", "0"]
assert all(v >= 40 for v in n.values()), n
assert all(v == 1 for v in syn.values()), syn
PY
	xt_stop "$sa"
	xt_stop "$sb"
}

# The cgroup in a pcapng comment is the one the flow had when its packet was
# copied, carried in the record: it stays when the flow leaves the table
# before the capture writes the packet. The capture is stopped while a
# client talks to a server in a cgroup, then UDP to new ports pushes the
# flow out of a 64-entry table; every packet names it.
test_cgroup_comment_outlives_flow()
{
	local cga rela sa cap pcap=$XT_TMP/cg.pcapng
	xt_require findmnt tshark
	xt_pair
	cg_new cga a
	rela=/${cga##*/}
	cg_server sa "$cga" "$XT_NS_S" 7103
	xt_ok "xtap attach --flows 64" xt_ns "$XT_NS_S" "$XTAP" attach --flows 64 "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	xt_bg cap "" "$XT_TMP/capture.log" "$XTAP" capture --pcapng -w "$pcap" tcp port 7103
	xt_wait_log "capture listening" "$cap" "$XT_TMP/capture.log" 'listening on'
	kill -STOP "$cap"
	xt_ok "client" xt_ns "$XT_NS_C" "$XT_PYTHON" "$XT_HERE/tcp_echo.py" client "$XT_S4" 7103 \
		5 100
	local round gone=0
	for round in 1 2 3 4 5 6 7 8 9 10; do
		xt_ok "UDP to 1000 ports" xt_ns "$XT_NS_C" "$XT_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(20000, 21000):
    s.sendto(b"x", (sys.argv[1], p))
' "$XT_S4"
		xt_ok "xtap flows -j" "$XTAP" flows -j
		if "$XT_PYTHON" -c '
import json, sys
f = json.load(sys.stdin)["flows"]
m = [x for x in f if 7103 in (x["a"]["port"], x["b"]["port"])]
sys.exit(len(f) < 32 or bool(m))
' <<<"$XT_STDOUT"; then
			gone=1
			break
		fi
	done
	xt_assert_eq "the flow left the table" 1 "$gone"
	kill -CONT "$cap"
	sleep 0.3
	xt_stop "$cap" INT
	xt_ok "tshark" tshark -r "$pcap" -T fields -E separator=/t -e tcp.srcport -e tcp.dstport \
		-e frame.comment -e tcp.flags.syn -e tcp.flags.ack
	printf '%s\n' "$XT_STDOUT" >"$XT_TMP/cap.txt"
	xt_ok "each packet's cgroup in its comment" "$XT_PYTHON" - "$XT_TMP/cap.txt" "$rela" <<'PY'
import sys
n = 0
for line in open(sys.argv[1]):
    r = line.rstrip("\n").split("\t")
    if len(r) < 5:
        continue
    assert r[2].endswith(f", cgroup {sys.argv[2]}"), r
    n += 1
assert n >= 12, f"{n} packets"
PY
	xt_stop "$sa"
}
