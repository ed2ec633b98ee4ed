#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Small pcap files for the replay error tests (stdlib only).

    pcaptool.py eth OUT [N]        N Ethernet/IPv4/UDP frames (default 4), one flow
    pcaptool.py raw OUT            the same packets with link type RAW (101, no Ethernet)
    pcaptool.py info FILE          "link L packets N" and each record's offset and length
    pcaptool.py cut IN OUT N WHERE copy IN up to packet N (1-based) and stop:
                                   WHERE = header (inside its 16-byte record header),
                                   data (inside its bytes) or before (at its start)
    pcaptool.py bytes FILE         each packet's wire length and bytes in hex, one a line
    pcaptool.py records FILE       the same after each packet's time: unsigned seconds, ns
"""
import struct
import sys

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
LINK_ETHERNET, LINK_RAW = 1, 101


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_udp(i):
    payload = b"xtap-selftest-%04d" % i + bytes(range(32))
    sport, dport = (40000, 7777) if i % 2 == 0 else (7777, 40000)
    src, dst = bytes([10, 66, 0, 1]), bytes([10, 66, 0, 2])
    if i % 2:
        src, dst = dst, src
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i + 1, 0, 64, 17, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + udp


def ethernet(pkt, i):
    a, b = bytes.fromhex("02000000aa01"), bytes.fromhex("02000000aa02")
    dst, src = (b, a) if i % 2 == 0 else (a, b)
    return dst + src + struct.pack("!H", 0x0800) + pkt


def write_pcap(path, link, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_US, 2, 4, 0, 0, 65535, link))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 1000 * i, len(fr), len(fr)))
            f.write(fr)


def records(data):
    """(link, [(offset, record length incl. header)...]) of a classic pcap."""
    magic = struct.unpack("<I", data[:4])[0]
    end = "<"
    if magic not in (MAGIC_US, MAGIC_NS):
        end = ">"
        if struct.unpack(">I", data[:4])[0] not in (MAGIC_US, MAGIC_NS):
            raise SystemExit("pcaptool: not a classic pcap file")
    link = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off, recs = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        recs.append((off, 16 + caplen))
        off += 16 + caplen
    return link, recs


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd in ("eth", "raw"):
        n = int(argv[3]) if len(argv) > 3 else 4
        pkts = [ipv4_udp(i) for i in range(n)]
        if cmd == "eth":
            write_pcap(path, LINK_ETHERNET, [ethernet(p, i) for i, p in enumerate(pkts)])
        else:
            write_pcap(path, LINK_RAW, pkts)
    elif cmd == "info":
        link, recs = records(open(path, "rb").read())
        print(f"link {link} packets {len(recs)}")
        for off, ln in recs:
            print(off, ln)
    elif cmd in ("bytes", "records"):
        data = open(path, "rb").read()
        end = "<" if struct.unpack("<I", data[:4])[0] in (MAGIC_US, MAGIC_NS) else ">"
        frac = 1 if struct.unpack(end + "I", data[:4])[0] == MAGIC_NS else 1000
        for off, ln in records(data)[1]:
            sec, sub, _, wire = struct.unpack(end + "IIII", data[off:off + 16])
            when = f"{sec}.{sub * frac:09d} " if cmd == "records" else ""
            print(f"{when}{wire}", data[off + 16:off + ln].hex())
    elif cmd == "cut":
        out, n, where = argv[3], int(argv[4]), argv[5]
        data = open(path, "rb").read()
        _, recs = records(data)
        if not 1 <= n <= len(recs):
            raise SystemExit(f"pcaptool: {path} has {len(recs)} packets, not {n}")
        off, ln = recs[n - 1]
        cut = {"before": off, "header": off + 7, "data": off + 16 + (ln - 16) // 2}[where]
        open(out, "wb").write(data[:cut])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
