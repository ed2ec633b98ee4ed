#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# What `make install` and the package ship, checked without root or traffic:
# --version, the man page and the bash completion against the option tables,
# make install/uninstall, the systemd units (systemd-analyze verify), the
# Prometheus rules (promtool check/test) and the Grafana dashboard.
#
#   XTAP=build/xtap BUILD=build tests/deploy/run.sh [NAME...]
#
# Prints `N passed, N failed` last and exits 1 when a check failed.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${BUILD:=$TOP/build}"
: "${XTAP:=$BUILD/xtap}"
TMP=$(mktemp -d /tmp/xtap-deploy.XXXXXX) || exit 1
trap 'rm -rf -- "$TMP"' EXIT
passed=0 failed=0

fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; return 1; }

# The commands, and each command's long and short options, as --help shows them.
commands() { "$XTAP" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p'; }
options() { "$XTAP" "$1" --help | sed -n 's/^  \(-[a-zA-Z]\), --\([a-z0-9-]*\).*/\1\n--\2/p; s/^      --\([a-z0-9-]*\).*/--\1/p'; }

check_version()
{
	local want abi
	want=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version | sed 's/-[^-]*$//')
	abi=$(sed -n 's/^#define XTAP_ABI_VERSION \([0-9]\+\)$/\1/p' "$TOP/maps/xtap.h")
	[ -n "$want" ] && [ -n "$abi" ] || { fail "no version in debian/changelog or maps/xtap.h"; return; }
	[ "$("$XTAP" --version)" = "xtap $want (ABI $abi)" ] ||
		fail "--version says '$("$XTAP" --version)', want 'xtap $want (ABI $abi)'"
}

# The page renders without a warning and names every command and option.
check_man()
{
	local page=$TMP/xtap.txt c o bad=0 warn
	"$XTAP" --man | cmp -s - "$BUILD/xtap.8" || { fail "$BUILD/xtap.8 is not what xtap --man prints"; return; }
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings=w -l "$BUILD/xtap.8" 2>&1 >"$page")
	[ -z "$warn" ] || { fail "man warns: $warn"; return; }
	grep -q '^NAME' "$page" && grep -q 'xtap - kernel-side packet tracing' "$page" ||
		{ fail "no NAME section"; return; }
	for c in $(commands); do
		grep -Eq "^   $c\$" "$page" || { fail "no section for command $c"; bad=1; }
		# the command's section, up to the next command's
		sed -n "/^   $c\$/,/^   [a-z]*\$/p" "$page" >"$TMP/sec"
		for o in $(options "$c"); do
			grep -Eq -- "(^|[ ,[])$o( |,|\$)" "$TMP/sec" || { fail "$c: option $o not in the page"; bad=1; }
		done
	done
	grep -q -- '--version' "$page" || { fail "--version not in the page"; bad=1; }
	return $bad
}

# comp LINE : the completions bash offers for LINE (the last word being completed)
comp()
{
	bash -c '
		. "$1"
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_WORDS[0]=$3
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_xtap
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$BUILD/xtap.bash" "$2" "$1"
}

