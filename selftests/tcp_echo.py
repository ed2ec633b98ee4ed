#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A TCP echo pair for the retransmission selftests (stdlib only).

    tcp_echo.py server PORT              echo every connection's bytes back;
                                         prints "ready" once listening
    tcp_echo.py client ADDR PORT N SIZE  one connection: N messages of SIZE
                                         bytes, each sent after the echo of
                                         the one before; prints "done N"

One message in flight at a time, so a lost segment is resent by a timer
(tail loss probe or RTO), never reordered behind newer data.
"""
import signal
import socket
import sys


def server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)


def client(addr, port, n, size):
    c = socket.create_connection((addr, port), timeout=20)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = bytes(i % 251 for i in range(size))
    for _ in range(n):
        c.sendall(msg)
        got = 0
        while got < size:
            b = c.recv(size - got)
            if not b:
                sys.exit("connection closed early")
            got += len(b)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
    print("done", n, flush=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "server":
        server(int(sys.argv[2]))
    elif len(sys.argv) == 6 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
