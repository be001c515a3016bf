#!/usr/bin/env python3
"""mkseg_pcaps.py OUTDIR — one client->server TCP stream, three segmentations (for the
segmentation-independence test, tests/integration/e2e/e2e_stream_segments.sh).

Writes OUTDIR/payload.bin (the client's byte stream: ~3 KB with "ATTACK" planted 12 times, some
back to back, one at the very start and one at the very end) and three pcaps of the same
connection 198.18.0.1:40000 -> 198.18.0.2:80 (handshake, data, FIN; the server's side is the
handshake and its own FIN only, so that no acknowledgement depends on the chain's output):
  whole.pcap   the payload in 1448-byte segments
  bytes.pcap   the payload in 1-byte segments, in order
  shuffled.pcap  1-byte segments, each window of 8 sent in a random order (out of order)
IPv4 and TCP checksums are correct. Standard library only.
"""
import os
import random
import struct
import sys

CLI, SRV = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
CPORT, SPORT = 40000, 80


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = (MAC_S + MAC_C if src == CLI else MAC_C + MAC_S) + b"\x08\x00"
    f = eth + ip + tcp
    return f + b"\0" * max(0, 60 - len(f))


def write_pcap(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1, i, len(f), len(f)) + f)


def connection(payload, cuts, order):
    isn_c, isn_s = 0xFFFFF000, 0x10000000  # the client's stream wraps 2^32
    fr = [frame(CLI, SRV, CPORT, SPORT, isn_c, 0, 0x02),
          frame(SRV, CLI, SPORT, CPORT, isn_s, isn_c + 1, 0x12),
          frame(CLI, SRV, CPORT, SPORT, isn_c + 1, isn_s + 1, 0x10)]
    segs = []
    for a, b in zip(cuts, cuts[1:]):
        segs.append(frame(CLI, SRV, CPORT, SPORT, isn_c + 1 + a, isn_s + 1, 0x18,
                          payload[a:b]))
    fr += [segs[i] for i in order]
    end = isn_c + 1 + len(payload)
    fr.append(frame(CLI, SRV, CPORT, SPORT, end, isn_s + 1, 0x11))
    fr.append(frame(SRV, CLI, SPORT, CPORT, isn_s + 1, end + 1, 0x11))
    return fr


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(42)
    body = bytearray(rnd.randbytes(3000) if hasattr(rnd, "randbytes") else
                     bytes(rnd.getrandbits(8) for _ in range(3000)))
    body = body.replace(b"ATTACK", b"ATTACX")
    plants = [0, 700, 706, 1500, 2200, 2500, len(body) - 6]
    for p in plants:
        body[p:p + 6] = b"ATTACK"
    body[1000:1012] = b"ATTATTACKATT"
    body[1800:1818] = b"ATTACKATTACKATTACK"
    payload = bytes(body)
    open(os.path.join(out, "payload.bin"), "wb").write(payload)
    n = len(payload)
    whole = list(range(0, n, 1448)) + [n]
    ones = list(range(0, n + 1))
    order = list(range(n))
    shuffled = []
    for w in range(0, n, 8):
        win = order[w:w + 8]
        rnd.shuffle(win)
        shuffled += win
    write_pcap(os.path.join(out, "whole.pcap"),
               connection(payload, whole, range(len(whole) - 1)))
    write_pcap(os.path.join(out, "bytes.pcap"), connection(payload, ones, range(n)))
    write_pcap(os.path.join(out, "shuffled.pcap"), connection(payload, ones, shuffled))
    print("%d bytes, %d occurrences of ATTACK" % (n, payload.count(b"ATTACK")))


if __name__ == "__main__":
    main()
