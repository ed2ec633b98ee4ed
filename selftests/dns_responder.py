#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A tiny authoritative DNS responder for the selftests (stdlib only).

Listens on UDP [::]:PORT (IPv4 too, through a dual-stack socket), answers
A queries for the names given with --answer NAME=ADDR, says NXDOMAIN for
other names and "no data" for other types of a known name. --delay SECONDS
waits that long before each answer; --ignore NAME never answers NAME.
Prints "ready" once it is bound, and one line per query it answered.
"""
import argparse
import signal
import socket
import struct
import sys
import time

QR, AA = 0x8000, 0x0400
RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 1, 3, 4
TYPE_A, CLASS_IN = 1, 1


def read_name(msg, off):
    """Returns (lower-case name without the final dot, offset after it)."""
    labels = []
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        if n & 0xC0:
            raise ValueError("compressed name in a question")
        if off + n > len(msg):
            raise ValueError("label runs past the message")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def respond(query, answers):
    """The response to one query message, or None to stay silent."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & QR:
        return None
    rd = flags & 0x0100
    opcode = (flags >> 11) & 0xF
    if opcode != 0 or qdcount != 1:
        rcode = RCODE_NOTIMP if opcode else RCODE_FORMERR
        return struct.pack("!HHHHHH", qid, QR | (opcode << 11) | rd | rcode, 0, 0, 0, 0)
    try:
        name, off = read_name(query, 12)
    except ValueError:
        return struct.pack("!HHHHHH", qid, QR | rd | RCODE_FORMERR, 0, 0, 0, 0)
    if off + 4 > len(query):
        return struct.pack("!HHHHHH", qid, QR | rd | RCODE_FORMERR, 0, 0, 0, 0)
    qtype, qclass = struct.unpack("!HH", query[off:off + 4])
    question = query[12:off + 4]
    rrs = b""
    rcode = 0
    if name not in answers:
        rcode = RCODE_NXDOMAIN
    elif qtype == TYPE_A and qclass == CLASS_IN:
        # a pointer to the name in the question (offset 12)
        rrs = struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, 60, 4) + answers[name]
    header = struct.pack("!HHHHHH", qid, QR | AA | rd | rcode, 1, 1 if rrs else 0, 0, 0)
    return header + question + rrs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--answer", action="append", default=[], metavar="NAME=ADDR")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    ap.add_argument("--ignore", action="append", default=[], metavar="NAME")
    args = ap.parse_args()
    ignore = {n.rstrip(".").lower() for n in args.ignore}
    answers = {}
    for a in args.answer:
        name, _, addr = a.partition("=")
        answers[name.rstrip(".").lower()] = socket.inet_aton(addr)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", args.port))
    print("ready", flush=True)
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            if read_name(query, 12)[0] in ignore:
                print(f"ignored {peer[0]} port {peer[1]}", flush=True)
                continue
        except ValueError:
            pass
        resp = respond(query, answers)
        if resp is not None and args.delay > 0:
            time.sleep(args.delay)
        if resp is not None:
            sock.sendto(resp, peer)
            print(f"answered {peer[0]} port {peer[1]}", flush=True)


if __name__ == "__main__":
    main()
