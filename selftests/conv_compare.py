#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Compare xtap replay's TCP and UDP flows with tshark's conversations.

    conv_compare.py [options] PCAP XTAP_JSON

XTAP_JSON is the output of `xtap replay -r PCAP -j`. tshark is asked twice:

1. `tshark -q -z conv,tcp -z conv,udp`: its conversation table is the
   reference for which conversations exist and how many frames each direction
   has. Its byte columns are rounded once they reach 10000 ("301 kB").
2. `tshark -T fields` with frame.len and the outer addresses, ports and VLAN
   of every frame whose first IP header carries TCP or UDP directly: exact
   bytes per direction, and the outer VLAN ID (802.1ad or 802.1Q) that xtap
   keys flows by (the conversation table does not).

The two tshark views are checked against each other first (same
conversations, same frames, bytes equal or within the table's rounding), so
a misreading of either shows up as an error rather than as agreement. Then
the per-VLAN, per-direction packets and bytes are compared with xtap's flows.

Exit status: 0 agreement, 1 mismatch (each difference on its own line, the
last line "mismatch: N differences"), 2 usage or tshark trouble.

--mutate KIND alters the tshark expectation before the comparison (bytes,
packets, swap, drop, extra, port), so a test can prove the comparison fails.
--exclude-port0 leaves out xtap flows whose two ports are 0: the non-first
IPv4 fragments, which xtap counts in a flow of their own while tshark, run
with -o ip.defragment:FALSE, counts them in no TCP/UDP conversation.
"""
import argparse
import ipaddress
import json
import re
import subprocess
import sys

FIELDS = ["frame.number", "frame.len", "frame.protocols", "vlan.id", "ieee8021ad.id",
          "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]

ROW = re.compile(r"^(?P<a>\S+)\s+<->\s+(?P<b>\S+)\s+"
                 r"(?P<f_ba>[\d,]+)\s+(?P<b_ba>[\d,]+ \S+)\s+"
                 r"(?P<f_ab>[\d,]+)\s+(?P<b_ab>[\d,]+ \S+)\s+"
                 r"(?P<f_t>[\d,]+)\s+(?P<b_t>[\d,]+ \S+)\s+[\d.]+\s+[\d.]+\s*$")
UNITS = {"bytes": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


class Trouble(Exception):
    """tshark failed or its output could not be read: exit 2."""


def norm_addr(a):
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        raise Trouble(f"not an IP address: {a!r}")


def endpoint(addr, port):
    return (norm_addr(addr), int(port))


def ep_str(ep):
    addr, port = ep
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


class Conv:
    """Packets and bytes per direction of one conversation."""

    def __init__(self, proto, vlan, a, b):
        self.proto, self.vlan = proto, vlan
        self.eps = tuple(sorted((a, b)))          # canonical order
        self.dirs = {(self.eps[0], self.eps[1]): [0, 0], (self.eps[1], self.eps[0]): [0, 0]}

    def add(self, src, dst, pkts, nbytes):
        d = self.dirs[(src, dst)]
        d[0] += pkts
        d[1] += nbytes

    def describe(self):
        s = f"{self.proto} {ep_str(self.eps[0])} <-> {ep_str(self.eps[1])}"
        return s + (f" vlan {self.vlan}" if self.vlan is not None else "")

    def counts(self):
        (x, y) = self.eps
        p1, b1 = self.dirs[(x, y)]
        p2, b2 = self.dirs[(y, x)]
        return (f"{ep_str(x)} -> {ep_str(y)}: {p1} packets {b1} bytes; "
                f"{ep_str(y)} -> {ep_str(x)}: {p2} packets {b2} bytes")


def key_of(proto, vlan, a, b):
    return (proto, vlan) + tuple(sorted((a, b)))


def add_to(table, proto, vlan, src, dst, pkts, nbytes):
    k = key_of(proto, vlan, src, dst)
    if k not in table:
        table[k] = Conv(proto, vlan, src, dst)
    table[k].add(src, dst, pkts, nbytes)


def run_tshark(pcap, prefs, extra):
    cmd = ["tshark", "-n", "-r", pcap]
    for p in prefs:
        cmd += ["-o", p]
    cmd += extra
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Trouble(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    return r.stdout


def parse_size(s):
    num, unit = s.split()
    if unit not in UNITS:
        raise Trouble(f"unknown byte unit in tshark's table: {s!r}")
    return int(num.replace(",", "")), UNITS[unit]


def split_ep(s):
    addr, sep, port = s.rpartition(":")     # IPv6 addresses contain colons
    if not sep or not port.isdigit():
        raise Trouble(f"tshark endpoint without a numeric port: {s!r}")
    return endpoint(addr, port)


def table_convs(pcap, prefs):
    """tshark's conversation table: {key: (Conv, {(src,dst): [(value, unit)...]})}."""
    out = run_tshark(pcap, prefs, ["-q", "-z", "conv,tcp", "-z", "conv,udp"])
    convs, proto, seen = {}, None, set()
    for line in out.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
            seen.add(proto)
        elif line.startswith("UDP Conversations"):
            proto = "udp"
            seen.add(proto)
        elif "<->" in line:
            m = ROW.match(line)
            if not m or proto is None:
                raise Trouble(f"cannot read tshark conversation row: {line!r}")
            a, b = split_ep(m["a"]), split_ep(m["b"])
            # the "<-" columns come first and count frames from B to A
            f_ab, f_ba = int(m["f_ab"].replace(",", "")), int(m["f_ba"].replace(",", ""))
            k = key_of(proto, None, a, b)
            if k not in convs:
                convs[k] = (Conv(proto, None, a, b), {})
            conv, sizes = convs[k]
            conv.add(a, b, f_ab, 0)
            conv.add(b, a, f_ba, 0)
            # a pair seen in two rows (a reused port) is one flow in xtap
            for d, sz in (((a, b), m["b_ab"]), ((b, a), m["b_ba"])):
                sizes.setdefault(d, []).append(parse_size(sz))
    if seen != {"tcp", "udp"}:
        raise Trouble(f"tshark printed no TCP and UDP conversation tables:\n{out[:500]}")
    return convs


def field_convs(pcap, prefs):
    """Exact per-direction counts from tshark's per-frame fields, by VLAN."""
    extra = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for f in FIELDS:
        extra += ["-e", f]
    convs = {}
    for line in run_tshark(pcap, prefs, extra).splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if len(v) != len(FIELDS):
            raise Trouble(f"short tshark field line: {line!r}")
        layers = v["frame.protocols"].split(":")
        l3 = next((i for i, p in enumerate(layers) if p in ("ip", "ipv6")), None)
        if l3 is None:
            continue
        rest = [p for p in layers[l3 + 1:] if not p.startswith("ipv6.")]
        if not rest or rest[0] not in ("tcp", "udp"):
            continue            # not TCP/UDP right behind the outer IP header
        proto = rest[0]
        fam = "ip" if layers[l3] == "ip" else "ipv6"
        src = endpoint(v[f"{fam}.src"], v[f"{proto}.srcport"])
        dst = endpoint(v[f"{fam}.dst"], v[f"{proto}.dstport"])
        # the outer tag: 802.1ad (ieee8021ad) or 802.1Q (vlan), whichever is first
        tags = [p for p in layers[:l3] if p in ("vlan", "ieee8021ad")]
        vlan = int(v[f"{tags[0]}.id"]) if tags else 0
        add_to(convs, proto, vlan, src, dst, 1, int(v["frame.len"]))
    return convs


def tshark_expectation(pcap, prefs):
    """Per-VLAN conversations from the fields, checked against the table."""
    table = table_convs(pcap, prefs)
    fields = field_convs(pcap, prefs)
    merged = {}                                   # fields, VLANs summed
    for c in fields.values():
        for (s, d), (p, b) in c.dirs.items():
            add_to(merged, c.proto, None, s, d, p, b)
    problems = []
    for k in sorted(set(table) | set(merged)):
        if k not in merged:
            problems.append(f"only in tshark's table: {table[k][0].describe()}")
            continue
        if k not in table:
            problems.append(f"only in tshark's fields: {merged[k].describe()}")
            continue
        conv, sizes = table[k]
        for d, (p, b) in merged[k].dirs.items():
            tp = conv.dirs[d][0]
            # "N kB" is N * 1000 rounded down or to nearest: accept both
            lo = sum(v * u - u // 2 for v, u in sizes[d])
            hi = sum(v * u + (u - 1 if u > 1 else 0) for v, u in sizes[d])
            if tp != p or not lo <= b <= hi:
                shown = " + ".join(f"{v} x {u}" if u > 1 else str(v) for v, u in sizes[d])
                problems.append(f"{conv.describe()}: {ep_str(d[0])} -> {ep_str(d[1])}: table "
                                f"{tp} frames {shown} bytes, fields {p} frames {b} bytes")
    if problems:
        raise Trouble("tshark's conversation table and its fields disagree:\n  "
                      + "\n  ".join(problems))
    return fields, len(table)


def xtap_flows(path, exclude_port0):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise Trouble(f"{path}: {e}")
    flows = {}
    for fl in doc.get("flows", []):
        if fl["proto"] not in ("tcp", "udp"):
            continue
        a = endpoint(fl["a"]["addr"], fl["a"]["port"])
        b = endpoint(fl["b"]["addr"], fl["b"]["port"])
        if exclude_port0 and a[1] == 0 and b[1] == 0:
            continue
        vlan = int(fl["vlan"])
        k = key_of(fl["proto"], vlan, a, b)
        if k in flows:
            raise Trouble(f"xtap reports {flows[k].describe()} twice")
        flows[k] = Conv(fl["proto"], vlan, a, b)
        flows[k].add(a, b, fl["packets_ab"], fl["bytes_ab"])
        flows[k].add(b, a, fl["packets_ba"], fl["bytes_ba"])
    return flows


def mutate(expect, kind):
    """Alter the expectation in one place; returns what was altered."""
    if not expect:
        raise Trouble("nothing to mutate: tshark found no conversations")
    keys = sorted(expect)
    c = expect[keys[0]]
    (x, y) = c.eps
    if kind == "bytes":
        c.dirs[(x, y)][1] += 1
    elif kind == "packets":
        c.dirs[(y, x)][0] += 1
    elif kind == "swap":
        asym = [k for k in keys if expect[k].dirs[expect[k].eps] !=
                expect[k].dirs[expect[k].eps[::-1]]]
        if not asym:
            raise Trouble("no asymmetric conversation to swap")
        c = expect[asym[0]]
        (x, y) = c.eps
        c.dirs[(x, y)], c.dirs[(y, x)] = c.dirs[(y, x)], c.dirs[(x, y)]
    elif kind == "drop":
        del expect[keys[0]]
    elif kind == "extra":
        a, b = endpoint("10.255.255.1", 1), endpoint("10.255.255.2", 2)
        add_to(expect, "udp", 0, a, b, 1, 60)
        c = expect[key_of("udp", 0, a, b)]
    elif kind == "port":
        del expect[keys[0]]
        x2 = (x[0], (x[1] + 1) % 65536)
        for (s, d), (p, b) in c.dirs.items():
            add_to(expect, c.proto, c.vlan, x2 if s == x else s, x2 if d == x else d, p, b)
        c = expect[key_of(c.proto, c.vlan, x2, y)]
    return c.describe()


def compare(expect, got):
    diffs = []
    for k in sorted(set(expect) | set(got), key=str):
        if k not in got:
            diffs.append(f"missing in xtap: {expect[k].describe()}: tshark {expect[k].counts()}")
        elif k not in expect:
            diffs.append(f"only in xtap: {got[k].describe()}: xtap {got[k].counts()}")
        elif expect[k].dirs != got[k].dirs:
            diffs.append(f"differs: {expect[k].describe()}:\n    tshark {expect[k].counts()}"
                         f"\n    xtap   {got[k].counts()}")
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("xtap_json")
    ap.add_argument("-o", dest="prefs", action="append", default=[], metavar="PREF:VALUE",
                    help="a tshark preference, passed as -o (repeatable)")
    ap.add_argument("--exclude-port0", action="store_true",
                    help="leave out xtap flows whose two ports are 0 (later IPv4 fragments)")
    ap.add_argument("--mutate", choices=["bytes", "packets", "swap", "drop", "extra", "port"],
                    help="alter the tshark expectation first (the comparison must then fail)")
    ap.add_argument("--min", type=int, default=1, metavar="N",
                    help="fail unless tshark finds at least N conversations (default 1)")
    args = ap.parse_args()
    try:
        expect, n_table = tshark_expectation(args.pcap, args.prefs)
        got = xtap_flows(args.xtap_json, args.exclude_port0)
        if n_table < args.min:
            raise Trouble(f"tshark found {n_table} conversations, fewer than {args.min}")
        if args.mutate:
            print(f"mutated ({args.mutate}): {mutate(expect, args.mutate)}")
    except Trouble as e:
        print(f"conv_compare: {args.pcap}: {e}", file=sys.stderr)
        return 2
    diffs = compare(expect, got)
    for d in diffs:
        print(d)
    if diffs:
        print(f"mismatch: {len(diffs)} difference{'' if len(diffs) == 1 else 's'}")
        return 1
    n = {p: sum(1 for k in expect if k[0] == p) for p in ("tcp", "udp")}
    print(f"agree: {len(expect)} conversations (tcp {n['tcp']}, udp {n['udp']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
