# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap as the systemd units run it: with only the capabilities the units
# grant, on live traffic; the rules and dashboard against a real scrape; the
# bash completion against a real attach; `xtap serve` under oversized, slow
# and idle clients.

# dep_caps UNIT : the unit's CapabilityBoundingSet as setpriv's list
# (+bpf,+net_admin,...), read from the unit's source
dep_caps()
{
	local caps
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$XT_ROOT/dist/systemd/$1.in")
	[ -n "$caps" ] || xt_fail "$1: no CapabilityBoundingSet"
	printf '%s\n' "$caps" | tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -
}

# dep_as CAPS CMD... : CMD as user id 0 with no capability but CAPS
dep_as() { local caps=$1; shift; setpriv --inh-caps=-all --bounding-set="-all${caps:+,$caps}" -- "$@"; }

# dep_setup : a namespace pair, HTTP on the server's end
dep_setup()
{
	xt_require curl setpriv
	xt_pair
	mkdir -p "$XT_TMP/www"
	head -c 5000 /dev/urandom | base64 >"$XT_TMP/www/index.html"
	xt_http_server DEP_HTTP "$XT_NS_S" 8080 "$XT_TMP/www"
}

dep_curl()
{
	local i
	for ((i = 0; i < $1; i++)); do
		xt_ok "curl $i" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/"
	done
}

