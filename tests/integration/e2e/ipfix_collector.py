#!/usr/bin/env python3
# ipfix_collector.py HOST:PORT OUT.pcap — a bare IPFIX collector for the end-to-end tests: stores
# each UDP datagram it receives as an IPv4/UDP packet in a pcap file (LINKTYPE_RAW), flushed after
# each one, so that a real decoder (tshark's cflow dissector) reads the records.
import socket
import struct
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((host, int(port)))
out = open(sys.argv[2], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
out.flush()
lo = socket.inet_aton("127.0.0.1")
while True:
    data, peer = s.recvfrom(65535)
    udp = struct.pack("!HHHH", peer[1], int(port), 8 + len(data), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(data), 0, 0, 64, 17, 0, lo, lo)
    t = time.time()
    out.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), 28 + len(data), 28 + len(data)))
    out.write(ip + udp + data)
    out.flush()
