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

# st_x CMD... : xtap on this test's pin root, output captured by xt_run
st_x() { xt_run env XTAP_PIN_ROOT="$ST_ROOT" "$XTAP" "$@"; }

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
