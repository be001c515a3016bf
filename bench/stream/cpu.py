#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""cpu.py [--self] PID... — CPU seconds (utime + stime, as the scheduler's run time of every thread:
/proc/PID/task/*/schedstat, without the 10 ms tick) used so far by the processes PID and all their
descendants (flowmgr and the VNFs it launched; nginx's master and its workers); with --self, of
the processes PID alone (flowmgr without its VNFs). Prints one number.
Threads that ended are counted through /proc/PID/stat's utime + stime instead, when that is larger
(schedstat only lists live threads). bench/run.sh stream."""
import glob
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def children():
    kids = {}
    for st in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(st) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(rest[1]), []).append(int(st.split("/")[2]))
    return kids


def cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        ticks = (int(rest[11]) + int(rest[12])) / TICK
    except OSError:
        return 0.0
    ns = 0
    for task in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(task) as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    return max(ns / 1e9, ticks)


def main():
    args = sys.argv[1:]
    alone = bool(args) and args[0] == "--self"
    if alone:
        args = args[1:]
    kids = {} if alone else children()
    todo = [int(p) for p in args]
    seen = set()
    total = 0.0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += cpu(p)
        todo.extend(kids.get(p, []))
    print("%.4f" % total)


if __name__ == "__main__":
    main()
