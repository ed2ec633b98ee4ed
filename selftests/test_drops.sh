# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Drop reasons: what the kernel frees as part of normal delivery or teardown
# is no loss. `xtap drops` and the DROPS column of `xtap flows` show losses;
# `xtap drops --all` shows every drop with its class.

DROPS_PY='
import json, sys
for d in json.load(sys.stdin)["drops"]:
    print(d["proto"], d["a"], d["b"], d["iface"], d["reason"], d["class"], d["packets"])
'
drops_py() { "$XT_PYTHON" -c "$DROPS_PY"; }

# drops_column : `xtap flows` on stdin as lines "SERVER DROPS"
drops_column()
{
	"$XT_PYTHON" -c '
import sys
lines = sys.stdin.read().splitlines()
end = lines[0].index("DROPS") + len("DROPS")
for l in lines[1:]:
    print(l.split()[2], l[:end].split()[-1])
'
}

# drops_get [--all] : `xtap drops -j` as lines "PROTO A B IFACE REASON CLASS PKTS"
drops_get()
{
	xt_ok "xtap drops -j $*" "$XTAP" drops -j "$@"
	DROPS=$(drops_py <<<"$XT_STDOUT") || xt_fail "xtap drops -j $*: not the expected JSON"
}

# Healthy ping (IPv4 and IPv6, answered on ping's raw socket), HTTP and DNS
# between two namespaces: no loss in `xtap drops` nor in any flow's DROPS,
# while `xtap drops --all` has the kernel's frees of the echo replies
# (delivered) and of the closing sockets' queues (teardown). Then an
# nftables drop rule and a closed UDP port: exactly their losses.
test_drops_losses_not_delivery_or_teardown()
{
	local i l n=4
	xt_require curl ping dig nft
	xt_pair
	xt_ok "xtap attach $XT_IF_S" xt_ns "$XT_NS_S" "$XTAP" attach "$XT_IF_S"
	xt_defer xt_ns "$XT_NS_S" "$XTAP" detach "$XT_IF_S"
	xt_ok "xtap attach $XT_IF_C" xt_ns "$XT_NS_C" "$XTAP" attach "$XT_IF_C"
	xt_defer xt_ns "$XT_NS_C" "$XTAP" detach "$XT_IF_C"
	mkdir -p "$XT_TMP/www"
	head -c 20000 /dev/urandom | base64 >"$XT_TMP/www/index.html"
	xt_http_server http "$XT_NS_S" 8080 "$XT_TMP/www"
	xt_dns_server dns "$XT_NS_S" www.xtap.test=10.77.0.9

	xt_ok "ping" xt_ns "$XT_NS_C" ping -c 5 -i 0.05 -W 1 -q "$XT_S4"
	xt_ok "ping -6" xt_ns "$XT_NS_C" ping -6 -c 5 -i 0.05 -W 1 -q "$XT_S6"
	for ((i = 0; i < 4; i++)); do
		xt_ok "curl $i" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 "http://$XT_S4:8080/"
		xt_ok "curl -6 $i" xt_ns "$XT_NS_C" curl -sS -o /dev/null --max-time 5 \
			"http://[$XT_S6]:8080/"
	done
	xt_ok dig xt_ns "$XT_NS_C" dig +tries=1 +time=3 +short @"$XT_S4" www.xtap.test A
	xt_ok "dig -6" xt_ns "$XT_NS_C" dig +tries=1 +time=3 +short @"$XT_S6" www.xtap.test A
	sleep 0.3	# the last FINs
	drops_get
	[ -z "$DROPS" ] || { xt_show "$DROPS"; xt_fail "losses reported for healthy traffic"; }
	xt_ok "xtap flows" "$XTAP" flows
	l=$(drops_column <<<"$XT_STDOUT" | awk '$2 != 0')
	[ -z "$l" ] || { xt_show "$XT_STDOUT"; xt_fail "flows with drops after healthy traffic"; }
	drops_get --all
	xt_assert_eq "echo replies freed after ping's raw socket had them: delivered" \
		"icmp NO_SOCKET delivered 5 icmpv6 NO_SOCKET delivered 5" \
		"$(awk '$5 == "NO_SOCKET" { print $1, $5, $6, $7 }' <<<"$DROPS" | sort | tr '\n' ' ' |
			sed 's/ $//')"
	xt_assert_match "HTTP connections' close: teardown" \
		'tcp [^ ]+ [^ ]+:8080 [^ ]+ (QUEUE_PURGE|NOT_SPECIFIED) teardown' "$DROPS"
	l=$(awk '$6 == "loss"' <<<"$DROPS")
	[ -z "$l" ] || { xt_show "$DROPS"; xt_fail "--all: a loss in healthy traffic"; }

	xt_ns "$XT_NS_S" nft -f - <<-EOF || xt_fail "nft rule"
		table inet xtdrops {
			chain xtin {
				type filter hook input priority 0;
				udp dport 9999 drop
			}
		}
	EOF
	xt_ok "udp to the dropped port" xt_ns "$XT_NS_C" "$XT_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9999))
for i in range(int(sys.argv[2])):
    s.send(b"xtap drops %d" % i)
' "$XT_S4" "$n"
	xt_ok "udp to a closed port" xt_ns "$XT_NS_C" "$XT_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"closed", (sys.argv[1], 9998))
' "$XT_S4"
	sleep 0.3
	drops_get
	xt_assert_eq "losses: the nftables drop and the closed port, at the server" \
		"udp $XT_IF_S NETFILTER_DROP loss $n 9999
udp $XT_IF_S NO_SOCKET loss 1 9998" \
		"$(awk '{ split($3, p, ":"); print $1, $4, $5, $6, $7, p[2] }' <<<"$DROPS" | sort)"
	xt_ok "xtap flows" "$XTAP" flows
	xt_assert_eq "flows: DROPS of the flows with losses" "$XT_S4:9998 1
$XT_S4:9999 $n" "$(drops_column <<<"$XT_STDOUT" | awk '$2 != 0' | sort)"
	xt_stop "$http"
	xt_stop "$dns"
}
