# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xtap selftest harness. Sourced by run.sh, which runs every test_* function
# in its own bash process (see run.sh). A test builds what it needs with the
# helpers below; everything a helper creates is registered and torn down by
# xt_cleanup, which runs on EXIT, INT and TERM whether the test passed or not.
#
# Naming: every namespace, link and pin a test makes starts with $XT_ID
# ("xt" + the test process's PID), so parallel runs never collide and
# cleanup only ever touches what this process made.
#
# Helpers that hand back a name or PID take the caller's variable name first
# (xt_ns_new VAR ..., xt_bg VAR ...) and set it with printf -v: a helper run
# inside $(...) could not register what it made for cleanup.
#
# Conventions:
#   xt_ns NS CMD...           run CMD in namespace NS (nsenter --net, which
#                             keeps /sys/fs/bpf visible; "" = this namespace)
#   xt_fail MSG               report a failure naming the test, end the test
#   xt_skip MSG               end the test as skipped (exit code 77)
#   xt_run CMD...             run CMD; sets XT_RC, XT_STDOUT, XT_STDERR

XT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_ROOT=$(dirname "$XT_DIR")
: "${XTAP:=$XT_ROOT/build/xtap}"
# the state directory xtap uses; set it to run suites side by side
: "${XTAP_PIN_ROOT:=/sys/fs/bpf/xtap}"
export XTAP_PIN_ROOT
XT_PYTHON=${XT_PYTHON:-python3}
XT_SKIP_RC=77

XT_TEST=${XT_TEST:-}
XT_ID=
XT_TMP=
XT_PIDS=()          # background processes this test started
XT_NETNS=()         # namespaces this test created
XT_LINKS=()         # "NS<TAB>DEV" links to delete ("" NS: this namespace)
XT_QDISCS=()        # "NS<TAB>DEV" clsact qdiscs to delete
XT_PINS=()          # bpffs paths to remove
XT_DEFERRED=()      # commands (strings for eval) run first, last registered first
declare -A XT_BGLOG=()  # PID -> log file of a background process
XT_CLEANED=0

# --- messages and assertions ----------------------------------------------

xt_info() { printf '  %s: %s\n' "${XT_TEST:-selftest}" "$*" >&2; }

xt_fail()
{
	printf 'FAIL %s: %s\n' "${XT_TEST:-selftest}" "$*" >&2
	exit 1
}

xt_skip()
{
	printf 'SKIP %s: %s\n' "${XT_TEST:-selftest}" "$*" >&2
	exit "$XT_SKIP_RC"
}

# xt_require TOOL... : skip the test when a tool is missing
xt_require()
{
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || xt_skip "needs '$t' (make deps installs it)"
	done
}

# xt_run CMD... : run CMD with stdout/stderr captured; never fails itself.
xt_run()
{
	local out="$XT_TMP/.run.out" err="$XT_TMP/.run.err"
	"$@" >"$out" 2>"$err"
	XT_RC=$?
	XT_STDOUT=$(cat "$out")
	XT_STDERR=$(cat "$err")
	return 0
}

# xt_show TEXT : indent multi-line text for a failure message
xt_show() { printf '%s\n' "$1" | sed 's/^/    | /'; }

xt_assert_eq()
{
	local what=$1 want=$2 got=$3
	[ "$want" == "$got" ] && return 0
	if [ "${#want}" -gt 60 ] || [ "${#got}" -gt 60 ] || [[ "$want$got" == *$'\n'* ]]; then
		printf 'FAIL %s: %s differs\n  expected:\n%s\n  got:\n%s\n' "$XT_TEST" "$what" \
			"$(xt_show "$want")" "$(xt_show "$got")" >&2
		exit 1
	fi
	xt_fail "$what: expected '$want', got '$got'"
}

xt_assert_ne()
{
	local what=$1 unwanted=$2 got=$3
	[ "$unwanted" != "$got" ] || xt_fail "$what: did not expect '$got'"
}

# xt_assert_match WHAT ERE STRING
xt_assert_match()
{
	local what=$1 re=$2 got=$3
	[[ "$got" =~ $re ]] && return 0
	printf 'FAIL %s: %s does not match /%s/; got:\n%s\n' "$XT_TEST" "$what" "$re" \
		"$(xt_show "$got")" >&2
	exit 1
}

# xt_assert_rc WHAT WANT_RC CMD... : run CMD (via xt_run) and check its exit code
xt_assert_rc()
{
	local what=$1 want=$2
	shift 2
	xt_run "$@"
	[ "$XT_RC" -eq "$want" ] && return 0
	printf 'FAIL %s: %s: exit code %s, expected %s\n  command: %s\n  stdout:\n%s\n  stderr:\n%s\n' \
		"$XT_TEST" "$what" "$XT_RC" "$want" "$*" "$(xt_show "$XT_STDOUT")" \
		"$(xt_show "$XT_STDERR")" >&2
	exit 1
}

