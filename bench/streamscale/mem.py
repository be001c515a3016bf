#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mem.py PREFIX PID — the memory a DPDK run holds now (bench/run.sh streamscale). Prints
`huge=B hwm=B anon=B`: B bytes of the hugepage files of --file-prefix PREFIX (/dev/hugepages and
its per-user directories: what the run mapped, whether touched or not — hugetlb pages are not in
any process's RSS), the peak resident set (VmHWM) and the anonymous resident memory (RssAnon) of
PID and all its descendants (flowmgr and the VNFs it launched), summed."""
import glob
import os
import sys


def tree(root):
    kids = {}
    for st in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(st) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(rest[1]), []).append(int(st.split("/")[2]))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main():
    prefix, pid = sys.argv[1], int(sys.argv[2])
    huge = 0
    for f in glob.glob("/dev/hugepages/%smap_*" % prefix) + glob.glob(
            "/dev/hugepages/*/%smap_*" % prefix):
        try:
            huge += os.stat(f).st_size
        except OSError:
            pass
    pids = tree(pid)
    print("huge=%d hwm=%d anon=%d" % (huge, sum(status(p, "VmHWM") for p in pids),
                                      sum(status(p, "RssAnon") for p in pids)))


if __name__ == "__main__":
    main()
