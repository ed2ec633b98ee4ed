#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A small IPFIX (RFC 7011) decoder for the export selftests.

  ipfix_decode.py pcap FILE PORT       records in the UDP messages to PORT of
                                       a pcap (Ethernet or Linux cooked)
  ipfix_decode.py tcp-collector PORT OUT
                                       listen on 127.0.0.1:PORT (TCP), accept
                                       exporters one after the other, append
                                       each decoded record to OUT; prints
                                       'ready' once listening
  ipfix_decode.py udp-collector PORT OUT
                                       the same over UDP; a data set whose
                                       template it has not seen (a collector
                                       would drop it) is a line
                                       {"undecodable": SET_ID, "bytes": N}

Each record is one JSON line: {"template": ID, "fields": {"IE": value}}, IE
being "ID" for IANA elements and "PEN:ID" for enterprise ones. Addresses are
text (xtap's tunnel endpoints, IPv6 elements holding IPv4-mapped addresses
for IPv4, as IPv4 text), octet arrays hex, variable-length elements strings,
everything else an unsigned integer.
"""
import ipaddress
import json
import socket
import struct
import sys

ADDR4 = {8, 12}
ADDR6 = {27, 28}
# xtapTunnelOuterSource and xtapTunnelOuterDestination (PEN 32473)
ENT_ADDR6 = {"32473:29", "32473:30"}
VARLEN = 65535  # a variable-length element: decoded as a UTF-8 string


class Decoder:
    def __init__(self):
        self.templates = {}   # (domain, id) -> [(name, length)]
        self.messages = 0
        self.seq = []
        self.tell_unknown = False

    def message(self, data):
        """Records of one message, as dicts."""
        out = []
        if len(data) < 16:
            raise ValueError("short message")
        ver, length, _t, seq, dom = struct.unpack("!HHIII", data[:16])
        if ver != 10 or length != len(data):
            raise ValueError("bad header: version %d length %d of %d" % (ver, length, len(data)))
        self.messages += 1
        self.seq.append(seq)
        off = 16
        while off < length:
            sid, slen = struct.unpack("!HH", data[off:off + 4])
            if slen < 4 or off + slen > length:
                raise ValueError("bad set length %d" % slen)
            body = data[off + 4:off + slen]
            if sid == 2:
                self.template_set(dom, body)
            elif sid >= 256:
                out.extend(self.data_set(dom, sid, body))
            off += slen
        return out

    def template_set(self, dom, body):
        off = 0
        while off + 4 <= len(body):
            tid, count = struct.unpack("!HH", body[off:off + 4])
            off += 4
            fields = []
            for _ in range(count):
                ie, ln = struct.unpack("!HH", body[off:off + 4])
                off += 4
                if ie & 0x8000:
                    pen, = struct.unpack("!I", body[off:off + 4])
                    off += 4
                    fields.append(("%d:%d" % (pen, ie & 0x7fff), ln))
                else:
                    fields.append((str(ie), ln))
            self.templates[(dom, tid)] = fields

    def data_set(self, dom, sid, body):
        t = self.templates.get((dom, sid))
        if t is None:
            return [{"undecodable": sid, "bytes": len(body)}] if self.tell_unknown else []
        size = sum(1 if ln == VARLEN else ln for _, ln in t)
        recs = []
        off = 0
        while off + size <= len(body):
            f = {}
            for name, ln in t:
                if ln == VARLEN:
                    ln = body[off]
                    off += 1
                    if ln == 255:
                        ln, = struct.unpack("!H", body[off:off + 2])
                        off += 2
                    f[name] = body[off:off + ln].decode("utf-8", "replace")
                    off += ln
                    continue
                raw = body[off:off + ln]
                off += ln
                ie = int(name) if ":" not in name else -1
                if ie in ADDR4:
                    f[name] = str(ipaddress.IPv4Address(raw))
                elif ie in ADDR6:
                    f[name] = str(ipaddress.IPv6Address(raw))
                elif name in ENT_ADDR6:
                    a = ipaddress.IPv6Address(raw)
                    f[name] = str(a.ipv4_mapped or a)
                elif ln > 8:
                    f[name] = raw.hex()
                else:
                    f[name] = int.from_bytes(raw, "big")
            recs.append({"template": sid, "fields": f})
        return recs


def pcap_payloads(path, port):
    with open(path, "rb") as fh:
        data = fh.read()
    magic, = struct.unpack("<I", data[:4])
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype, = struct.unpack(end + "I", data[20:24])
    off = 24
    while off + 16 <= len(data):
        _s, _u, caplen, _wl = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if linktype == 1:
            eth, l3 = struct.unpack("!H", pkt[12:14])[0], pkt[14:]
        elif linktype == 113:
            eth, l3 = struct.unpack("!H", pkt[14:16])[0], pkt[16:]
        else:
            raise SystemExit("unsupported link type %d" % linktype)
        if eth == 0x0800 and l3[9] == 17:
            l4 = l3[(l3[0] & 15) * 4:]
        elif eth == 0x86dd and l3[6] == 17:
            l4 = l3[40:]
        else:
            continue
        if struct.unpack("!H", l4[2:4])[0] == port:
            yield l4[8:]


def tcp_collector(port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    print("ready", flush=True)
    with open(out, "a") as fh:
        while True:
            c, _ = s.accept()
            d = Decoder()  # templates are per connection over TCP
            buf = b""
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 4:
                    ln = struct.unpack("!H", buf[2:4])[0]
                    if len(buf) < ln:
                        break
                    for r in d.message(buf[:ln]):
                        fh.write(json.dumps(r) + "\n")
                    fh.flush()
                    buf = buf[ln:]
            c.close()
            print("disconnected", flush=True)


def udp_collector(port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    d = Decoder()
    d.tell_unknown = True
    with open(out, "a") as fh:
        while True:
            for r in d.message(s.recv(65536)):
                fh.write(json.dumps(r) + "\n")
            fh.flush()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "pcap":
        d = Decoder()
        for p in pcap_payloads(sys.argv[2], int(sys.argv[3])):
            for r in d.message(p):
                print(json.dumps(r))
    elif len(sys.argv) == 4 and sys.argv[1] == "tcp-collector":
        tcp_collector(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "udp-collector":
        udp_collector(int(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