# xt_ok WHAT CMD... : CMD must succeed
xt_ok() { local what=$1; shift; xt_assert_rc "$what" 0 "$@"; }

# xt_wait_for WHAT SECONDS CMD... : poll CMD every 0.1 s until it succeeds
xt_wait_for()
{
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	xt_fail "timed out after ${secs}s waiting for $what"
}

# --- namespaces, links, addresses -------------------------------------------

# xt_ns NS CMD... : run CMD inside namespace NS ("" runs it here)
xt_ns()
{
	local ns=$1
	shift
	if [ -z "$ns" ]; then
		"$@"
	else
		nsenter --net="/run/netns/$ns" -- "$@"
	fi
}

# xt_name SUFFIX : a name unique to this test process, short enough for an
# interface (15 characters)
xt_name()
{
	local n="$XT_ID$1"
	[ "${#n}" -le 15 ] || xt_fail "name '$n' is longer than 15 characters"
	printf '%s' "$n"
}

# xt_ns_new VAR SUFFIX : create namespace $XT_ID$SUFFIX with lo up; VAR gets its name
xt_ns_new()
{
	local __nn_ns
	__nn_ns=$(xt_name "$2") || exit 1
	ip netns add "$__nn_ns" || xt_fail "ip netns add $__nn_ns failed"
	XT_NETNS+=("$__nn_ns")
	xt_ns "$__nn_ns" ip link set lo up || xt_fail "$__nn_ns: cannot bring lo up"
	printf -v "$1" '%s' "$__nn_ns"
}

# xt_veth NS1 DEV1 NS2 DEV2 : a veth pair, DEV1 in NS1 and DEV2 in NS2, both up.
# An empty NS means this namespace; such ends are registered for deletion.
xt_veth()
{
	local ns1=$1 d1=$2 ns2=$3 d2=$4
	local -a where1=() where2=()
	[ -n "$ns1" ] && where1=(netns "$ns1")
	[ -n "$ns2" ] && where2=(netns "$ns2")
	ip link add "$d1" "${where1[@]}" type veth peer name "$d2" "${where2[@]}" ||
		xt_fail "cannot create veth $d1/$d2"
	# a veth pair dies with either end: registering one end is enough, but
	# deleting an already deleted link is harmless
	XT_LINKS+=("$ns1"$'\t'"$d1")
	xt_ns "$ns1" ip link set "$d1" up || xt_fail "cannot bring $d1 up"
	xt_ns "$ns2" ip link set "$d2" up || xt_fail "cannot bring $d2 up"
}

# xt_link_register NS DEV : delete DEV in NS at cleanup (for links made by hand)
xt_link_register() { XT_LINKS+=("$1"$'\t'"$2"); }

# xt_addr NS DEV ADDR/PREFIX : add an IPv4 or IPv6 address (IPv6 without DAD)
xt_addr()
{
	local ns=$1 dev=$2 a=$3
	case "$a" in
	10.* | 192.168.* | 172.1[6-9].* | 172.2[0-9].* | 172.3[01].* | fd*:*) ;;
	*) xt_fail "address $a is not private (use 10.x or fd00::)" ;;
	esac
	if [[ "$a" == *:* ]]; then
		xt_ns "$ns" ip -6 addr add "$a" dev "$dev" nodad || xt_fail "$ns: cannot add $a to $dev"
	else
		xt_ns "$ns" ip addr add "$a" dev "$dev" || xt_fail "$ns: cannot add $a to $dev"
	fi
}

# xt_ping_ok NS ADDR : one echo request answered within a second
xt_ping_ok() { xt_ns "$1" ping -c 1 -W 1 -q "$2" >/dev/null 2>&1; }

# xt_pair : two namespaces joined by a veth pair, with IPv4 and IPv6 addresses.
# Sets XT_NS_C XT_NS_S (client, server), XT_IF_C XT_IF_S, XT_C4 XT_S4, XT_C6 XT_S6.
xt_pair()
{
	xt_ns_new XT_NS_C c
	xt_ns_new XT_NS_S s
	XT_IF_C=$(xt_name c0) || exit 1
	XT_IF_S=$(xt_name s0) || exit 1
	xt_veth "$XT_NS_C" "$XT_IF_C" "$XT_NS_S" "$XT_IF_S"
	XT_C4=10.77.0.1 XT_S4=10.77.0.2
	XT_C6=fd00:77::1 XT_S6=fd00:77::2
	xt_addr "$XT_NS_C" "$XT_IF_C" "$XT_C4/24"
	xt_addr "$XT_NS_S" "$XT_IF_S" "$XT_S4/24"
	xt_addr "$XT_NS_C" "$XT_IF_C" "$XT_C6/64"
	xt_addr "$XT_NS_S" "$XT_IF_S" "$XT_S6/64"
	xt_wait_for "$XT_S4 reachable from $XT_NS_C" 5 xt_ping_ok "$XT_NS_C" "$XT_S4"
	xt_wait_for "$XT_S6 reachable from $XT_NS_C" 5 xt_ping_ok "$XT_NS_C" "$XT_S6"
}

