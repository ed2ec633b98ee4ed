#!/usr/bin/env bash
# make demo: xtap on live traffic between two private network namespaces.
# Everything it creates is removed on exit, Ctrl-C included.
set -u
XTAP=${XTAP:-$(dirname "$0")/../build/xtap}
if [ "$(id -u)" != 0 ]; then
	echo "xtap: demo: needs root (or sudo make demo)" >&2
	exit 1
fi

CLI=xtdemo-cli-$$ SRV=xtdemo-srv-$$
VC=xtdc$$ VS=xtds$$
SERVER_PID= CAPTURE_PID=
TMP=$(mktemp -d /tmp/xtap-demo.XXXXXX)
in_cli() { nsenter --net=/run/netns/$CLI "$@"; }
in_srv() { nsenter --net=/run/netns/$SRV "$@"; }

cleanup() {
	trap - EXIT INT TERM
	in_cli "$XTAP" detach $VC >/dev/null 2>&1
	in_srv "$XTAP" detach $VS >/dev/null 2>&1
	[ -n "$CAPTURE_PID" ] && kill -INT "$CAPTURE_PID" 2>/dev/null && wait "$CAPTURE_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	ip netns del $CLI 2>/dev/null
	ip netns del $SRV 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "topology: client namespace $CLI <-> server namespace $SRV over a veth pair"
ip netns add $CLI && ip netns add $SRV || exit 1
ip link add $VC type veth peer name $VS || exit 1
ip link set $VC netns $CLI && ip link set $VS netns $SRV
in_cli ip addr add 10.200.0.1/24 dev $VC
in_srv ip addr add 10.200.0.2/24 dev $VS
in_cli ip addr add fd00:200::1/64 dev $VC nodad
in_srv ip addr add fd00:200::2/64 dev $VS nodad
for ns in $CLI $SRV; do nsenter --net=/run/netns/$ns ip link set lo up; done
in_cli ip link set $VC up
in_srv ip link set $VS up

# nsenter execs the server, so $! is the server itself
nsenter --net=/run/netns/$SRV python3 -m http.server 8080 --bind :: >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do
	in_cli curl -s -o /dev/null http://10.200.0.2:8080/ && break
	sleep 0.1
done

step "attach xtap to both ends (XDP + TC ingress + TC egress, one shared flow table)"
in_cli "$XTAP" attach $VC || exit 1
in_srv "$XTAP" attach $VS || exit 1

step "xtap capture in the background: every packet, both directions, into a pcapng"
nsenter --net=/run/netns/$SRV "$XTAP" capture -i $VS --pcapng -w "$TMP/demo.pcapng" 2>"$TMP/capture.log" &
CAPTURE_PID=$!
sleep 0.5

step "real traffic: 3 HTTP requests over IPv4, 1 over IPv6, 1 to a closed port, 5 pings"
for i in 1 2 3; do in_cli curl -s -o /dev/null -w 'GET / -> %{http_code}\n' http://10.200.0.2:8080/; done
in_cli curl -s -o /dev/null -w 'GET / over IPv6 -> %{http_code}\n' "http://[fd00:200::2]:8080/"
in_cli curl -s -o /dev/null -m 2 http://10.200.0.2:81/ || echo "GET :81 -> connection refused"
in_cli ping -c 5 -i 0.2 -q 10.200.0.2 | tail -2

kill -INT "$CAPTURE_PID" && wait "$CAPTURE_PID"
CAPTURE_PID=
cat "$TMP/capture.log"

step "xtap status"
run "$XTAP" status
step "xtap flows (both interfaces feed one table; CLIENT is the side that started)"
run "$XTAP" flows -n 12
# --- latency: per-service histograms (RETX and TS-RTT are columns of flows above)
step "xtap latency (per service: handshake initial RTT and passive RTT from TCP timestamps)"
run "$XTAP" latency --service 10.200.0.2:8080
run "$XTAP" latency --service 10.200.0.2:8080 --kind handshake -j
# --- end latency
step "xtap stats (per interface and hook)"
"$XTAP" stats | sed -n '/@'"$SRV"'/,$p'
# --- hops: a second path through a router namespace, and xtap hops ----------
RTR=xtdemo-rtr-$$ VCR=xtdcr$$ VRC=xtdrc$$ VRS=xtdrs$$ VSR=xtdsr$$
in_rtr() { nsenter --net=/run/netns/$RTR "$@"; }
hops_cleanup() {
	in_cli "$XTAP" detach $VCR >/dev/null 2>&1
	in_rtr "$XTAP" detach $VRC $VRS >/dev/null 2>&1
	in_srv "$XTAP" detach $VSR >/dev/null 2>&1
	ip netns del $RTR 2>/dev/null
}
trap 'hops_cleanup; cleanup' EXIT
step "a routed path: client -> router namespace $RTR -> server, xtap on all four veth ends"
ip netns add $RTR || exit 1
in_rtr ip link set lo up
in_rtr sysctl -qw net.ipv4.ip_forward=1
ip link add $VCR netns $CLI type veth peer name $VRC netns $RTR || exit 1
ip link add $VRS netns $RTR type veth peer name $VSR netns $SRV || exit 1
in_cli ip addr add 10.201.0.1/24 dev $VCR
in_rtr ip addr add 10.201.0.254/24 dev $VRC
in_rtr ip addr add 10.202.0.254/24 dev $VRS
in_srv ip addr add 10.202.0.2/24 dev $VSR
in_cli ip link set $VCR up; in_rtr ip link set $VRC up
in_rtr ip link set $VRS up; in_srv ip link set $VSR up
in_cli ip route add 10.202.0.0/24 via 10.201.0.254
in_srv ip route add 10.201.0.0/24 via 10.202.0.254
in_cli ping -c 1 -W 2 -q 10.202.0.2 >/dev/null	# neighbours resolved first
# a few pings: follow every packet (the default follows 1 in 16)
in_cli "$XTAP" attach --hop-sample 1 $VCR >/dev/null && in_rtr "$XTAP" attach $VRC $VRS >/dev/null &&
	in_srv "$XTAP" attach $VSR >/dev/null || exit 1
in_cli ping -c 10 -i 0.1 -q 10.202.0.2 | tail -2
for i in 1 2 3; do in_cli curl -s -o /dev/null -w 'GET / via the router -> %{http_code}\n' http://10.202.0.2:8080/; done
step "xtap hops (each hop in path order: request path, then reply path)"
run "$XTAP" hops
# --- end of hops ---------------------------------------------------------------

step "the capture, read back by tshark (first 12 packets)"
tshark -r "$TMP/demo.pcapng" -n 2>/dev/null | head -12