# dep_port VAR : a free TCP port on loopback
dep_port()
{
	local __p
	__p=$("$XT_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf -v "$1" '%s' "$__p"
}

# dep_serve VAR PORT [CAPS] : xtap serve on 127.0.0.1:PORT, with CAPS only when given
dep_serve()
{
	local __sv
	if [ $# -ge 3 ]; then
		xt_bg __sv "" "$XT_TMP/serve.log" setpriv --inh-caps=-all --bounding-set="-all,$3" -- \
			"$XTAP" serve --listen "127.0.0.1:$2"
	else
		xt_bg __sv "" "$XT_TMP/serve.log" "$XTAP" serve --listen "127.0.0.1:$2"
	fi
	xt_wait_log "xtap serve" "$__sv" "$XT_TMP/serve.log" 'serve: http://'
	printf -v "$1" '%s' "$__sv"
}

# Each unit's command works with the unit's capabilities and no others, on
# live traffic; attach fails without any one of its three; a user without
# capabilities is refused with one line.
test_deploy_unit_capabilities()
{
	local acaps scaps ecaps c less port sv m=$XT_TMP/metrics.txt
	dep_setup
	acaps=$(dep_caps xtap-attach@.service)
	scaps=$(dep_caps xtap-serve.service)
	ecaps=$(dep_caps xtap-export.service)
	xt_assert_eq "attach unit's capabilities" "+bpf,+net_admin,+perfmon" "$acaps"
	for c in ${acaps//,/ }; do
		less=$(printf '%s\n' "${acaps//,/ }" | tr ' ' '\n' | grep -vx -- "$c" | paste -sd, -)
		xt_assert_rc "attach without ${c#+}" 1 xt_ns "$XT_NS_S" setpriv --inh-caps=-all \
			--bounding-set="-all,$less" -- "$XTAP" attach "$XT_IF_S"
		xt_assert_match "attach without ${c#+}: the error" '^xtap: attach' "$XT_STDERR"
		xt_assert_eq "attach without ${c#+}: one line" 1 "$(printf '%s\n' "$XT_STDERR" | wc -l)"
		xt_assert_rc "status after the refused attach" 0 xt_ns "$XT_NS_S" "$XTAP" status
		xt_assert_eq "nothing attached without ${c#+}" "xtap is not attached to any interface" "$XT_STDOUT"
	done
	xt_assert_rc "attach as nobody" 1 xt_ns "$XT_NS_S" setpriv --reuid=65534 --regid=65534 \
		--clear-groups -- "$XTAP" attach "$XT_IF_S"
	xt_assert_eq "attach as nobody: the error" \
		"xtap: attach: permission denied: needs root, or CAP_BPF and CAP_NET_ADMIN" "$XT_STDERR"

	xt_ok "attach with $acaps" xt_ns "$XT_NS_S" setpriv --inh-caps=-all \
		--bounding-set="-all,$acaps" -- "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach --all
	dep_curl 3
	dep_port port
	dep_serve sv "$port" "$scaps"
	xt_ok "scrape with $scaps" curl -sS --max-time 5 -o "$m" "http://127.0.0.1:$port/metrics"
	grep -Eq "^xtap_packets_total\{interface=\"$XT_IF_S\",netns=\"$XT_NS_S\",hook=\"xdp\",class=\"tcp\"\} [1-9]" "$m" ||
		xt_fail "serve with $scaps: no TCP packets of $XT_IF_S"
	xt_ok "export with $ecaps" dep_as "$ecaps" "$XTAP" export --json "$XT_TMP/flows.json" --once
	grep -qF "$XT_S4" "$XT_TMP/flows.json" ||
		xt_fail "export with $ecaps: no flow of $XT_S4: $(head -c 300 "$XT_TMP/flows.json")"
	xt_ok "detach with $acaps" xt_ns "$XT_NS_S" setpriv --inh-caps=-all \
		--bounding-set="-all,$acaps" -- "$XTAP" detach "$XT_IF_S"
	xt_assert_rc "status after detach" 0 xt_ns "$XT_NS_S" "$XTAP" status
	xt_assert_eq "detached" "xtap is not attached to any interface" "$XT_STDOUT"
	xt_stop "$sv"
}

# Every metric and label value the rules and the dashboard use is one a real
# `xtap serve` exports (recording rules' own names and `up` aside).
test_deploy_rules_match_metrics()
{
	local port sv kinds m=$XT_TMP/metrics.txt
	xt_require promtool
	dep_setup
	xt_ok "attach" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach --all
	dep_curl 3
	dep_port port
	dep_serve sv "$port"
	xt_ok "scrape" curl -sS --max-time 5 -o "$m" "http://127.0.0.1:$port/metrics"
	grep -q '^xtap_latency_seconds_bucket{kind="handshake"' "$m" || xt_fail "no handshake histogram in the scrape"
	# latency kinds come from the kernel's traffic; the words are latency's
	kinds=$("$XTAP" latency --help | sed -n 's/.*--kind \([a-z|]*\).*/\1/p' | head -1)
	[ -n "$kinds" ] || xt_fail "no kinds in xtap latency --help"
	xt_ok "names" "$XT_PYTHON" - "$m" "$kinds" "$XT_ROOT/dist/prometheus/xtap.rules.yml" \
		"$XT_ROOT/dist/grafana/xtap.json" <<'EOF'
import re, sys
scrape = open(sys.argv[1]).read()
names = set(re.findall(r"^(xtap_[a-z_]+)", scrape, re.M))
# a histogram's family name stands for its _bucket, _sum and _count
names |= {n[:-len("_bucket")] for n in names if n.endswith("_bucket")}
labels = set(re.findall(r'(\w+)="([^"]*)"', scrape))
labels |= {("kind", k) for k in sys.argv[2].split("|")}
bad = []
for f in sys.argv[3:]:
    text = open(f).read()
    # names of series; recording rules' names (level:metric:ops) aside
    for n in set(re.findall(r"(?<![\w:])(xtap_[a-z_]+)(?![\w:])", text)):
        if n not in names:
            bad.append("%s: %s is not exported" % (f, n))
    # label values matched exactly or as alternatives: event="a|b", kind=~"http|dns"
    for k, v in re.findall(r'\b(event|class|reason|kind|hook)=~?\\?"([a-z_|]+)\\?"', text):
        for one in v.split("|"):
            if (k, one) not in labels:
                bad.append('%s: %s="%s" is not exported' % (f, k, one))
if bad:
    sys.exit("\n".join(sorted(set(bad))))
EOF
	xt_stop "$sv"
}

# The completion offers the interfaces attached for detach and capture -i.
test_deploy_completion_attached()
{
	local got
	xt_require bash
	dep_setup
	xt_ok "attach" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach --all
	"$XTAP" --bash-completion >"$XT_TMP/xtap.bash" || xt_fail "xtap --bash-completion"
	got=$(xt_ns "$XT_NS_S" bash -c '. "$1"; COMP_WORDS=("$2" detach ""); COMP_CWORD=2; _xtap
		printf "%s\n" "${COMPREPLY[@]}"' _ "$XT_TMP/xtap.bash" "$XTAP")
	xt_assert_eq "xtap detach <TAB>" "$XT_IF_S" "$got"
	got=$(xt_ns "$XT_NS_S" bash -c '. "$1"; COMP_WORDS=("$2" capture -w x.pcap -i ""); COMP_CWORD=5
		_xtap; printf "%s\n" "${COMPREPLY[@]}"' _ "$XT_TMP/xtap.bash" "$XTAP")
	xt_assert_eq "xtap capture -i <TAB>" "$XT_IF_S" "$got"
}

# While 200 connections sit idle, one client sends a byte a second and one
# sends a 64 KiB head, scrapes still come back within a second each; the
# oversized request gets 431.
test_deploy_serve_hostile_clients()
{
	local port sv idle slow i t0 t1
	dep_setup
	xt_ok "attach" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach --all
	dep_port port
	dep_serve sv "$port"
	xt_bg idle "" "$XT_TMP/idle.log" "$XT_PYTHON" -c 'import socket, sys, time
c = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for i in range(200)]
print("connected", len(c), flush=True)
time.sleep(30)' "$port"
	xt_wait_log "idle clients" "$idle" "$XT_TMP/idle.log" '^connected 200'
	xt_bg slow "" "$XT_TMP/slow.log" "$XT_PYTHON" -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("dribbling", flush=True)
for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n":
    s.send(bytes([b])); time.sleep(1)' "$port"
	xt_wait_log "slow client" "$slow" "$XT_TMP/slow.log" '^dribbling'
	xt_ok "oversized request" "$XT_PYTHON" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 65536 + b"\r\n\r\n")
except OSError:
    pass
r = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        r += d
except OSError:
    pass
print(r.split(b"\r\n")[0].decode())' "$port"
	xt_assert_eq "answer to 64 KiB of head" "HTTP/1.1 431 Request Header Fields Too Large" "$XT_STDOUT"
	for ((i = 0; i < 5; i++)); do
		t0=$(date +%s%N)
		xt_ok "scrape $i among idle and slow clients" curl -sS --max-time 1 -o "$XT_TMP/m.$i" \
			"http://127.0.0.1:$port/metrics"
		t1=$(date +%s%N)
		grep -q '^xtap_flow_table_size ' "$XT_TMP/m.$i" || xt_fail "scrape $i incomplete"
		xt_info "scrape $i: $(((t1 - t0) / 1000000)) ms"
	done
	xt_alive "$idle" || xt_fail "the idle clients gave up"
	xt_alive "$sv" || xt_fail "xtap serve died"
	xt_stop "$sv"
}