# --- registered state ---------------------------------------------------------

# xt_pin_register PATH : remove this bpffs path at cleanup
xt_pin_register()
{
	case "$1" in
	/sys/fs/bpf/?*) XT_PINS+=("$1") ;;
	*) xt_fail "pin path '$1' is not under /sys/fs/bpf" ;;
	esac
}

# xt_qdisc_register NS DEV : delete DEV's clsact qdisc at cleanup
xt_qdisc_register() { XT_QDISCS+=("$1"$'\t'"$2"); }

# xt_defer CMD... : run CMD at cleanup, before anything else is torn down
xt_defer() { XT_DEFERRED+=("$(printf '%q ' "$@")"); }

# --- background processes -------------------------------------------------------

# xt_bg VAR NS LOG CMD... : start CMD in NS in the background, output to LOG;
# VAR gets the PID (nsenter execs CMD, so it is CMD's own PID).
xt_bg()
{
	local __bg_var=$1 __bg_ns=$2 __bg_log=$3 __bg_pid
	shift 3
	# not through the xt_ns function: a backgrounded function is a subshell
	# whose PID is not the command's. nsenter execs the command.
	if [ -n "$__bg_ns" ]; then
		nsenter --net="/run/netns/$__bg_ns" -- "$@" >"$__bg_log" 2>&1 </dev/null &
	else
		"$@" >"$__bg_log" 2>&1 </dev/null &
	fi
	__bg_pid=$!
	XT_PIDS+=("$__bg_pid")
	XT_BGLOG[$__bg_pid]=$__bg_log
	printf -v "$__bg_var" '%s' "$__bg_pid"
}

xt_alive() { kill -0 "$1" 2>/dev/null; }

# xt_stop PID [SIG] : stop a process this test started and reap it
xt_stop()
{
	local pid=$1 sig=${2:-TERM} i known=0 p
	for p in "${XT_PIDS[@]}"; do [ "$p" = "$pid" ] && known=1; done
	[ "$known" = 1 ] || xt_fail "xt_stop: $pid was not started by this test"
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		xt_alive "$pid" || break
		sleep 0.1
	done
	xt_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local -a keep=()
	for p in "${XT_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	XT_PIDS=("${keep[@]}")
	return 0
}

# xt_listening NS tcp|udp PORT : something listens on PORT in NS
xt_listening()
{
	local flag=-ltnH
	[ "$2" = udp ] && flag=-lunH
	xt_ns "$1" ss "$flag" "sport = :$3" | grep -q .
}

# xt_wait_log WHAT PID LOG ERE : wait until LOG matches ERE while PID lives
xt_wait_log()
{
	local what=$1 pid=$2 log=$3 re=$4 i
	for ((i = 0; i < 100; i++)); do
		grep -Eq "$re" "$log" 2>/dev/null && return 0
		xt_alive "$pid" || xt_fail "$what exited early: $(tail -n 3 "$log" | tr '\n' ' ')"
		sleep 0.1
	done
	xt_fail "$what not ready after 10s: $(tail -n 3 "$log" | tr '\n' ' ')"
}

# xt_http_server VAR NS PORT DIR : python3 -m http.server on [::]:PORT (IPv4 too)
xt_http_server()
{
	local __hs_ns=$2 __hs_port=$3 __hs_pid __hs_i
	xt_bg __hs_pid "$__hs_ns" "$XT_TMP/http-$__hs_port.log" "$XT_PYTHON" -m http.server \
		"$__hs_port" --bind :: --directory "$4"
	for ((__hs_i = 0; __hs_i < 100; __hs_i++)); do
		xt_listening "$__hs_ns" tcp "$__hs_port" && break
		xt_alive "$__hs_pid" ||
			xt_fail "http server exited: $(tail -n 3 "$XT_TMP/http-$__hs_port.log")"
		sleep 0.1
	done
	xt_listening "$__hs_ns" tcp "$__hs_port" || xt_fail "http server not listening on $__hs_port"
	printf -v "$1" '%s' "$__hs_pid"
}

# xt_dns_server VAR NS NAME=ADDR... : the test DNS responder on [::]:53 (IPv4 too)
xt_dns_server()
{
	local __dns_var=$1 __dns_ns=$2 __dns_pid __dns_a
	shift 2
	local -a __dns_ans=()
	for __dns_a in "$@"; do __dns_ans+=(--answer "$__dns_a"); done
	xt_bg __dns_pid "$__dns_ns" "$XT_TMP/dns.log" "$XT_PYTHON" "$XT_DIR/dns_responder.py" \
		--port 53 "${__dns_ans[@]}"
	xt_wait_log "dns responder" "$__dns_pid" "$XT_TMP/dns.log" '^ready'
	printf -v "$__dns_var" '%s' "$__dns_pid"
}

