#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Sends crafted Ethernet/IPv4/UDP frames out of an interface (AF_PACKET,
stdlib only) and writes what it sent to a pcap file.

    rawsend.py IFACE DST_MAC OUT.pcap COUNT [SIZES]
        COUNT frames, the frame sizes taken in turn from SIZES (comma
        separated, 60..1514, default 60,128,1514); each frame is different
        (sequence number and a payload pattern); UDP to port 7777.
    rawsend.py IFACE DST_MAC - SECONDS
        60-byte frames, 32 every millisecond, for SECONDS; no file. Prints
        "sent N" at the end, or when SIGINT/SIGTERM comes first.
"""
import signal
import socket
import struct
import sys
import time

PORT = 7777


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dst, i, size):
    payload_len = size - 14 - 20 - 8
    seq = struct.pack("!I", i)
    payload = (seq + bytes((i + k) & 0xFF for k in range(payload_len)))[:payload_len]
    udp = struct.pack("!HHHH", 40000 + i % 16, PORT, 8 + payload_len, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 79, 0, 1]), bytes([10, 79, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst + bytes.fromhex("02000000af01") + struct.pack("!H", 0x0800) + ip + udp


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    ifname, dst, out = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    if out == "-":
        stop = [False]
        signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
        signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
        end, n = time.monotonic() + float(sys.argv[4]), 0
        frames = [frame(dst, i, 60) for i in range(32)]
        while not stop[0] and time.monotonic() < end:
            for fr in frames:
                s.send(fr)
            n += len(frames)
            time.sleep(0.001)
        print(f"sent {n}", flush=True)
        return
    count = int(sys.argv[4])
    sizes = [int(x) for x in (sys.argv[5] if len(sys.argv) > 5 else "60,128,1514").split(",")]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            fr = frame(dst, i, sizes[i % len(sizes)])
            s.send(fr)
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)
    print(f"sent {count}", flush=True)


if __name__ == "__main__":
    main()
