#!/usr/bin/python3
"""mkflows_pcap.py OUT.pcap FLOWS PER_FLOW — UDP/IPv4 flows for order and integrity checks.

198.18.0.1:(10000+f) -> 198.18.0.2:5000 for flow f; the packets are interleaved (round k sends
packet k of every flow, the flows of a round in a shuffled, seeded order) and each payload
carries (magic, flow, seq) and a length and filler that vary with (flow, seq), so that a
receiver can check every flow's packets arrive complete, unchanged and in order (check mode:
mkflows_pcap.py --check SENT.pcap GOT.pcap). Plain struct, no scapy: 100k packets in seconds.
"""
import random
import struct
import sys

MAGIC = 0x464C4F57  # "FLOW"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(f, k):
    n = 18 + (f * 131 + k * 17) % 400  # payload 18..417 bytes
    fill = bytes(((f + k + i) * 7) & 0xFF for i in range(n - 12))
    pay = struct.pack("!III", MAGIC, f, k) + fill
    udp = struct.pack("!HHHH", 10000 + f, 5000, 8 + len(pay), 0) + pay
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), (f * 100 + k) & 0xFFFF, 0, 64,
                     17, 0, bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("02000000000b" "02000000000a") + b"\x08\x00"
    return eth + ip + udp


def write(path, flows, per_flow):
    rnd = random.Random(12)
    with open(path, "wb") as o:
        o.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 0
        for k in range(per_flow):
            order = list(range(flows))
            rnd.shuffle(order)
            for f in order:
                fr = frame(f, k)
                o.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
                o.write(fr)
                t += 10


def read(path):
    with open(path, "rb") as i:
        hdr = i.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            h = i.read(16)
            if len(h) < 16:
                return
            _, _, cap, _ = struct.unpack(end + "IIII", h)
            yield i.read(cap)


def flow_of(fr):
    if len(fr) < 54 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        return None
    m, f, k = struct.unpack("!III", fr[42:54])
    return (f, k) if m == MAGIC else None


def check(sent, got):
    want = {}
    for fr in read(sent):
        f, k = flow_of(fr)
        want.setdefault(f, []).append(fr)
    nxt = {f: 0 for f in want}
    n = other = bad = 0
    for fr in read(got):
        fk = flow_of(fr)
        if fk is None:
            other += 1
            continue
        f, k = fk
        n += 1
        if f not in want or nxt[f] >= len(want[f]):
            bad += 1
            print("unexpected packet flow %d seq %d" % (f, k))
            continue
        if k != nxt[f]:
            bad += 1
            if bad < 10:
                print("flow %d: seq %d where %d was due (out of order or lost)" % (f, k, nxt[f]))
            nxt[f] = k
        if fr != want[f][k]:
            bad += 1
            if bad < 10:
                print("flow %d seq %d: bytes differ" % (f, k))
        nxt[f] += 1
    missing = sum(len(want[f]) - nxt[f] for f in want)
    total = sum(len(v) for v in want.values())
    print("check: %d of %d packets, %d flows, %d bad, %d missing, %d other frames"
          % (n, total, len(want), bad, missing, other))
    return 0 if bad == 0 and missing == 0 and n == total else 1


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