# xt_capture_start VAR NS DEV FILE [TCPDUMP ARGS...] : tcpdump to FILE; returns
# once tcpdump is listening. Stop it with xt_capture_stop so the file is complete.
xt_capture_start()
{
	local __cap_var=$1 __cap_dev=$3 __cap_file=$4 __cap_pid
	xt_bg __cap_pid "$2" "$__cap_file.log" tcpdump -i "$__cap_dev" -w "$__cap_file" -U \
		--immediate-mode -s 0 "${@:5}"
	xt_wait_log "tcpdump on $__cap_dev" "$__cap_pid" "$__cap_file.log" '^tcpdump: listening on'
	printf -v "$__cap_var" '%s' "$__cap_pid"
}

# xt_capture_stop PID : stop tcpdump cleanly (TERM: background jobs of a
# non-interactive shell ignore INT); fails when it dropped packets
xt_capture_stop()
{
	local pid=$1 log=${XT_BGLOG[$1]:-}
	sleep 0.2     # let the last frames reach the capture socket
	xt_stop "$pid" TERM
	[ -n "$log" ] || return 0
	grep -q 'packets captured' "$log" || xt_fail "tcpdump did not exit cleanly: $(tail -n 3 "$log")"
	if grep -Eq '^[1-9][0-9]* packets? dropped by kernel' "$log"; then
		xt_fail "tcpdump dropped packets: $(grep dropped "$log")"
	fi
}

# --- setup and cleanup ----------------------------------------------------------

xt_cleanup()
{
	[ "$XT_CLEANED" = 1 ] && return 0
	XT_CLEANED=1
	set +e
	local i e ns dev
	for ((i = ${#XT_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${XT_DEFERRED[$i]}" >/dev/null 2>&1
	done
	for e in "${XT_PIDS[@]}"; do kill -TERM "$e" 2>/dev/null; done
	for e in "${XT_PIDS[@]}"; do
		for ((i = 0; i < 20; i++)); do xt_alive "$e" || break; sleep 0.1; done
		xt_alive "$e" && kill -KILL "$e" 2>/dev/null
		wait "$e" 2>/dev/null
	done
	XT_PIDS=()
	for e in "${XT_QDISCS[@]}"; do
		ns=${e%%$'\t'*} dev=${e#*$'\t'}
		[ -z "$ns" ] || [ -e "/run/netns/$ns" ] || continue
		xt_ns "$ns" tc qdisc del dev "$dev" clsact >/dev/null 2>&1
	done
	for e in "${XT_LINKS[@]}"; do
		ns=${e%%$'\t'*} dev=${e#*$'\t'}
		[ -z "$ns" ] || [ -e "/run/netns/$ns" ] || continue
		xt_ns "$ns" ip link del "$dev" >/dev/null 2>&1
	done
	for e in "${XT_PINS[@]}"; do rm -rf -- "$e"; done
	for e in "${XT_NETNS[@]}"; do ip netns del "$e" >/dev/null 2>&1; done
	if [ -n "$XT_TMP" ] && [ -d "$XT_TMP" ]; then
		if [ "${XT_KEEP:-0}" = 1 ]; then
			printf '  %s: kept %s\n' "$XT_TEST" "$XT_TMP" >&2
		else
			rm -rf -- "$XT_TMP"
		fi
	fi
	return 0
}

# xt_setup TEST : called by run.sh in the test's own process before the test
xt_setup()
{
	XT_TEST=$1
	XT_ID="xt$BASHPID"
	trap 'xt_cleanup' EXIT
	trap 'xt_cleanup; trap - INT; kill -INT $BASHPID' INT
	trap 'xt_cleanup; exit 143' TERM
	XT_TMP=$(mktemp -d "/tmp/$XT_ID.XXXXXX") || xt_fail "mktemp failed"
	chmod 0700 "$XT_TMP"
	[ "$(id -u)" = 0 ] || xt_skip "needs root"
}

# --- xtap helpers -----------------------------------------------------------------

# xt_replay_json PCAP OUT [ARGS...] : xtap replay -j into OUT; fails the test
# when xtap fails or its output is not one JSON object
xt_replay_json()
{
	local pcap=$1 out=$2
	shift 2
	xt_ok "xtap replay -r $(basename "$pcap") -j $*" "$XTAP" replay -r "$pcap" -j "$@"
	printf '%s\n' "$XT_STDOUT" >"$out"
	"$XT_PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null ||
		xt_fail "xtap replay -j output is not JSON: $(head -c 200 "$out")"
}
