#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""BIG TCP helpers for the selftests.

  bigtcp.py ipv4-max DEV SIZE   set IFLA_GSO_IPV4_MAX_SIZE and IFLA_GRO_IPV4_MAX_SIZE
                                over rtnetlink (iproute2 before 6.3 cannot)
  bigtcp.py sink ADDR PORT      accept one connection, read it to the end, print
                                "bytes N segs_in S": bytes read, segments in (TCP_INFO)
  bigtcp.py send ADDR PORT N    connect, send N bytes, wait for the sink to close,
                                print "sent N bytes_sent B": B counts retransmissions
"""
import os
import socket
import struct
import sys

RTM_NEWLINK = 16
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
IFLA_GSO_IPV4_MAX_SIZE, IFLA_GRO_IPV4_MAX_SIZE = 63, 64
# struct tcp_info (linux/tcp.h): tcpi_segs_in at 140; tcpi_bytes_sent (payload
# bytes sent, retransmissions included) at 200
TCPI_SEGS_IN, TCPI_BYTES_SENT = 140, 200


def ipv4_max(dev, size):
    ifi = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, socket.if_nametoindex(dev), 0, 0)
    attrs = b"".join(struct.pack("=HHI", 8, t, size)
                     for t in (IFLA_GSO_IPV4_MAX_SIZE, IFLA_GRO_IPV4_MAX_SIZE))
    body = ifi + attrs
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as s:
        s.send(msg + body)
        r = s.recv(4096)
    _, typ, _, _, _ = struct.unpack("=IHHII", r[:16])
    err = struct.unpack("=i", r[16:20])[0] if typ == NLMSG_ERROR else 0
    if err:
        sys.exit("xtap: %s: IPv4 GSO/GRO max size %d: %s" % (dev, size, os.strerror(-err)))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sink(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    print("ready", flush=True)
    c, _ = s.accept()
    n = 0
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        n += len(d)
    ti = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    segs = struct.unpack_from("=I", ti, TCPI_SEGS_IN)[0]
    print("bytes %d segs_in %d" % (n, segs), flush=True)
    c.close()


def send(addr, port, n):
    with socket.create_connection((addr, port)) as s:
        chunk = b"x" * (1 << 20)
        left = n
        while left > 0:
            s.sendall(chunk[:left])
            left -= min(left, len(chunk))
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        # the sink closed after reading everything: nothing is in flight
        ti = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        sent = struct.unpack_from("=Q", ti, TCPI_BYTES_SENT)[0]
        print("sent %d bytes_sent %d" % (n, sent), flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "ipv4-max":
        ipv4_max(a[1], int(a[2]))
    elif len(a) == 3 and a[0] == "sink":
        sink(a[1], int(a[2]))
    elif len(a) == 4 and a[0] == "send":
        send(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
