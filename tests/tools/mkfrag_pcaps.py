#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkfrag_pcaps.py — fragments and hidden transports for a stream chain (stdlib only).

    mkfrag_pcaps.py OUTDIR     write OUTDIR/<case>.pcap and OUTDIR/expected.txt

Issue #17, finding 4: IP fragments and frames whose transport the parser cannot reach must
never take a path around a stream VNF. Every case is one TCP connection of mkids_pcaps.py
(198.18.0.1:40000 -> 198.18.0.2:80, handshake, data, FIN close; its frame writer, its word
"ATTACK" that the ids rules sid 1 and sid 2 look for); one data segment carries the word and is
sent in a form a naive classifier misses:

  frag2       two IPv4 fragments, the word cut across them ("ATT" | "ACK")
  frag_ooo    three IPv4 fragments sent last, first, middle; the word across the 2nd and 3rd
  frag_big    one 1800-byte segment (a 1854-byte frame: over a 1500 MTU, within one mbuf) in
              two fragments; reassembled, the TCP context sends it on in MTU-sized segments
  udp_big     a 1800-byte UDP datagram (198.18.0.1:5000 -> 198.18.0.2:7777, not the ids's class)
              in two fragments: on a stream chain it is reassembled too (a fragment's path is
              unknown until then), takes its own path, and leaves cut again to the 1500-byte MTU
  vlan3       the whole segment in a frame with three VLAN tags (hidden transport)
  v6_ext9     the same data over IPv6 behind nine destination-options headers (hidden)

expected.txt: "case policy sid count" — the ids alerts (one per occurrence) when the pcap is
replayed through flowmgr with a chain `ids` (in_order) and `fragments: POLICY`; with `drop` no
fragment and no hidden frame is forwarded, so the word is never seen and never delivered.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkids_pcaps as ids  # noqa: E402  (frame writer, connection model, pcap writer)

PAD = 60


def ip_fields(fr):
    """(eth header, IPv4 header, IPv4 payload) of an untagged Ethernet/IPv4 frame."""
    ihl = (fr[14] & 0x0F) * 4
    tot = struct.unpack("!H", fr[16:18])[0]
    return fr[:14], fr[14:14 + ihl], fr[14 + ihl:14 + tot]


def fragments(fr, cuts):
    """The frame's IPv4 datagram cut at payload offsets `cuts` (multiples of 8)."""
    eth, hdr, pay = ip_fields(fr)
    edges = [0] + list(cuts) + [len(pay)]
    out = []
    for a, b in zip(edges, edges[1:]):
        assert a % 8 == 0
        mf = 0x2000 if b < len(pay) else 0
        h = bytearray(hdr)
        h[2:4] = struct.pack("!H", len(hdr) + b - a)
        h[6:8] = struct.pack("!H", mf | (a // 8))
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", ids.csum(bytes(h)))
        f = eth + bytes(h) + pay[a:b]
        out.append(f + b"\0" * max(0, PAD - len(f)))
    return out


def vlan3(fr):
    tags = struct.pack("!HHHHHH", 0x88A8, 10, 0x8100, 20, 0x8100, 30)
    return fr[:12] + tags + fr[12:]


def ipv6_ext9(fr):
    """The TCP segment of an Ethernet/IPv4 frame re-sent over IPv6 behind 9 extension headers."""
    eth, hdr, seg = ip_fields(fr)
    src = bytes(15) + hdr[15:16]
    dst = bytes(15) + hdr[19:20]
    src = bytes.fromhex("20010db8") + src[4:]
    dst = bytes.fromhex("20010db8") + dst[4:]
    seg = bytearray(seg)
    seg[16:18] = b"\0\0"
    pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    seg[16:18] = struct.pack("!H", ids.csum(pseudo + bytes(seg)))
    exts = b""
    for i in range(9):
        exts += bytes([60 if i < 8 else 6, 0, 1, 4, 0, 0, 0, 0])  # PadN option
    ip6 = struct.pack("!IHBB", 6 << 28, len(exts) + len(seg), 60, 64) + src + dst
    return eth[:12] + struct.pack("!H", 0x86DD) + ip6 + exts + bytes(seg)


def udp_frame(payload):
    """Ethernet/IPv4/UDP 198.18.0.1:5000 -> 198.18.0.2:7777, checksums in full."""
    (sip, _, smac), (dip, _, dmac) = ids.CLIENT, ids.SERVER
    udp = struct.pack("!HHHH", 5000, 7777, 8 + len(payload), 0) + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", ids.csum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 77, 0, 64, 17, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", ids.csum(ip)) + ip[12:]
    return dmac + smac + struct.pack("!H", 0x0800) + ip + udp


def conn_with(payload, rewrite):
    """A connection whose one data segment (payload) is replaced by rewrite(frame) frames."""
    c = ids.Conn()
    c.handshake()
    c.data(ids.C, payload)
    c.pkts[-1:] = rewrite(c.pkts[-1])
    c.ack(ids.S)
    c.close()
    return c


def build():
    w = ids.WORD
    cases = {}
    # IP payload offset of the word = 20 (TCP header) + its payload offset: 21..26 -> cut at 24
    cases["frag2"] = conn_with(b"h" + w + b" world, fragmented\n",
                               lambda f: fragments(f, [24]))
    # word at 45..50, cuts at 24 and 48; sent 3rd, 1st, 2nd
    cases["frag_ooo"] = conn_with(b"x" * 25 + w + b" world, out of order\n",
                                  lambda f: [fragments(f, [24, 48])[i] for i in (2, 0, 1)])
    big = b"." * 900 + w + b"." * (1800 - 900 - len(w))
    cases["frag_big"] = conn_with(big, lambda f: fragments(f, [920]))
    cases["udp_big"] = ids.Conn()
    cases["udp_big"].pkts = fragments(udp_frame(big), [920])
    cases["vlan3"] = conn_with(b"hello " + w + b" behind three tags\n", lambda f: [vlan3(f)])
    cases["v6_ext9"] = conn_with(b"hello " + w + b" behind nine headers\n",
                                 lambda f: [ipv6_ext9(f)])
    alerts = {"frag2": 1, "frag_ooo": 1, "frag_big": 1, "udp_big": 0, "vlan3": 0, "v6_ext9": 0}
    return cases, alerts


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    cases, alerts = build()
    lines = ["# written by tests/tools/mkfrag_pcaps.py; see its docstring"]
    for name, conn in cases.items():
        ids.write_pcap(os.path.join(outdir, name + ".pcap"), conn.pkts)
        for sid in (1, 2):
            lines.append("%s reassemble %d %d" % (name, sid, alerts[name]))
            lines.append("%s drop %d 0" % (name, sid))
    with open(os.path.join(outdir, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
