#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkstream_pcap.py — a large capture of TCP uploads for the stream benchmark (stdlib only).

    mkstream_pcap.py OUT [--conns 2000] [--kb 50] [--per-mb 100] [--concurrent 50] [--seed 1]

Writes OUT (pcap, Ethernet) with CONNS TCP connections from 198.18.X.Y:PORT (X = 1.., a client
address per connection) to 198.18.0.2:80, CONCURRENT of them interleaved packet by packet (each
connection's packets stay in order). Each connection: 3-way handshake, KB KiB of client payload in
1448-byte segments (the last one shorter), one ACK from the server every second segment (and for
the last one), then FIN from the client, FIN from the server, last ACK. IPv4 and TCP checksums are
correct (so `suricata -k none` and a checksum-verifying reader agree), no TCP options, DF set,
timestamps 10 µs apart.

The payload is random bytes with the word "ATTACK" planted at non-overlapping random places, PER_MB
times per MiB on average (per connection: the integer part, plus one more with the probability of
the fraction), anywhere — so some occurrences straddle two segments. Random bytes make an accidental
"ATTACK" (or the nocase "KILLME" of tests/tools/ids_rules.txt) a 1-in-2^48 event per position,
ignored.

Prints one line `packets=N planted=P payload_bytes=B conns=C`: P is the number of occurrences,
all in the client-to-server direction to port 80, so the ids VNF with ids_rules.txt must write
exactly 2 * P alert lines (sid 1 and sid 2, one per occurrence).
"""

import argparse
import array
import random
import struct
import sys

MSS = 1448
WORD = b"ATTACK"
SERVER_IP = bytes([198, 18, 0, 2])
SERVER_MAC = bytes.fromhex("020000000002")
CLIENT_MAC = bytes.fromhex("020000000001")
FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


def csum(data):
    """Internet checksum, returned as the two bytes to write (RFC 1071: summing 16-bit words in
    host order and storing the result in host order gives the right bytes on either endianness)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


def frame(src, dst, seq, ack, flags, payload, ipid):
    (sip, sport, smac), (dip, dport, dmac) = src, dst
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0) + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + csum(pseudo + tcp) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid & 0xFFFF, 0x4000, 64, 6, 0,
                     sip, dip)
    ip = ip[:10] + csum(ip) + ip[12:]
    f = dmac + smac + b"\x08\x00" + ip + tcp
    return f + b"\0" * max(0, 60 - len(f))


def payload(rnd, size, per_mb):
    """Random bytes with non-overlapping planted words; returns (bytes, occurrences)."""
    data = bytearray(rnd.randbytes(size))
    mean = per_mb * size / (1 << 20)
    n = int(mean) + (rnd.random() < mean - int(mean))
    n = min(n, size // len(WORD))
    # n sorted starts in a range shortened by the words, then shifted apart: uniform, no overlap
    free = size - n * len(WORD)
    starts = sorted(rnd.randrange(free + 1) for _ in range(n))
    for i, s in enumerate(starts):
        pos = s + i * len(WORD)
        data[pos:pos + len(WORD)] = WORD
    return bytes(data), n


def connection(idx, rnd, size, per_mb, counts):
    """Yields the frames of connection idx, in order."""
    cip = bytes([198, 18, 1 + idx // 250, 1 + idx % 250])
    client = (cip, 20000 + idx % 40000, CLIENT_MAC)
    server = (SERVER_IP, 80, SERVER_MAC)
    cisn, sisn = rnd.getrandbits(32), rnd.getrandbits(32)
    body, planted = payload(rnd, size, per_mb)
    counts["planted"] += planted
    counts["bytes"] += size
    cid = sid = 1
    yield frame(client, server, cisn, 0, SYN, b"", cid)
    yield frame(server, client, sisn, cisn + 1, SYN | ACK, b"", sid)
    cid += 1
    sid += 1
    yield frame(client, server, cisn + 1, sisn + 1, ACK, b"", cid)
    cid += 1
    nseg = (size + MSS - 1) // MSS
    for k in range(nseg):
        seg = body[k * MSS:(k + 1) * MSS]
        flags = ACK | (PSH if k == nseg - 1 else 0)
        yield frame(client, server, cisn + 1 + k * MSS, sisn + 1, flags, seg, cid)
        cid += 1
        if k % 2 == 1 or k == nseg - 1:
            yield frame(server, client, sisn + 1, cisn + 1 + k * MSS + len(seg), ACK, b"", sid)
            sid += 1
    end = cisn + 1 + size
    yield frame(client, server, end, sisn + 1, FIN | ACK, b"", cid)
    yield frame(server, client, sisn + 1, end + 1, FIN | ACK, b"", sid)
    yield frame(client, server, end + 1, sisn + 2, ACK, b"", cid + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--kb", type=int, default=50, help="client payload per connection, KiB")
    ap.add_argument("--per-mb", type=float, default=100.0, help="planted words per MiB")
    ap.add_argument("--concurrent", type=int, default=50, help="connections interleaved")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not 0 < a.conns <= 250 * 200 or a.kb <= 0 or a.concurrent <= 0:
        sys.exit("mkstream_pcap: --conns 1..50000, --kb and --concurrent > 0")
    rnd = random.Random(a.seed)
    counts = {"planted": 0, "bytes": 0}
    nxt, active, n, usec = 0, [], 0, 0
    with open(a.out, "wb", buffering=1 << 22) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        while active or nxt < a.conns:
            while len(active) < a.concurrent and nxt < a.conns:
                active.append(connection(nxt, rnd, a.kb * 1024, a.per_mb, counts))
                nxt += 1
            for g in list(active):
                fr = next(g, None)
                if fr is None:
                    active.remove(g)
                    continue
                f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000,
                                    len(fr), len(fr)))
                f.write(fr)
                n += 1
                usec += 10
    print("packets=%d planted=%d payload_bytes=%d conns=%d" %
          (n, counts["planted"], counts["bytes"], a.conns))


if __name__ == "__main__":
    main()
