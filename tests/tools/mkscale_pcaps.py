#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkscale_pcaps.py — a capture of many concurrent TCP connections for the ids VNF (stdlib only).

    mkscale_pcaps.py OUT.pcap N [--ooo-every K] [--group G] [--queues Q]

N connections from 198.19.x.y:(10000 + i // 65536) to 198.18.0.2:80, all open at once: every
handshake first (N SYNs, N SYN-ACKs, N ACKs), then the data, then the closes (FIN, FIN-ACK, ACK). Each client sends "GET /ATT" and "ACK HTTP/1.0..." in two segments — the word ATTACK of
rules sid 1 and sid 2 (tests/tools/ids_rules.txt) is split across them, so only an inspector that
follows each connection's stream finds it; the server ACKs each segment. The data goes in groups
of G connections interleaved (segment 1 of each, ACKs, segment 2 of each, ACKs), so that a group's
unacknowledged data is what a flow table of N connections holds at once in a network with a short
round trip. Every K-th connection sends its second segment first (out of order: held, then put
back in order). The closes go in groups the same way. Expected: exactly one alert of sid 1 and one of sid 2 per connection; prints N.
With --queues Q, the same capture is also split into OUT.q0.pcap .. OUT.q{Q-1}.pcap by a symmetric
hash of the tuple (crc32 of the two endpoints in sorted order, mod Q): both directions of a
connection in one file, each file in the capture's order — one net_pcap rx_pcap per RX queue, for
flowmgr --workers Q (port key `rx_symmetric: true`). Prints "N packets=P".
"""

import argparse
import struct
import zlib

SERVER = (bytes([198, 18, 0, 2]), 80, bytes.fromhex("020000000002"))
CMAC = bytes.fromhex("020000000001")
FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
PART1 = b"GET /ATT"
PART2 = b"ACK HTTP/1.0\r\nHost: x\r\n\r\n"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, seq, ack, flags, payload=b""):
    (sip, sport, smac), (dip, dport, dmac) = src, dst
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50,
                      flags, 65535, 0, 0) + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = dmac + smac + b"\x08\x00" + ip + tcp
    return f + bytes(max(0, 60 - len(f)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--ooo-every", type=int, default=8)
    ap.add_argument("--group", type=int, default=64)
    ap.add_argument("--queues", type=int, default=0)
    a = ap.parse_args()
    n = a.n
    cl = [(bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF]), 10000 + (i >> 16), CMAC) for i in range(n)]
    cisn = [(i * 7919 + 1000) & 0xFFFFFFFF for i in range(n)]
    sisn = [(i * 104729 + 0xFFFFF000) & 0xFFFFFFFF for i in range(n)]
    ghdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    qf = [open("%s.q%d.pcap" % (a.out[:-5] if a.out.endswith(".pcap") else a.out, q), "wb")
          for q in range(a.queues)]
    for g in qf:
        g.write(ghdr)
    # the queue of connection i: symmetric (the same for both directions' tuples)
    qof = [zlib.crc32(b"".join(sorted([cl[i][0] + struct.pack("!H", cl[i][1]),
                                       SERVER[0] + struct.pack("!H", SERVER[1])]))) % a.queues
           if a.queues else 0 for i in range(n)]
    count = [0]
    with open(a.out, "wb") as f:
        f.write(ghdr)

        def put(p, i):
            rec = struct.pack("<IIII", 0, 0, len(p), len(p)) + p
            f.write(rec)
            if qf:
                qf[qof[i]].write(rec)
            count[0] += 1

        for i in range(n):
            put(frame(cl[i], SERVER, cisn[i], 0, SYN), i)
        for i in range(n):
            put(frame(SERVER, cl[i], sisn[i], cisn[i] + 1, SYN | ACK), i)
        for i in range(n):
            put(frame(cl[i], SERVER, cisn[i] + 1, sisn[i] + 1, ACK), i)
        e1, e2 = len(PART1), len(PART1) + len(PART2)
        for g in range(0, n, a.group):
            grp = range(g, min(n, g + a.group))
            ooo = [i for i in grp if a.ooo_every and i % a.ooo_every == a.ooo_every - 1]
            for i in ooo:  # the second segment first: held until the first comes
                put(frame(cl[i], SERVER, cisn[i] + 1 + e1, sisn[i] + 1, PSH | ACK, PART2), i)
            for i in grp:
                put(frame(cl[i], SERVER, cisn[i] + 1, sisn[i] + 1, PSH | ACK, PART1), i)
            for i in grp:
                put(frame(SERVER, cl[i], sisn[i] + 1, cisn[i] + 1 + (e2 if i in ooo else e1),
                          ACK), i)
            for i in grp:
                if i not in ooo:
                    put(frame(cl[i], SERVER, cisn[i] + 1 + e1, sisn[i] + 1, PSH | ACK, PART2), i)
            for i in grp:
                if i not in ooo:
                    put(frame(SERVER, cl[i], sisn[i] + 1, cisn[i] + 1 + e2, ACK), i)
        for g in range(0, n, a.group):
            grp = range(g, min(n, g + a.group))
            for i in grp:
                put(frame(cl[i], SERVER, cisn[i] + 1 + e2, sisn[i] + 1, FIN | ACK), i)
            for i in grp:
                put(frame(SERVER, cl[i], sisn[i] + 1, cisn[i] + 2 + e2, FIN | ACK), i)
            for i in grp:
                put(frame(cl[i], SERVER, cisn[i] + 2 + e2, sisn[i] + 2, ACK), i)
    for g in qf:
        g.close()
    print(n if not qf else "%d packets=%d" % (n, count[0]))


if __name__ == "__main__":
    main()
