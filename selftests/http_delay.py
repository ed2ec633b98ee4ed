#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A tiny HTTP/1.1 server for the selftests (stdlib only).

Listens on [::]:PORT (IPv4 too, through a dual-stack socket) and answers
every GET or HEAD after --delay seconds with 200 and a short body, status
line, headers and body in one write (so the response starts and ends in
one segment); /status/NNN answers NNN. Keeps connections open (HTTP/1.1).
Prints "ready" once it is bound, and one line per request.
"""
import argparse
import http.server
import signal
import socket
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay = 0.0

    def answer(self, body_too):
        time.sleep(self.delay)
        status = 200
        if self.path.startswith("/status/"):
            try:
                status = int(self.path.rsplit("/", 1)[1])
            except ValueError:
                status = 400
        body = b"xtap app\n"
        head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                % (status, self.responses.get(status, ("X",))[0], len(body))).encode()
        self.wfile.write(head + (body if body_too else b""))
        self.wfile.flush()
        print("answered %s %s" % (self.command, self.path), flush=True)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = ap.parse_args()
    Handler.delay = args.delay
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = Server(("::", args.port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
