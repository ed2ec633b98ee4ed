#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Write a pcap of one TCP conversation with retransmission edge cases.

    retrans_pcap.py OUT

10.9.0.1:40000 -> 10.9.0.2:80, the client's initial sequence number 2^32 - 256
so that its data wraps past 2^32. The handshake takes 10 us, the rest comes
100 ms apart, far beyond the initial RTT, so that tshark calls no copy
out-of-order. Expected: 6 retransmissions from the client, 2 from the server.
"""
import struct
import sys

C, S = bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])
FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
ISN, SISN = 0xFFFFFF00, 5000

# (from the client, flags, seq, payload bytes, retransmission?)
STEPS = [
    (1, SYN, ISN, 0, 0),
    (1, SYN, ISN, 0, 1),                    # the SYN again
    (0, SYN | ACK, SISN, 0, 0),
    (0, SYN | ACK, SISN, 0, 1),             # the SYN-ACK again
    (1, ACK, ISN + 1, 0, 0),
    (1, ACK | PSH, ISN + 1, 0x200, 0),      # ends at 0x101, past the wrap
    (1, ACK | PSH, 0x101, 100, 0),
    (1, ACK | PSH, ISN + 0x81, 100, 1),     # a copy from before the wrap
    (1, ACK | PSH, 0x101, 100, 1),          # and one from after it
    (1, ACK | PSH, 0x165, 100, 0),
    (1, ACK | PSH, 0x1A0, 100, 1),          # partial overlap: 0x1a0..0x204
    (1, ACK, 0x203, 0, 0),                  # keepalive, 0 bytes at the mark - 1
    (1, ACK, 0x203, 1, 0),                  # keepalive, 1 byte
    (1, ACK, 0x202, 2, 1),                  # 2 bytes below the mark
    (0, ACK | PSH, SISN + 1, 50, 0),
    (0, ACK | PSH, SISN + 1, 50, 1),        # a copy from the server
    (1, FIN | ACK, 0x204, 0, 0),
    (1, FIN | ACK, 0x204, 0, 1),            # the FIN again
    (0, FIN | ACK, SISN + 51, 0, 0),
    (1, ACK, 0x205, 0, 0),
]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(from_client, flags, seq, n):
    src, dst = (C, S) if from_client else (S, C)
    sport, dport = (40000, 80) if from_client else (80, 40000)
    ack = SISN + 1 if from_client else 1
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack, 5 << 4, flags, 65535,
                      0, 0) + bytes(n)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    mac = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" if from_client else b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02"
    return mac + b"\x08\x00" + ip + tcp


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (fc, fl, seq, n, _) in enumerate(STEPS):
            f = frame(fc, fl, seq, n)
            us = 1700000000 * 10**6 + (i * 10 if i < 5 else i * 100000)
            out.write(struct.pack("<IIII", us // 10**6, us % 10**6, len(f), len(f)) + f)


if __name__ == "__main__":
    main()
