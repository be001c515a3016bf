#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ids_rate.py NFCTL SOCKET PACKETS VNF [TIMEOUT_S] — how long flowmgr and one of its VNFs take to
go through a capture of PACKETS packets replayed by a net_pcap port (bench/stream/run.sh).

Polls `nfctl --json stats` (ports_open, worker_rx) and `nfctl --json vnfs` (rx_pkts of VNF) every
50 ms from before the ports open (flowmgr --wait-vnfs) until worker_rx and the VNF's rx_pkts both
reach PACKETS. Each end is placed at the middle of the poll interval it happened in: the start
between the last sample with the ports closed and the first with them open, the end between the
last sample short of PACKETS and the first at it. Prints one line:
`seconds=S pps=P uncertainty_s=U worker_rx=R vnf_rx=V` (U: half the two intervals, summed);
exits 1 with what was reached on TIMEOUT_S (default 120), or as soon as flowmgr has received the
whole capture and the VNF's count has not moved for 3 s (packets dropped on the way: they never
come)."""
import json
import subprocess
import sys
import time


def sample(nfctl, sock, vnf):
    try:
        st = subprocess.run([nfctl, "-s", sock, "--json", "stats"], capture_output=True,
                            timeout=5, check=True).stdout
        vs = subprocess.run([nfctl, "-s", sock, "--json", "vnfs"], capture_output=True,
                            timeout=5, check=True).stdout
        c = json.loads(st)["counters"]
        rx = next(v["rx_pkts"] for v in json.loads(vs)["vnfs"] if v["name"] == vnf)
        return bool(c["ports_open"]), c["worker_rx"], rx
    except (subprocess.SubprocessError, ValueError, KeyError, StopIteration):
        return None  # flowmgr not up yet


def main():
    nfctl, sock, n, vnf = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 120.0
    t_closed = t_open = t_short = t_done = None
    last = (False, 0, 0)
    begin = time.monotonic()
    moved = begin  # when the VNF's count last changed
    while time.monotonic() - begin < timeout:
        t_before = time.monotonic()
        s = sample(nfctl, sock, vnf)
        t = (t_before + time.monotonic()) / 2  # the sample is taken somewhere in the call
        if s is not None:
            if s[2] != last[2]:
                moved = t
            last = s
            is_open, wrx, vrx = s
            if wrx >= n and vrx < n and t - moved > 3:
                break
            if not is_open:
                t_closed = t
            elif t_open is None:
                t_open = t
            if is_open and (wrx < n or vrx < n):
                t_short = t
            elif is_open:
                t_done = t
                break
        time.sleep(0.05)
    if t_done is None or t_open is None:
        print("incomplete worker_rx=%d vnf_rx=%d of %d" % (last[1], last[2], n))
        sys.exit(1)
    start = (t_open + t_closed) / 2 if t_closed is not None else t_open
    end = (t_done + t_short) / 2 if t_short is not None else t_done
    unc = ((t_open - t_closed) if t_closed is not None else 0) / 2 + \
        ((t_done - t_short) if t_short is not None else 0) / 2
    secs = max(end - start, 1e-3)
    print("seconds=%.3f pps=%.0f uncertainty_s=%.3f worker_rx=%d vnf_rx=%d" %
          (secs, n / secs, unc, last[1], last[2]))


if __name__ == "__main__":
    main()
