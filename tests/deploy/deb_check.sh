#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The Debian package as a user gets it: lintian without errors, then
# `apt-get install ./xtap_*.deb`, the installed xtap --version, man xtap,
# bash completion, the units (systemd-analyze verify) and a replay through
# the embedded programs; then the package is purged again. Root.
#
#   tests/deploy/deb_check.sh DIR [PCAP]    (DIR holds the .deb; make deb-check)
set -u
DIR=$1
PCAP=${2:-}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fail() { echo "FAIL deb-check: $*" >&2; exit 1; }

deb=$(ls "$DIR"/xtap_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no xtap_*.deb in $DIR"
[ "$(id -u)" = 0 ] || fail "needs root (it installs the package)"
if dpkg-query -W -f='${Status}' xtap 2>/dev/null | grep -q 'install ok installed'; then
	fail "a package xtap is installed already; this check installs and purges its own"
fi
want="xtap $(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version | sed 's/-[^-]*$//') (ABI $(sed -n 's/^#define XTAP_ABI_VERSION \([0-9]\+\)$/\1/p' "$TOP/maps/xtap.h"))"

lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$deb" >"$DIR/lintian.log" 2>&1 ||
	fail "lintian: $(grep -v 'root privileges' "$DIR/lintian.log")"
echo "ok   lintian: $(grep -vc 'root privileges' "$DIR/lintian.log") messages"

trap 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 xtap >/dev/null 2>&1' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$(readlink -f "$deb")" \
	>"$DIR/install.log" 2>&1 || fail "apt-get install: $(tail -5 "$DIR/install.log")"
echo "ok   apt-get install ./$(basename "$deb")"

[ "$(command -v xtap)" = /usr/sbin/xtap ] || fail "xtap is not /usr/sbin/xtap: $(command -v xtap)"
got=$(/usr/sbin/xtap --version) || fail "xtap --version failed"
[ "$got" = "$want" ] || fail "xtap --version: '$got', want '$want'"
echo "ok   $got"

[ "$(man -w xtap)" = /usr/share/man/man8/xtap.8.gz ] || fail "man -w xtap: $(man -w xtap 2>&1)"
page=$(MANWIDTH=100 man xtap 2>&1) || fail "man xtap: $page"
for c in attach detach status flows capture export serve replay; do
	grep -q "^   $c\$" <<<"$page" || fail "man xtap has no section for $c"
done
echo "ok   man xtap"

comp=$(bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader xtap; complete -p xtap' 2>&1)
[ "$comp" = "complete -F _xtap xtap" ] || fail "bash-completion does not load xtap's: $comp"
echo "ok   bash completion"

out=$(MANPATH=/usr/share/man systemd-analyze verify /lib/systemd/system/xtap-serve.service \
	/lib/systemd/system/xtap-export.service 2>&1) && [ -z "$out" ] || fail "systemd-analyze verify: $out"
[ -r /etc/default/xtap ] || fail "no /etc/default/xtap"
echo "ok   units and /etc/default/xtap"

# Wireshark's extcap folder holds xtap-extcap, and tshark lists it
ext=$(dpkg -L xtap | grep -m1 '/wireshark/extcap/xtap-extcap$') || fail "no xtap-extcap in the package"
"$ext" --extcap-interfaces | grep -q '^interface {value=xtap}' || fail "$ext --extcap-interfaces lists no xtap"
tshark -D 2>/dev/null | grep -q 'xtap' || fail "tshark -D does not list xtap"
echo "ok   $ext, listed by tshark -D"

if [ -n "$PCAP" ]; then
	out=$(XTAP_PIN_ROOT=/sys/fs/bpf/xtap-debcheck /usr/sbin/xtap replay -r "$PCAP" -j 2>&1) ||
		fail "installed xtap replay: $out"
	grep -q '"flows"' <<<"$out" || fail "installed xtap replay printed no flows"
	echo "ok   xtap replay with the embedded programs"
fi

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 xtap >/dev/null 2>&1 ||
	fail "apt-get purge xtap"
trap - EXIT
[ ! -e /usr/sbin/xtap ] && [ ! -e /etc/default/xtap ] || fail "files left after purge"
echo "ok   purged"
echo "deb-check passed"
