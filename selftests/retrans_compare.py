#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Compare xtap replay's TCP retransmissions with tshark's.

    retrans_compare.py [--histograms] PCAP XTAP_JSON

XTAP_JSON is `xtap replay -r PCAP -j`. Per flow and direction, xtap's
retransmits_ab / retransmits_ba must equal the number of frames tshark marks
tcp.analysis.retransmission (which its fast and spurious retransmissions
carry too). With --histograms, replay's "latency" must also hold one
handshake per flow in its server's histogram, and every passive-RTT sample
of the client's timestamps in the server's rtt histogram (at least one).

Prints "flows N, client C, server S" (retransmissions from the clients and
the servers, the initiators being the clients); exit 0 on agreement with at
least one flow, 1 on any difference (each on stderr), 2 when tshark fails.
"""
import argparse
import collections
import ipaddress
import json
import subprocess
import sys


def ep(addr, port):
    return (ipaddress.ip_address(addr).compressed, int(port))


def tshark_counts(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=/t", "-E",
           "occurrence=f", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst",
           "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.analysis.retransmission", "-Y", "tcp"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        print("retrans_compare: tshark: %s" % r.stderr.strip()[-300:], file=sys.stderr)
        sys.exit(2)
    want, convs = collections.Counter(), set()
    for line in r.stdout.splitlines():
        c = line.split("\t")
        if len(c) < 7 or not c[2]:
            continue
        src, dst = ep(c[0] or c[1], c[2]), ep(c[3] or c[4], c[5])
        convs.add(frozenset((src, dst)))
        if c[6]:
            want[(src, dst)] += 1
    return want, convs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--histograms", action="store_true")
    ap.add_argument("pcap")
    ap.add_argument("xtap_json")
    args = ap.parse_args()
    want, convs = tshark_counts(args.pcap)
    doc = json.load(open(args.xtap_json))
    flows = [f for f in doc["flows"] if f["proto"] == "tcp"]
    bad, total = [], collections.Counter()
    if len(flows) != len(convs) or not flows:
        bad.append("xtap has %d TCP flows, tshark %d conversations" % (len(flows), len(convs)))
    hist = {(h["service"]["addr"], h["service"]["port"], h["kind"]): h["count"]
            for h in doc.get("latency", [])}
    for f in flows:
        a, b = ep(f["a"]["addr"], f["a"]["port"]), ep(f["b"]["addr"], f["b"]["port"])
        client = a if f["initiator"] == "a" else b
        for src, dst, got in ((a, b, f["retransmits_ab"]), (b, a, f["retransmits_ba"])):
            total["client" if src == client else "server"] += got
            if got != want[(src, dst)]:
                bad.append("%s -> %s: xtap %d retransmits, tshark %d"
                           % (src, dst, got, want[(src, dst)]))
        if not args.histograms:
            continue
        srv, cli = ("b", "ab") if f["initiator"] == "a" else ("a", "ba")
        svc = (f[srv]["addr"], f[srv]["port"])
        if hist.get(svc + ("handshake",)) != 1:
            bad.append("%s: handshake histogram count %s, want 1"
                       % (svc, hist.get(svc + ("handshake",))))
        samples = f["rtt_samples_" + cli]
        if not samples or hist.get(svc + ("rtt",)) != samples:
            bad.append("%s: rtt histogram count %s, the flow's client samples %d"
                       % (svc, hist.get(svc + ("rtt",)), samples))
    for m in bad:
        print(m, file=sys.stderr)
    print("flows %d, client %d, server %d" % (len(flows), total["client"], total["server"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
