#!/usr/bin/env python3
"""mkpcap.py OUT N FLOWS [SIZE] — writes N UDP/IPv4 packets of SIZE bytes (default 64) spread
round-robin over FLOWS 5-tuples between 198.18.0.0/15 test addresses. No dependency but the
standard library, so benchmarks run on a fresh machine."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(flow, size):
    payload = bytes(max(0, size - 14 - 20 - 8))
    udp = struct.pack("!HHHH", 10000 + flow % 50000, 5000, 8 + len(payload), 0)
    src = bytes([198, 18, (flow >> 8) & 0xFF, flow & 0xFF])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload), 0, 0, 64, 17, 0,
                     src, bytes([198, 19, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + ip + udp + payload


def main():
    out, n, flows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            p = packet(i % flows, size)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(p), len(p)))
            f.write(p)


if __name__ == "__main__":
    main()
