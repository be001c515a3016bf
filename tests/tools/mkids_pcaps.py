#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkids_pcaps.py — the pcap suite of the ids VNF (stdlib only).

    mkids_pcaps.py OUTDIR              write OUTDIR/<case>.pcap and OUTDIR/expected.txt
    mkids_pcaps.py OUTDIR --suricata   then run Suricata on each case (rules: ids_rules.txt
                                       beside this script) and compare with what is recorded

Every case is one TCP connection between 198.18.0.1:40000 (client) and 198.18.0.2:80 (server):
3-way handshake, data, FIN close (except rst_before_ack), Ethernet/IPv4/TCP with correct
checksums, frames padded to the 60-byte Ethernet minimum (so a reader must take the payload length
from the IP total length). The word "ATTACK" is what rules sid 1 (either direction, any port) and
sid 2 (to port 80 only) look for; "KILLME" (written in lower case, rule nocase) is the content of
the drop rule sid 3.

expected.txt lists "case sid count" for the ids VNF with --action alert, for every case and every
rule sid of ids_rules.txt, count = alert lines (one per occurrence) when the pcap is replayed
through flowmgr with the in-order contract (each payload byte of a direction seen once, in order,
the first copy of retransmitted bytes wins, as the receiving Linux stack keeps it). Lines starting
with '#' are notes; "# suricata-VERSION case sid count: why" records where Suricata disagrees.

The sender's view is what is written: segments in the order they are sent (out of order where the
case says so), ACKs from a receiver model that acknowledges only contiguous data (duplicate ACKs
while a hole is open).
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

CLIENT = (bytes([198, 18, 0, 1]), 40000, bytes.fromhex("020000000001"))
SERVER = (bytes([198, 18, 0, 2]), 80, bytes.fromhex("020000000002"))
C, S = 0, 1

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
WORD = b"ATTACK"
RULE_SIDS = (1, 2, 3)

# Where Suricata 7.0.10 (Debian bookworm-backports, `--runmode single`, default suricata.yaml)
# reports something else than the ids VNF, and why: (case, sid) -> (count, reason).
SURICATA_VERSION = "7.0.10"
_ONCE = ("Suricata alerts a signature at most once per inspected packet or stream chunk; the ids "
         "writes one alert per occurrence")
SURICATA_DIFF = {("two_in_one", 1): (1, _ONCE), ("two_in_one", 2): (1, _ONCE)}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, seq, ack, flags, payload, ipid):
    """Ethernet + IPv4 + TCP (no options), checksums in full, padded to 60 bytes."""
    (sip, sport, smac), (dip, dport, dmac) = src, dst
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0x4000, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = dmac + smac + struct.pack("!H", 0x0800)
    f = eth + ip + tcp
    return f + b"\0" * max(0, 60 - len(f))


class Conn:
    """One TCP connection: sequence numbers are kept unwrapped (ISN + n), written mod 2^32."""

    def __init__(self, cisn=0x11223344, sisn=0x55667788):
        self.ends = (CLIENT, SERVER)
        self.isn = [cisn, sisn]
        self.snd_nxt = [cisn, sisn]
        self.rcv_nxt = [None, None]  # what each side received contiguously (unwrapped)
        self.ooo = [[], []]  # out-of-order ranges each side holds
        self.pkts = []
        self.ipid = [1, 1]

    def _receive(self, side, start, end):
        """The peer of `side` gets [start, end) of side's sequence space."""
        peer = 1 - side
        if self.rcv_nxt[peer] is None:
            self.rcv_nxt[peer] = start
        self.ooo[peer].append((start, end))
        moved = True
        while moved:
            moved = False
            for s, e in list(self.ooo[peer]):
                if s <= self.rcv_nxt[peer]:
                    self.rcv_nxt[peer] = max(self.rcv_nxt[peer], e)
                    self.ooo[peer].remove((s, e))
                    moved = True

    def send(self, side, flags, payload=b"", seq=None, ack=None):
        seq = self.snd_nxt[side] if seq is None else seq
        length = len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        if ack is None:
            ack = self.rcv_nxt[side] if flags & ACK else 0
        src, dst = self.ends[side], self.ends[1 - side]
        self.pkts.append(frame(src, dst, seq, ack, flags, payload, self.ipid[side]))
        self.ipid[side] += 1
        self.snd_nxt[side] = max(self.snd_nxt[side], seq + length)
        if length and not flags & RST:
            self._receive(side, seq, seq + length)
        return seq

    def handshake(self):
        self.send(C, SYN)
        self.send(S, SYN | ACK)
        self.send(C, ACK)

    def data(self, side, payload, seq=None, ack=None):
        return self.send(side, PSH | ACK, payload, seq, ack)

    def ack(self, side):
        self.send(side, ACK)

    def close(self):
        self.send(C, FIN | ACK)
        self.send(S, FIN | ACK)
        self.send(C, ACK)

    def first_data_seq(self, side):
        return self.isn[side] + 1


