# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The pinned state as a whole: one state (and one lock) per pin root however
# it is spelled, stale interfaces, and long-running commands that notice when
# their state goes away. Each test uses a pin root of its own under
# $XTAP_PIN_ROOT's directory, so that it can assert exactly what is attached.

# st_root : this test's own pin root in ST_ROOT, removed at cleanup
st_root()
{
	ST_ROOT=$XTAP_PIN_ROOT-$XT_ID
	xt_pin_register "$ST_ROOT"
	xt_defer st_detach_all
}

st_detach_all() { XTAP_PIN_ROOT=$ST_ROOT "$XTAP" detach --all; }

# st_x CMD... : xtap on this test's pin root
st_x() { XTAP_PIN_ROOT=$ST_ROOT "$XTAP" "$@"; }
# st_in NS CMD... : the same in namespace NS
st_in() { local ns=$1; shift; xt_ns "$ns" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" "$@"; }

# st_status_names : the names status -j lists, one a line, sorted
st_status_names()
{
	XTAP_PIN_ROOT=$ST_ROOT "$XTAP" status -j |
		"$XT_PYTHON" -c 'import json, sys; [print(i["name"]) for i in json.load(sys.stdin)["interfaces"]]' |
		sort
}

# Roots that are not a directory inside a bpf filesystem are refused with one
# line before anything is made.
test_state_root_refused()
{
	local r
	for r in /sys/fs/bpf /sys/fs/bpf/ /sys/fs/bpf/. /sys/fs/bpf//; do
		xt_run env XTAP_PIN_ROOT="$r" "$XTAP" attach lo
		xt_assert_eq "attach with XTAP_PIN_ROOT=$r: exit code" 1 "$XT_RC"
		xt_assert_eq "attach with XTAP_PIN_ROOT=$r: error" \
			"xtap: attach: XTAP_PIN_ROOT $r: is the root of a bpf filesystem; name a directory in it, such as /sys/fs/bpf/xtap" \
			"$XT_STDERR"
	done
	xt_run env XTAP_PIN_ROOT="$XT_TMP/state" "$XTAP" status
	xt_assert_eq "status with a root on /tmp: exit code" 1 "$XT_RC"
	xt_assert_eq "status with a root on /tmp: error" \
		"xtap: status: XTAP_PIN_ROOT $XT_TMP/state: not on a bpf filesystem; name a directory under /sys/fs/bpf" \
		"$XT_STDERR"
	[ ! -e "$XT_TMP/state" ] || xt_fail "status made $XT_TMP/state"
	xt_run env XTAP_PIN_ROOT=relative "$XTAP" status
	xt_assert_eq "a relative root: exit code" 1 "$XT_RC"
	xt_assert_match "a relative root: error" '^xtap: status: XTAP_PIN_ROOT relative: not an absolute path$' \
		"$XT_STDERR"
}

# Attaches and detaches running at once through different spellings of one
# pin root take one lock: each succeeds, and status lists exactly what is
# attached, with its XDP program really on the interface.
test_state_root_spellings_share_one_lock()
{
	local ns i k pids rcs sp names want
	local -a ifs=() spell=()
	st_root
	xt_ns_new ns p
	for i in 0 1 2 3; do
		ifs+=("$(xt_name "v$i")") || exit 1
	done
	xt_veth "$ns" "${ifs[0]}" "$ns" "${ifs[1]}"
	xt_veth "$ns" "${ifs[2]}" "$ns" "${ifs[3]}"
	spell=("$ST_ROOT" "$ST_ROOT/." "${ST_ROOT%/*}//${ST_ROOT##*/}/" "$ST_ROOT//")
	want=$(printf '%s\n' "${ifs[@]}" | sort)
	for ((k = 0; k < 2; k++)); do
		pids=()
		for i in 0 1 2 3; do
			sp=${spell[$(((i + k) % 4))]}
			XTAP_PIN_ROOT=$sp nsenter --net="/run/netns/$ns" -- "$XTAP" attach "${ifs[$i]}" \
				--mode generic >"$XT_TMP/a$i" 2>&1 &
			pids+=($!)
		done
		rcs=
		for i in 0 1 2 3; do wait "${pids[$i]}"; rcs+="$? "; done
		xt_assert_eq "round $k: exit codes of 4 attaches at once ($(cat "$XT_TMP"/a*))" \
			"0 0 0 0 " "$rcs"
		names=$(st_status_names)
		xt_assert_eq "round $k: status after the attaches" "$want" "$names"
		for i in 0 1 2 3; do
			xt_assert_match "round $k: XDP on ${ifs[$i]}" 'prog/xdp id [0-9]+ name xdp_tap' \
				"$(xt_ns "$ns" ip link show dev "${ifs[$i]}")"
		done
		pids=()
		for i in 0 1 2 3; do
			sp=${spell[$(((i + k + 1) % 4))]}
			XTAP_PIN_ROOT=$sp nsenter --net="/run/netns/$ns" -- "$XTAP" detach "${ifs[$i]}" \
				>"$XT_TMP/d$i" 2>&1 &
			pids+=($!)
		done
		rcs=
		for i in 0 1 2 3; do wait "${pids[$i]}"; rcs+="$? "; done
		xt_assert_eq "round $k: exit codes of 4 detaches at once ($(cat "$XT_TMP"/d*))" \
			"0 0 0 0 " "$rcs"
		[ ! -e "$ST_ROOT" ] || xt_fail "round $k: $ST_ROOT still there after the last detach"
		for i in 0 1 2 3; do
			xt_assert_eq "round $k: no XDP on ${ifs[$i]} after detach" "" \
				"$(xt_ns "$ns" ip link show dev "${ifs[$i]}" | grep -o 'prog/xdp.*')"
		done
	done
}

# st_present IF : "true", "false" or "None" (cannot tell) for IF in status -j
# st_is_gone IFACE : status -j lists IFACE as not present
st_is_gone()
{
	[ "$(st_present "$1")" = False ]
}

st_present()
{
	XTAP_PIN_ROOT=$ST_ROOT "$XTAP" status -j | "$XT_PYTHON" -c '
import json, sys
for i in json.load(sys.stdin)["interfaces"]:
    if i["name"] == sys.argv[1]:
        print(i["present"])' "$1"
}

# An interface attached in another namespace is named with its namespace
# when a command here asks for it; interfaces whose namespace was deleted
# show as gone, `detach --stale` removes them, and detaching the last live
# interface removes them with it.
test_state_stale_interfaces()
{
	local nc ns ns2 ic is ic2 is2
	st_root
	xt_ns_new nc c
	xt_ns_new ns s
	ic=$(xt_name c0) is=$(xt_name s0) ic2=$(xt_name c1) is2=$(xt_name s1)
	xt_veth "$nc" "$ic" "$ns" "$is"
	xt_ok "attach $ic" st_in "$nc" attach "$ic" --mode generic
	xt_ok "attach $is" st_in "$ns" attach "$is" --mode generic
	xt_ok "attach lo" st_in "$nc" attach lo --mode generic

	# asked for from the root namespace
	xt_run st_x capture -i "$ic" -w "$XT_TMP/x.pcap"
	xt_assert_eq "capture -i $ic from elsewhere: exit code" 1 "$XT_RC"
	xt_assert_eq "capture -i $ic from elsewhere: error" \
		"xtap: capture: $ic: attached in network namespace $nc, not in this one (run xtap there: nsenter --net=/run/netns/$nc xtap ...)" \
		"$XT_STDERR"
	xt_run st_x detach "$ic"
	xt_assert_eq "detach $ic from elsewhere: exit code" 1 "$XT_RC"
	xt_assert_eq "detach $ic from elsewhere: error" \
		"xtap: detach $ic: attached in network namespace $nc, not in this one (run xtap there: nsenter --net=/run/netns/$nc xtap ...)" \
		"$XT_STDERR"

	ip netns del "$ns" || xt_fail "cannot delete $ns"
	# the kernel tears a namespace down asynchronously: its links go a moment later
	xt_wait_for "$is shown as gone after its namespace went" 10 st_is_gone "$is"
	xt_assert_eq "$is present after its namespace went" False "$(st_present "$is")"
	xt_assert_eq "$ic present after its peer's namespace went" False "$(st_present "$ic")"
	xt_assert_eq "lo present" True "$(st_present lo)"
	xt_run st_x status
	xt_assert_match "status: $is shown as gone" '\(interface gone\)$' "$(grep "^$is " <<<"$XT_STDOUT")"
	xt_ok "detach --stale" st_x detach --stale
	xt_assert_eq "detach --stale's report" \
		"$ic: detached (its interface was gone)"$'\n'"$is: detached (its interface was gone)" \
		"$XT_STDOUT"
	xt_assert_eq "status after detach --stale" lo "$(st_status_names)"

	# again; this time the last live interface takes the stale ones along
	xt_ns_new ns2 t
	xt_veth "$nc" "$ic2" "$ns2" "$is2"
	xt_ok "attach $ic2" st_in "$nc" attach "$ic2" --mode generic
	xt_ok "attach $is2" st_in "$ns2" attach "$is2" --mode generic
	ip netns del "$ns2" || xt_fail "cannot delete $ns2"
	xt_ok "detach lo" st_in "$nc" detach lo
	xt_assert_eq "detach lo's report" \
		"lo: detached"$'\n'"$ic2: detached (its interface was gone)"$'\n'"$is2: detached (its interface was gone)" \
		"$XT_STDOUT"
	[ ! -e "$ST_ROOT" ] || xt_fail "$ST_ROOT still there after the last live interface went"
}

# The command line's own errors: one xtap line (and the usage line), exit 2.
test_state_cli_messages()
{
	st_root
	xt_run st_x detach
	xt_assert_eq "detach with nothing named: exit code" 2 "$XT_RC"
	xt_assert_eq "detach with nothing named: error" \
		"xtap: detach: name the interfaces to detach, or give --all or --stale" \
		"$(head -n 1 <<<"$XT_STDERR")"
	xt_run st_x detach --all --stale
	xt_assert_eq "detach --all --stale: exit code" 2 "$XT_RC"
	xt_run st_x status --bogus
	xt_assert_eq "status --bogus: exit code" 2 "$XT_RC"
	xt_assert_eq "status --bogus: error" "xtap: status: unknown option --bogus"$'\n'"usage: xtap status [-j]" \
		"$XT_STDERR"
	xt_run st_x capture -w
	xt_assert_eq "capture -w: error" "xtap: capture: option -w needs an argument" \
		"$(head -n 1 <<<"$XT_STDERR")"
	# -v before the command
	xt_run st_x -v status
	xt_assert_eq "-v status: exit code" 0 "$XT_RC"
	xt_assert_eq "-v status: output" "xtap is not attached to any interface" "$XT_STDOUT"
	xt_run st_x -q status
	xt_assert_eq "-q status: exit code" 2 "$XT_RC"
	xt_assert_eq "-q status: error" \
		"xtap: unknown option '-q' before the command (only -v, -h and --version go there)" \
		"$(head -n 1 <<<"$XT_STDERR")"
}

# st_exit_of VAR PID : wait up to 5 s for PID (started by xt_bg) to end; VAR
# gets its exit code, or "running"
st_exit_of()
{
	local i
	for ((i = 0; i < 50; i++)); do
		xt_alive "$2" || break
		sleep 0.1
	done
	if xt_alive "$2"; then
		printf -v "$1" running
		return 0
	fi
	wait "$2"
	printf -v "$1" '%s' "$?"
}

# Running capture, export and serve notice that the last detach removed
# their state: one line, exit 1. With --follow, export and serve wait for a
# new attach and go on with it (the flows and metrics of the new state).
test_state_gone_ends_long_running_commands()
{
	local ns ns2 if peer cap exp expf srv srvf port portf gone i rc
	xt_require curl
	st_root
	xt_ns_new ns g
	xt_ns_new ns2 h
	if=$(xt_name g0) peer=$(xt_name g1)
	xt_veth "$ns" "$if" "$ns2" "$peer"
	xt_addr "$ns" "$if" 10.78.0.1/24
	xt_addr "$ns2" "$peer" 10.78.0.2/24
	xt_ok "attach $if" st_in "$ns" attach "$if" --mode generic
	port=$((20000 + ${XT_ID#xt} % 20000)) portf=$((port + 1))
	xt_bg cap "$ns" "$XT_TMP/cap.log" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" capture -i "$if" \
		-w "$XT_TMP/c.pcap"
	xt_bg exp "" "$XT_TMP/exp.log" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" export \
		--json "$XT_TMP/e.jsonl" --interval 1
	xt_bg srv "" "$XT_TMP/srv.log" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" serve \
		--listen "127.0.0.1:$port"
	xt_bg srvf "" "$XT_TMP/srvf.log" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" serve \
		--listen "127.0.0.1:$portf" --follow
	xt_wait_log "capture" "$cap" "$XT_TMP/cap.log" 'listening on'
	xt_wait_log "export" "$exp" "$XT_TMP/exp.log" 'export: '
	xt_wait_log "serve" "$srv" "$XT_TMP/srv.log" 'metrics'
	xt_wait_log "serve --follow" "$srvf" "$XT_TMP/srvf.log" 'metrics'

	xt_ok "detach $if" st_in "$ns" detach "$if"
	gone="the pinned state at $ST_ROOT is gone (the last interface was detached)"
	st_exit_of rc "$cap"
	xt_assert_eq "capture's exit code once its state went" 1 "$rc"
	xt_assert_eq "capture's error" "xtap: capture: $gone" \
		"$(grep '^xtap: capture: the' "$XT_TMP/cap.log")"
	st_exit_of rc "$exp"
	xt_assert_eq "export's exit code once its state went" 1 "$rc"
	xt_assert_eq "export's error" "xtap: export: $gone; --follow waits for a new attach" \
		"$(grep '^xtap: export: the' "$XT_TMP/exp.log")"
	st_exit_of rc "$srv"
	xt_assert_eq "serve's exit code once its state went" 1 "$rc"
	xt_assert_eq "serve's error" "xtap: serve: $gone; --follow waits for a new attach" \
		"$(grep '^xtap: serve: the' "$XT_TMP/srv.log")"
	xt_wait_log "serve --follow waiting" "$srvf" "$XT_TMP/srvf.log" 'waiting for a new attach'

	# a new attach: the follower goes on with it
	xt_ok "attach $peer" st_in "$ns2" attach "$peer" --mode generic
	xt_wait_log "serve --follow going on" "$srvf" "$XT_TMP/srvf.log" 'going on with'

	# one exporter at a time: the one that follows starts now, sees this
	# state go and goes on with the next
	xt_bg expf "" "$XT_TMP/expf.log" env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" export \
		--json "$XT_TMP/ef.jsonl" --interval 1 --active-timeout 1 --follow
	xt_wait_log "export --follow" "$expf" "$XT_TMP/expf.log" 'export: '
	xt_ok "detach $peer" st_in "$ns2" detach "$peer"
	xt_wait_log "export --follow waiting" "$expf" "$XT_TMP/expf.log" 'waiting for a new attach'
	xt_ok "attach $peer again" st_in "$ns2" attach "$peer" --mode generic
	xt_wait_log "export --follow going on" "$expf" "$XT_TMP/expf.log" 'going on with'
	xt_ns "$ns" ping -c 3 -i 0.2 -W 1 -q -I "$if" 10.78.0.2 >/dev/null 2>&1
	for ((i = 0; i < 50; i++)); do
		grep -q '"proto":"icmp",' "$XT_TMP/ef.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	xt_assert_match "export --follow: a flow of the new state" '"type":"flow".*"proto":"icmp",' \
		"$(cat "$XT_TMP/ef.jsonl" 2>/dev/null)"
	xt_assert_match "serve --follow: the new state's interface" "interface=\"$peer\"" \
		"$(curl -s "http://127.0.0.1:$portf/metrics")"
	xt_ok "detach $peer" st_in "$ns2" detach "$peer"
}
