#!/usr/bin/env python3
"""mkxdp_pcap.py OUT.pcap A B — mixed traffic for the XDP oracle test (e2e_xdp_offload.sh).

Frames from host A (IPv4 address A) to B of every class of the test chain, in IPv4 and IPv6,
plain and VLAN-tagged, whole and fragmented, well-formed and malformed, interleaved in a seeded
order. The destination MAC is no host's (02:00:00:00:00:99) and ARP asks for an unused address, so
nothing answers: the only frames on the wire are these. Plain struct, no scapy. Prints the count.
"""
import random
import socket
import struct
import sys

out, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
A, B = socket.inet_aton(a), socket.inet_aton(b)
A6, B6 = socket.inet_pton(socket.AF_INET6, "fd00:fe::1"), socket.inet_pton(socket.AF_INET6, "fd00:fe::2")
SRC, DST, BCAST = bytes.fromhex("020000000001"), bytes.fromhex("020000000099"), b"\xff" * 6


def csum(x):
    if len(x) % 2:
        x += b"\0"
    s = sum(struct.unpack("!%dH" % (len(x) // 2), x))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(et, pl, vlan=None, dst=DST):
    if vlan is not None:
        return dst + SRC + struct.pack("!HHH", 0x8100, vlan, et) + pl
    return dst + SRC + struct.pack("!H", et) + pl


def ip4(proto, pl, ident=1, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(pl), ident, frag, 64, proto, 0, A, B)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + pl


def ip6(nh, pl):
    return struct.pack("!IHBB16s16s", 0x60000000, len(pl), nh, 64, A6, B6) + pl


def l4(proto, sp, dp, pay=b"", v6=False):
    if proto == 17:
        h = struct.pack("!HHHH", sp, dp, 8 + len(pay), 0)
    else:
        h = struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, 0x02, 8192, 0, 0)
    seg = h + pay
    ph = (A6 + B6 + struct.pack("!IxxxB", len(seg), proto)) if v6 else \
        (A + B + struct.pack("!xBH", proto, len(seg)))
    c = csum(ph + seg)
    off = 6 if proto == 17 else 16
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def icmp(i):
    h = struct.pack("!BBHHH", 8, 0, 0, i, 1) + b"p" * 32
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def arp():
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC, A, b"\0" * 6,
                       socket.inet_aton("198.18.0.99"))


def frags(proto, sp, dp, pay, ident):
    seg = l4(proto, sp, dp, pay)
    res, off = [], 0
    while off < len(seg):
        part = seg[off:off + 512]
        more = 0x2000 if off + 512 < len(seg) else 0
        res.append(eth(0x0800, ip4(proto, part, ident, more | off // 8)))
        off += 512
    return res


pay = b"x" * 64
frames = []
for i in range(40):
    sp = 20000 + i
    frames += [
        eth(0x0800, ip4(17, l4(17, sp, 6970, pay))),  # netflow (user)
        eth(0x0800, ip4(6, l4(6, sp, 80))),  # httpfilter (user)
        eth(0x86DD, ip6(6, l4(6, sp, 80, v6=True))),  # httpfilter, IPv6
        eth(0x0800, ip4(6, l4(6, sp, 8080))),  # other TCP: early drop
        eth(0x86DD, ip6(6, l4(6, sp, 8080, v6=True))),  # early drop, IPv6
        eth(0x0800, ip4(17, l4(17, sp, 9999, pay))),  # no VNF: redirect
        eth(0x86DD, ip6(17, l4(17, sp, 9999, pay, v6=True))),  # redirect, IPv6
        eth(0x0800, ip4(1, icmp(i))),  # lb (user)
        eth(0x0800, ip4(17, l4(17, sp, 5000, pay)), vlan=10),  # vlan 10 (user)
        eth(0x0800, ip4(6, l4(6, sp, 80)), vlan=20),  # tagged, other VLAN: software
        eth(0x86DD, ip6(0, bytes([6, 0]) + b"\x01\x04\0\0\0\0" + l4(6, sp, 80, v6=True))),  # ext hdr
    ]
    if i % 4 == 0:
        frames.append(eth(0x0806, arp(), dst=BCAST))  # arp: no VNF, redirect
    if i % 5 == 0:  # fragments: software
        frames += frags(17, sp, 9999, b"f" * 1200, 100 + i)
        frames += frags(6, sp, 80, b"g" * 900, 300 + i)
    if i % 8 == 0:  # malformed: the software parser refuses them
        frames += [
            eth(0x0800, b"\x45\x00\x00"),  # IPv4 header cut short
            eth(0x0800, b"\x43" + b"\x00" * 30),  # IHL 3
            eth(0x0800, ip4(6, b"")[:20] + b"\x00\x50"),  # TCP header cut short
            eth(0x86DD, b"\x60" + b"\x00" * 20),  # IPv6 header cut short
        ]
random.Random(12).shuffle(frames)
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for k, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1, k, len(fr), len(fr)) + fr)
print(len(frames))
