# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The harness itself: a test that fails, or is killed, leaves nothing behind.

# harness_child SCRIPT : sets XT_CHILD to a command that runs bash with lib.sh
# sourced and xt_setup done as test "child", then SCRIPT. SCRIPT writes what it
# made to $XT_CHILD_OUT.
harness_child()
{
	XT_CHILD=(bash -c ". \"\$1\"; xt_setup child; $1" _ "$XT_DIR/lib.sh")
}

# harness_check_gone OUTFILE : everything the child listed is gone. Whatever
# is left is registered here first, so this test's own cleanup removes it.
harness_check_gone()
{
	local id ns_c ns_s pid tmp pin
	read -r id ns_c ns_s pid tmp pin <"$1" || xt_fail "the child test wrote nothing to $1"
	local left=()
	[ -e "/run/netns/$ns_c" ] && { XT_NETNS+=("$ns_c"); left+=("namespace $ns_c"); }
	[ -e "/run/netns/$ns_s" ] && { XT_NETNS+=("$ns_s"); left+=("namespace $ns_s"); }
	xt_alive "$pid" && { XT_PIDS+=("$pid"); left+=("process $pid"); }
	[ -e "$pin" ] && { xt_pin_register "$pin"; left+=("pin $pin"); }
	[ -e "$tmp" ] && { rm -rf -- "$tmp"; left+=("directory $tmp"); }
	[ "${#left[@]}" -eq 0 ] || xt_fail "left behind by $id: ${left[*]}"
}

# shellcheck disable=SC2016 # expanded by the child
harness_script='
	xt_pair
	xt_bg pid "$XT_NS_S" "$XT_TMP/sleep.log" sleep 60
	pin=/sys/fs/bpf/$XT_ID
	mkdir "$pin" && xt_pin_register "$pin"
	echo "$XT_ID $XT_NS_C $XT_NS_S $pid $XT_TMP $pin" >"$XT_CHILD_OUT"'

# A failed assertion names the test and both values, and cleanup still runs.
test_harness_cleans_up_after_failure()
{
	export XT_CHILD_OUT=$XT_TMP/child.out
	harness_child "$harness_script
	xt_assert_eq 'the answer' 42 41"
	xt_run "${XT_CHILD[@]}"
	xt_assert_eq "exit code of a failing test" 1 "$XT_RC"
	# (only the FAIL line: bash may add a job-control warning of its own
	# when a background process was reaped before cleanup waits for it)
	xt_assert_eq "message of a failing test" "FAIL child: the answer: expected '42', got '41'" \
		"$(grep '^FAIL' <<<"$XT_STDERR")"
	harness_check_gone "$XT_CHILD_OUT"
}

# A test stopped by run.sh's timeout (TERM to its process group) cleans up too.
test_harness_cleans_up_on_timeout()
{
	export XT_CHILD_OUT=$XT_TMP/child.out
	harness_child "$harness_script
	sleep 60"
	xt_run timeout -k 5 3 "${XT_CHILD[@]}"
	xt_assert_eq "exit code of timeout" 124 "$XT_RC"
	harness_check_gone "$XT_CHILD_OUT"
}