# expect_comp WHAT XTAP LINE WANT
expect_comp()
{
	local got
	got=$(comp "$2" "$3" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$4" ] || fail "$1: '$3' completes to '$got', want '$4'"
}

check_completion()
{
	local stub=$TMP/xtap-stub c bad=0 want got
	"$XTAP" --bash-completion | cmp -s - "$BUILD/xtap.bash" || { fail "$BUILD/xtap.bash differs"; return; }
	[ "$(bash -c '. "$1"; complete -p xtap' _ "$BUILD/xtap.bash")" = "complete -F _xtap xtap" ] ||
		{ fail "complete -p xtap does not name _xtap"; return; }
	# a stand-in for `xtap status -j` with two attached interfaces
	printf '#!/bin/sh\n[ "$1" = status ] && echo '\''{"interfaces": [{"slot": 0, "name": "eth7", "ifindex": 9}, {"slot": 1, "name": "veth-a", "ifindex": 11}]}'\''\n' >"$stub"
	chmod +x "$stub"
	want=$(commands | sort | tr '\n' ' ')
	got=$(comp "$XTAP" "xtap " | grep -v '^--' | tr '\n' ' ')
	[ "$got" = "$want" ] || { fail "commands: '$got', want '$want'"; bad=1; }
	expect_comp "command prefix" "$XTAP" "xtap ca" "capture" || bad=1
	expect_comp "version" "$XTAP" "xtap --ver" "--version" || bad=1
	expect_comp "sort keys" "$XTAP" "xtap flows --sort " "age bytes packets rate" || bad=1
	expect_comp "sort key prefix" "$XTAP" "xtap flows -j --sort p" "packets" || bad=1
	expect_comp "latency kinds" "$XTAP" "xtap latency --kind " "dns handshake http rtt tls tls-data" || bad=1
	expect_comp "replay hook" "$XTAP" "xtap replay --hook tc" "tc-egress tc-ingress" || bad=1
	expect_comp "capture hook" "$XTAP" "xtap capture --hook " "all tc-egress tc-ingress xdp" || bad=1
	expect_comp "attach hooks, a list" "$XTAP" "xtap attach --hooks xdp,tc-e" "xdp,tc-egress" || bad=1
	expect_comp "attach mode" "$XTAP" "xtap attach --mode n" "native" || bad=1
	expect_comp "attach tc" "$XTAP" "xtap attach --tc " "auto clsact tcx" || bad=1
	expect_comp "no words for a number" "$XTAP" "xtap attach --flows " "" || bad=1
	expect_comp "detach: attached interfaces" "$stub" "xtap detach " "eth7 veth-a" || bad=1
	expect_comp "capture -i: attached interfaces" "$stub" "xtap capture -i v" "veth-a" || bad=1
	want=$(ls /sys/class/net | sort | tr '\n' ' ' | sed 's/ $//')
	expect_comp "attach: interfaces" "$stub" "xtap attach " "$want" || bad=1
	mkdir -p "$TMP/cw" && touch "$TMP/cw/one.pcap" "$TMP/cw/two.pcap"
	got=$(cd "$TMP/cw" && comp "$XTAP" "xtap capture -w o" | tr '\n' ' ')
	[ "$got" = "one.pcap " ] || { fail "capture -w o completes to '$got'"; bad=1; }
	# every option of every command, and nothing else
	for c in $(commands); do
		want=$( (options "$c"; echo --help) | sort | tr '\n' ' ')
		got=$(comp "$XTAP" "xtap $c -" | tr '\n' ' ')
		[ "$got" = "$want" ] || { fail "$c options: '$got', want '$want'"; bad=1; }
	done
	return $bad
}

# install, then uninstall: the files where they belong, then none left;
# an edited /etc/default/xtap is neither overwritten nor removed.
check_install()
{
	local d=$TMP/dest f want got
	make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr EXTCAPDIR=/usr/lib/wireshark/extcap >"$TMP/log" 2>&1 || { fail "make install: $(tail -3 "$TMP/log")"; return; }
	want="etc/default/xtap
usr/lib/systemd/system/xtap-attach@.service
usr/lib/systemd/system/xtap-export.service
usr/lib/systemd/system/xtap-serve.service
usr/lib/wireshark/extcap/xtap-extcap
usr/sbin/xtap
usr/share/bash-completion/completions/xtap
usr/share/man/man8/xtap.8
usr/share/xtap/grafana/xtap.json
usr/share/xtap/prometheus/xtap.rules.yml"
	got=$(cd "$d" && find . -type f | sed 's|^\./||' | sort)
	[ "$got" = "$want" ] || { fail "installed files:"$'\n'"$got"; return; }
	[ -x "$d/usr/sbin/xtap" ] && [ "$("$d/usr/sbin/xtap" --version)" = "$("$XTAP" --version)" ] ||
		{ fail "installed xtap --version"; return; }
	grep -qx 'ExecStart=/usr/sbin/xtap serve --listen ${XTAP_SERVE_LISTEN}' \
		"$d/usr/lib/systemd/system/xtap-serve.service" || { fail "serve unit's ExecStart"; return; }
	echo 'XTAP_SERVE_LISTEN="0.0.0.0:9477"' >>"$d/etc/default/xtap"
	cp "$d/etc/default/xtap" "$TMP/edited"
	make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr EXTCAPDIR=/usr/lib/wireshark/extcap >"$TMP/log" 2>&1 || { fail "make install again"; return; }
	cmp -s "$d/etc/default/xtap" "$TMP/edited" || { fail "install overwrote an edited /etc/default/xtap"; return; }
	make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr EXTCAPDIR=/usr/lib/wireshark/extcap >"$TMP/log" 2>&1 || { fail "make uninstall"; return; }
	got=$(cd "$d" && find . -type f | sed 's|^\./||')
	[ "$got" = "etc/default/xtap" ] || { fail "left after uninstall: $got"; return; }
	rm "$d/etc/default/xtap"
	make -s -C "$TOP" install DESTDIR="$d" >"$TMP/log" 2>&1 &&
		make -s -C "$TOP" uninstall DESTDIR="$d" >"$TMP/log" 2>&1 || { fail "PREFIX=/usr/local"; return; }
	[ -z "$(find "$d" -type f)" ] || { fail "left after uninstall: $(find "$d" -type f)"; return; }
}

# systemd-analyze verify on the units as installed under a prefix where
# their binary and man page exist; no message at all is allowed.
check_units()
{
	local p=$TMP/prefix out u
	command -v systemd-analyze >/dev/null || { fail "no systemd-analyze"; return; }
	make -s -C "$TOP" install PREFIX="$p" SYSCONFDIR="$p/etc" EXTCAPDIR="$p/extcap" >"$TMP/log" 2>&1 || { fail "make install: $(tail -3 "$TMP/log")"; return; }
	u=$p/lib/systemd/system
	cp "$u/xtap-attach@.service" "$TMP/xtap-attach@eth0.service"
	out=$(cd "$TMP" && MANPATH=$p/share/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
		./xtap-attach@eth0.service "$u/xtap-export.service" "$u/xtap-serve.service" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ] || { fail "systemd-analyze verify:"$'\n'"$out"; return; }
	# what the units may do: checked as written, so an edit shows here
	grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON' "$u/xtap-attach@.service" &&
		grep -qx 'CapabilityBoundingSet=CAP_BPF' "$u/xtap-serve.service" &&
		grep -qx 'CapabilityBoundingSet=CAP_BPF' "$u/xtap-export.service" ||
		{ fail "capability sets of the units"; return; }
	for f in "$u"/xtap-*; do
		grep -qx 'NoNewPrivileges=yes' "$f" && grep -qx 'ProtectSystem=strict' "$f" &&
			grep -qx "EnvironmentFile=-$p/etc/default/xtap" "$f" || { fail "$f: hardening"; return; }
	done
}

check_rules()
{
	local r=$TOP/dist/prometheus
	command -v promtool >/dev/null || { fail "no promtool"; return; }
	promtool check rules "$r/xtap.rules.yml" >"$TMP/log" 2>&1 || { fail "$(cat "$TMP/log")"; return; }
	(cd "$r" && promtool test rules xtap.rules.test.yml) >"$TMP/log" 2>&1 || { fail "$(cat "$TMP/log")"; return; }
	# every alert has a test
	local a
	for a in $(sed -n 's/^ *- alert: //p' "$r/xtap.rules.yml"); do
		grep -q "alertname: $a\$" "$r/xtap.rules.test.yml" || { fail "alert $a has no test"; return; }
	done
}

check_dashboard()
{
	python3 - "$TOP/dist/grafana/xtap.json" <<'EOF' || fail "dashboard"
import json, sys
d = json.load(open(sys.argv[1]))
panels = [p for p in d["panels"] if p["type"] != "row"]
exprs = [t["expr"] for p in panels for t in p["targets"]]
assert d["uid"] == "xtap" and panels and all(exprs), "panels without queries"
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids repeat"
for want in ("xtap_packets_total", "xtap_malformed_packets_total", "xtap_flow_table_evictions_total",
             "xtap_flow_table_entries", "xtap_latency_seconds_bucket"):
    assert any(want in e for e in exprs), "no panel on " + want
assert any(p["type"] == "heatmap" for p in panels), "no latency heatmap"
EOF
}

checks=(check_version check_man check_completion check_install check_units check_rules check_dashboard)
for T in "${checks[@]}"; do
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$T"; then continue; fi
	if "$T"; then
		echo "ok   $T"
		passed=$((passed + 1))
	else
		echo "FAIL $T"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