MSG = b"hello ATTACK world\n"  # the word at offset 6


def split_points(n):
    """n - 1 cut points inside the word, so that it spans all n segments."""
    start, inner = MSG.index(WORD), len(WORD) - 1  # 5 cut points inside a 6-byte word
    return [start + 1 + (k * inner) // (n - 1) for k in range(n - 1)]


def case_split(n):
    c = Conn()
    c.handshake()
    cuts = [0] + split_points(n) + [len(MSG)]
    for a, b in zip(cuts, cuts[1:]):
        c.data(C, MSG[a:b])
        c.ack(S)
    c.close()
    return c, {1: 1, 2: 1}


def case_ooo():
    """'hello A' 'TT' 'AC' 'K world' sent as 4th, 2nd, 1st, 3rd."""
    c = Conn()
    c.handshake()
    base = c.first_data_seq(C)
    parts = [(0, 7), (7, 9), (9, 11), (11, len(MSG))]
    for i in (3, 1, 0, 2):
        a, b = parts[i]
        c.data(C, MSG[a:b], seq=base + a)
        c.ack(S)  # duplicate ACKs until the hole before it is filled
    c.close()
    return c, {1: 1, 2: 1}


def case_overlap_retrans():
    """ATTACK sent; before it is acknowledged, a retransmission overlapping it from the second
    'T' carries other bytes (and new ones after): the first copy wins, one alert."""
    c = Conn()
    c.handshake()
    base = c.data(C, MSG)
    off = MSG.index(WORD) + 2
    c.data(C, b"XXXX" + MSG[off + 4:] + b"more\n", seq=base + off)
    c.ack(S)
    c.close()
    return c, {1: 1, 2: 1}


def case_overlap_second_attack():
    """The first copy is harmless, an unacknowledged retransmission of the same bytes says ATTACK:
    the receiver keeps the first copy, no alert."""
    c = Conn()
    c.handshake()
    base = c.data(C, MSG.replace(WORD, b"XXXXXX"))
    c.data(C, MSG, seq=base)
    c.ack(S)
    c.close()
    return c, {1: 0, 2: 0}


def wrap_conn():
    # 'A' of the word at sequence number 2^32 - 2: the word covers 2^32-2 .. 2^32+3
    return Conn(cisn=(1 << 32) - 2 - MSG.index(WORD) - 1)


def case_wrap():
    """The word straddles the sequence wrap inside one segment."""
    c = wrap_conn()
    c.handshake()
    c.data(C, MSG)
    c.ack(S)
    c.close()
    return c, {1: 1, 2: 1}


def case_wrap_split():
    """The word straddles the sequence wrap, split there into two segments (the second at 0)."""
    c = wrap_conn()
    c.handshake()
    cut = MSG.index(WORD) + 2
    c.data(C, MSG[:cut])
    c.data(C, MSG[cut:])
    c.ack(S)
    c.close()
    return c, {1: 1, 2: 1}


def case_rst_before_ack():
    """The client sends ATTACK and resets the connection before the server acknowledges it."""
    c = Conn()
    c.handshake()
    c.data(C, MSG)
    c.send(C, RST | ACK)
    return c, {1: 1, 2: 1}


def case_two_in_one():
    c = Conn()
    c.handshake()
    c.data(C, b"ATTACK and ATTACK\n")
    c.ack(S)
    c.close()
    return c, {1: 2, 2: 2}


def case_both_dirs():
    """One ATTACK each way: sid 1 (either direction) twice, sid 2 (to port 80) once."""
    c = Conn()
    c.handshake()
    c.data(C, b"GET /ATTACK HTTP/1.0\r\n\r\n")
    c.data(S, b"HTTP/1.0 200 OK\r\n\r\nATTACK\n")
    c.ack(C)
    c.close()
    return c, {1: 2, 2: 1}


def case_drop_rule():
    """KILLME (rule sid 3, action drop): the ids drops this segment, resets both ends and drops
    what follows (the replayed FIN close)."""
    c = Conn()
    c.handshake()
    c.data(C, b"hello killme\n")
    c.ack(S)
    c.close()
    return c, {3: 1}


CASES = [("split%d" % n, (lambda n=n: case_split(n))) for n in range(2, 7)] + [
    ("ooo", case_ooo),
    ("overlap_retrans", case_overlap_retrans),
    ("overlap_second_attack", case_overlap_second_attack),
    ("wrap", case_wrap),
    ("wrap_split", case_wrap_split),
    ("rst_before_ack", case_rst_before_ack),
    ("two_in_one", case_two_in_one),
    ("both_dirs", case_both_dirs),
    ("drop_rule", case_drop_rule),
]


def write_pcap(path, frames, t0=1700000000):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
        for i, fr in enumerate(frames):
            usec = i * 1000
            f.write(struct.pack("<IIII", t0 + usec // 1000000, usec % 1000000, len(fr), len(fr)))
            f.write(fr)


def write_suite(outdir):
    os.makedirs(outdir, exist_ok=True)
    lines = [
        "# case sid count: alert lines of the ids VNF (--action alert, rules ids_rules.txt)",
        "# written by tests/tools/mkids_pcaps.py; see its docstring",
    ]
    expected = {}
    for name, build in CASES:
        conn, counts = build()
        write_pcap(os.path.join(outdir, name + ".pcap"), conn.pkts)
        for sid in RULE_SIDS:
            expected[(name, sid)] = counts.get(sid, 0)
            lines.append("%s %d %d" % (name, sid, counts.get(sid, 0)))
    for (name, sid), (count, why) in sorted(SURICATA_DIFF.items()):
        lines.append("# suricata-%s %s %d %d: %s" % (SURICATA_VERSION, name, sid, count, why))
    with open(os.path.join(outdir, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return expected


def run_suricata(outdir, rules, expected):
    """Runs Suricata on each case; returns the number of disagreements not recorded."""
    bad = 0
    for name, _ in CASES:
        logdir = tempfile.mkdtemp(prefix="mkids-suri-")
        try:
            subprocess.run(["suricata", "-r", os.path.join(outdir, name + ".pcap"), "-S", rules,
                            "--runmode", "single", "-l", logdir, "-k", "none"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(os.path.join(logdir, "fast.log")) as f:
                got = [int(m.group(1)) for m in re.finditer(r"\[1:(\d+):\d+\]", f.read())]
        finally:
            shutil.rmtree(logdir)
        for sid in RULE_SIDS:
            ours, theirs = expected[(name, sid)], got.count(sid)
            recorded = SURICATA_DIFF.get((name, sid), (ours, ""))[0]
            status = "ok" if theirs == recorded else "UNRECORDED"
            bad += theirs != recorded
            print("%-22s sid %d ids %d suricata %d %s" % (name, sid, ours, theirs, status))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--suricata", action="store_true", help="compare with Suricata")
    ap.add_argument("--rules", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "ids_rules.txt"))
    args = ap.parse_args()
    expected = write_suite(args.outdir)
    print("%d cases written to %s" % (len(CASES), args.outdir))
    if args.suricata:
        if shutil.which("suricata") is None:
            sys.exit("mkids_pcaps: suricata is not installed")
        if run_suricata(args.outdir, args.rules, expected):
            sys.exit(1)


if __name__ == "__main__":
    main()
