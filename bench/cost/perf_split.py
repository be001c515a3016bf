#!/usr/bin/env python3
"""bench/cost/perf_split.py REPORT TITLE — where a packet's CPU goes, from a perf profile.

REPORT is `perf report --no-children --sort comm,dso,sym --stdio` of `perf record -e cpu-clock`
over every process of a chain (bench/cost/run.sh). Prints Markdown: the share of the samples per
process, and per kind of work, each symbol put in the first kind whose pattern it matches:

  waking and sleeping   futex, the scheduler, context switches, timers (nanosleep)
  syscall entry/exit    the system call boundary itself
  port I/O and the hosts' kernel path
                        af_packet (DPDK's PMD and the kernel's), veth, and the IP/TCP input of
                        the receiving host namespace that af_packet's TX runs in the sender's
                        context
  rings                 rte_ring between the processes
  classification        flowmgr's parse, flow table and classification tree
  other flowmgr / VNF   the rest of each process's own code (datapath loops, polling, nfsdk,
                        the VNF's handler)
  other kernel          the rest
Only the standard library.
"""
import re
import sys

KINDS = [
    ("waking and sleeping (futex, scheduler, timers)",
     re.compile(r"futex|schedul|__switch_to|switch_mm|finish_task_switch|try_to_wake_up|ttwu|"
                r"wake_up|enqueue_task|dequeue_task|pick_next|update_curr|update_load|psi_|"
                r"hrtimer|nanosleep|sched_|select_task_rq|set_next_entity|put_prev|"
                r"newidle_balance|load_balance|prepare_task_switch|cpuacct|__calc_delta|"
                r"reweight|update_cfs|timerqueue|clockevents|lapic|tick_")),
    ("syscall entry/exit",
     re.compile(r"entry_SYSCALL|syscall_exit|do_syscall|syscall_return|__x64_sys_|"
                r"exit_to_user|syscall_enter|native_irq_return|error_entry|restore_regs")),
    ("port I/O and the hosts' kernel path (af_packet, veth, IP/TCP)",
     re.compile(r"af_packet|packet_|tpacket|veth|netif_|net_rx|napi|__dev_queue_xmit|dev_hard|"
                r"skb|ip_|ipv4|tcp_|__tcp|inet_|sock_|sendto|__sys_send|nf_hook|nf_conntrack|"
                r"eth_|csum|copy_user|memcpy_erms|copy_to_user|copy_from_user|__napi|"
                r"process_backlog|__netif|dst_|fib_|neigh_|sk_|release_sock|lock_sock|rps_|"
                r"do_softirq|__softirq|__local_bh|page_frag|kmem_cache|kfree|__alloc_skb|"
                r"consume_skb|validate_xmit|qdisc|pfifo|iperf")),
    ("rings (rte_ring)", re.compile(r"rte_ring|ring_enqueue|ring_dequeue|__rte_ring")),
    ("classification (parse, flow table, tree)",
     re.compile(r"fm_flow|fm_tree|fm_pkt|fm_cls|fm_classify|fm_hash|cache_probe|lookup_one|"
                r"tree_get|acquire|fm_fcb")),
]
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    per_comm, per_kind, total = {}, {}, 0.0
    for line in open(sys.argv[1], errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        pct, comm, dso, ring, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        proc = "flowmgr" if comm.startswith(("flowmgr", "lcore", "rte-worker", "eal-intr",
                                             "dpdk")) else comm
        total += pct
        per_comm[proc] = per_comm.get(proc, 0.0) + pct
        kind = None
        for name, rx in KINDS:
            if rx.search(sym) or (name.startswith("port") and "af_packet" in dso):
                kind = name
                break
        if kind is None:
            kind = ("other kernel" if ring == "k" else
                    "other flowmgr (datapath loop, polling)" if proc == "flowmgr" else
                    "other VNF (nfsdk loop, polling, the handler)")
        per_kind[kind] = per_kind.get(kind, 0.0) + pct
    if total == 0:
        sys.exit("perf_split.py: no samples in %s" % sys.argv[1])
    print("### Where the CPU goes: perf profile, %s\n" % sys.argv[2])
    print("perf record -e cpu-clock over flowmgr and every VNF process; shares of all samples.\n")
    print("| kind of work | share |")
    print("|---|---|")
    for k, v in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        print("| %s | %.1f %% |" % (k, v * 100 / total))
    print("\n| process | share |")
    print("|---|---|")
    for k, v in sorted(per_comm.items(), key=lambda kv: -kv[1]):
        print("| %s | %.1f %% |" % (k, v * 100 / total))
    print("")


if __name__ == "__main__":
    main()
