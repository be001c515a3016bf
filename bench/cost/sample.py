#!/usr/bin/env python3
"""bench/cost/sample.py — the measuring half of `bench/run.sh cost` (bench/cost/run.sh).

  sample.py snap OUT NFCTL SOCKET
      One snapshot, as JSON in OUT: the monotonic clock; flowmgr's pid and every VNF's (from
      `nfctl --json status`); per process utime and stime (clock ticks, /proc/PID/stat: the whole
      thread group, exited threads included) and voluntary + involuntary context switches (summed
      over /proc/PID/task/*/status); flowmgr's port counters and latency histogram
      (`nfctl --json stats`).

  sample.py row A B RAW_CSV ROUND MODE VARIANT K LOAD LOAD_MBPS
      The figures between two snapshots of the same flowmgr, appended as one row to RAW_CSV:
      seconds, cpu_s (every process: the scheduler's run time of all its threads, which is
      utime + stime without the tick's 10 ms granularity; ticks_cpu_s is utime + stime as a
      cross-check; user/system split by the ticks), per process CPU, packets (RX of every port:
      both directions), payload bytes of the data direction (port p0's RX bytes less 66 bytes of
      Ethernet + IPv4 + TCP-with-timestamps headers per packet), wire bytes, context switches,
      latency p50/p99 (upper bound of the histogram bucket holding the percentile).

  sample.py summary CSV_IN CSV_OUT MD_OUT
      Medians over rounds, the idle burn subtracted, the goals of issue 16; writes the final CSV
      and a Markdown summary (also printed).

Only the standard library: the bench runs on a fresh machine.
"""
import csv
import glob
import json
import os
import statistics
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
HDR = 14 + 20 + 32  # Ethernet, IPv4 without options, TCP with the timestamp option


def proc(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    ut, st = int(rest[11]), int(rest[12])  # fields 14, 15 of proc(5)
    vcs = ivcs = run_ns = 0
    for task in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(task + "/schedstat") as f:
                run_ns += int(f.read().split()[0])
            with open(task + "/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vcs += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        ivcs += int(line.split()[1])
        except OSError:
            pass  # a thread that just ended
    return {"ut": ut, "st": st, "ns": run_ns, "vcs": vcs, "ivcs": ivcs}


def nfctl(nfctl_bin, sock, what):
    out = subprocess.run([nfctl_bin, "-s", sock, "--json", what], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def snap(out, nfctl_bin, sock):
    status = nfctl(nfctl_bin, sock, "status")
    t0 = time.monotonic()
    procs = {"flowmgr": status["pid"]}
    for v in status["vnfs"]:
        procs[v["name"]] = v["pid"]
    cpu = {name: proc(pid) for name, pid in procs.items()}
    t1 = time.monotonic()
    stats = nfctl(nfctl_bin, sock, "stats")
    lat = {int(k[len("latency_ns_"):]): v for k, v in stats["counters"].items()
           if k.startswith("latency_ns_")}
    json.dump({"t": (t0 + t1) / 2, "pids": procs, "cpu": cpu, "ports": stats["ports"],
               "lat": lat, "lat_sum_ns": stats["counters"].get("latency_sum_ns", 0),
               "vnfs": {v["name"]: v["rx_pkts"] for v in stats["vnfs"]}}, open(out, "w"))


def pct(hist, p):
    tot = sum(v for _, v in hist)
    acc = 0
    for lo, v in hist:
        acc += v
        if tot and acc >= p * tot:
            return 2 * lo / 1000.0  # upper bound of [lo, 2 lo), in µs
    return float("nan")


RAW_COLS = ["round", "mode", "variant", "k", "load", "load_mbps", "seconds", "pkts",
            "payload_bytes", "wire_bytes", "cpu_s", "ticks_cpu_s", "sys_s", "flowmgr_cpu_s", "csw", "p50_us",
            "p99_us", "mean_us", "procs_json"]


def row(a_file, b_file, raw_csv, rnd, mode, variant, k, load, load_mbps):
    a, b = json.load(open(a_file)), json.load(open(b_file))
    if a["pids"] != b["pids"]:
        sys.exit("sample.py: a process changed between the snapshots (restart?): %s -> %s"
                 % (a["pids"], b["pids"]))
    secs = b["t"] - a["t"]
    per = {}
    for name in b["cpu"]:
        ca, cb = a["cpu"][name], b["cpu"][name]
        # CPU: the scheduler's run time of every thread (ns; the same total as utime + stime,
        # which the kernel scales to it, without the 10 ms tick); split user/system by the ticks.
        cpu = (cb["ns"] - ca["ns"]) / 1e9
        ut, st = cb["ut"] - ca["ut"], cb["st"] - ca["st"]
        sys_frac = st / (ut + st) if ut + st else 0.0
        per[name] = {"user_s": cpu * (1 - sys_frac), "sys_s": cpu * sys_frac,
                     "ticks_s": (ut + st) / TICK,
                     "csw": (cb["vcs"] - ca["vcs"]) + (cb["ivcs"] - ca["ivcs"]),
                     "vcs": cb["vcs"] - ca["vcs"]}
    pkts = sum(pb["rx_pkts"] - pa["rx_pkts"] for pa, pb in zip(a["ports"], b["ports"]))
    wire = sum(pb["rx_bytes"] - pa["rx_bytes"] for pa, pb in zip(a["ports"], b["ports"]))
    d0 = b["ports"][0]["rx_pkts"] - a["ports"][0]["rx_pkts"]
    payload = max(0, b["ports"][0]["rx_bytes"] - a["ports"][0]["rx_bytes"] - HDR * d0)
    hist = sorted((int(k), v - a["lat"].get(k, 0)) for k, v in b["lat"].items())
    lat_n = sum(v for _, v in hist)
    r = {"round": rnd, "mode": mode, "variant": variant, "k": k, "load": load,
         "load_mbps": load_mbps, "seconds": "%.4f" % secs, "pkts": pkts,
         "payload_bytes": payload, "wire_bytes": wire,
         "cpu_s": "%.4f" % sum(p["user_s"] + p["sys_s"] for p in per.values()),
         "ticks_cpu_s": "%.2f" % sum(p["ticks_s"] for p in per.values()),
         "sys_s": "%.4f" % sum(p["sys_s"] for p in per.values()),
         "flowmgr_cpu_s": "%.4f" % (per["flowmgr"]["user_s"] + per["flowmgr"]["sys_s"]),
         "csw": sum(p["csw"] for p in per.values()),
         "p50_us": pct(hist, 0.5), "p99_us": pct(hist, 0.99),
         "mean_us": "%.1f" % ((b["lat_sum_ns"] - a["lat_sum_ns"]) / lat_n / 1000.0)
         if lat_n else "nan", "procs_json": json.dumps(per, separators=(",", ":"))}
    new = not os.path.exists(raw_csv) or os.path.getsize(raw_csv) == 0
    with open(raw_csv, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=RAW_COLS)
        if new:
            w.writeheader()
        w.writerow(r)
    print("%-8s %-18s K=%d %-5s %8.1f Mbit/s %9.0f pkt/s  CPU %5.2f s  %6.2f us/pkt  p50 <=%s us"
          "  p99 <=%s us" % (mode, variant, int(k), load, payload * 8 / secs / 1e6, pkts / secs,
                             float(r["cpu_s"]), float(r["cpu_s"]) / pkts * 1e6 if pkts else 0,
                             r["p50_us"], r["p99_us"]))


# ------------------------------------------------------------------------------------------
# summary
# ------------------------------------------------------------------------------------------
def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x, nd=2):
    return "n/a" if x != x else ("%.*f" % (nd, x))


def summary(raw_csv, out_csv, md_out):
    rows, stalled = [], []
    for r in csv.DictReader(open(raw_csv)):
        # A window that carried under a quarter of its offered load is a stalled connection, not
        # a cost: listed, not counted.
        mbps = float(r["payload_bytes"]) * 8 / float(r["seconds"]) / 1e6
        if r["load"] != "idle" and mbps < 0.25 * float(r["load_mbps"]):
            stalled.append("round %s %s %s K=%s load %s: carried %.1f of %s Mbit/s" % (
                r["round"], r["mode"], r["variant"], r["k"], r["load"], mbps, r["load_mbps"]))
            continue
        rows.append(r)
    groups = {}
    for r in rows:
        groups.setdefault((r["mode"], r["variant"], int(r["k"]), r["load"]), []).append(r)
    idle = {}
    for (mode, var, k, load), rs in groups.items():
        if load == "idle":
            idle[(mode, var, k)] = {
                "cpu_rate": med(float(r["cpu_s"]) / float(r["seconds"]) for r in rs),
                "fm_rate": med(float(r["flowmgr_cpu_s"]) / float(r["seconds"]) for r in rs)}
    cols = ["mode", "variant", "k", "load", "load_mbps", "rounds", "seconds", "mbps", "pps",
            "cpu_s", "cpu_us_per_pkt", "cpu_s_per_gb", "idle_cpu_pct", "net_cpu_us_per_pkt",
            "net_cpu_s_per_gb", "flowmgr_share", "sys_share", "csw_per_pkt", "p50_us", "p99_us",
            "mean_us", "per_process_us_per_pkt", "per_process_split"]
    out = []
    for (mode, var, k, load), rs in sorted(groups.items(), key=lambda g: (
            g[0][0], g[0][1], g[0][2], g[0][3] != "idle", float(g[1][0]["load_mbps"] or 0))):
        secs = med(float(r["seconds"]) for r in rs)
        pps = med(float(r["pkts"]) / float(r["seconds"]) for r in rs)
        mbps = med(float(r["payload_bytes"]) * 8 / float(r["seconds"]) / 1e6 for r in rs)
        base = idle.get((mode, var, k), {"cpu_rate": float("nan"), "fm_rate": float("nan")})

        def per_pkt(r, net=False):
            c = float(r["cpu_s"]) - (base["cpu_rate"] * float(r["seconds"]) if net else 0)
            return c / float(r["pkts"]) * 1e6 if float(r["pkts"]) else float("nan")

        def per_gb(r, net=False):
            c = float(r["cpu_s"]) - (base["cpu_rate"] * float(r["seconds"]) if net else 0)
            return c / (float(r["payload_bytes"]) / 1e9) if float(r["payload_bytes"]) else float("nan")

        procs, split = {}, {}
        for r in rs:
            for name, us in json.loads(r["procs_json"]).items():
                p = float(r["pkts"])
                procs.setdefault(name, []).append(
                    (us["user_s"] + us["sys_s"]) / p * 1e6 if p else float("nan"))
                # user / system µs and sleeps (voluntary context switches) per packet
                sp = split.setdefault(name, ([], [], []))
                sp[0].append(us["user_s"] / p * 1e6 if p else float("nan"))
                sp[1].append(us["sys_s"] / p * 1e6 if p else float("nan"))
                sp[2].append(us.get("vcs", float("nan")) / p if p else float("nan"))
        o = {
            "mode": mode, "variant": var, "k": k, "load": load, "load_mbps": rs[0]["load_mbps"],
            "rounds": len(rs), "seconds": fmt(secs), "mbps": fmt(mbps, 1), "pps": fmt(pps, 0),
            "cpu_s": fmt(med(float(r["cpu_s"]) for r in rs), 3),
            "cpu_us_per_pkt": fmt(med(per_pkt(r) for r in rs)),
            "cpu_s_per_gb": fmt(med(per_gb(r) for r in rs)),
            "idle_cpu_pct": fmt(base["cpu_rate"] * 100, 1),
            "net_cpu_us_per_pkt": fmt(med(per_pkt(r, True) for r in rs)),
            "net_cpu_s_per_gb": fmt(med(per_gb(r, True) for r in rs)),
            "flowmgr_share": fmt(med(float(r["flowmgr_cpu_s"]) / float(r["cpu_s"])
                                     for r in rs if float(r["cpu_s"])), 3),
            "sys_share": fmt(med(float(r["sys_s"]) / float(r["cpu_s"])
                                 for r in rs if float(r["cpu_s"])), 3),
            "csw_per_pkt": fmt(med(float(r["csw"]) / float(r["pkts"])
                                   for r in rs if float(r["pkts"])), 3),
            "p50_us": fmt(med(float(r["p50_us"]) for r in rs), 1),
            "p99_us": fmt(med(float(r["p99_us"]) for r in rs), 1),
            "mean_us": fmt(med(float(r["mean_us"]) for r in rs), 1),
            "per_process_us_per_pkt": " ".join("%s=%s" % (n, fmt(med(v))) for n, v in procs.items()),
            "per_process_split": " ".join("%s=%s/%s/%s" % (n, fmt(med(v[0])), fmt(med(v[1])),
                                                            fmt(med(v[2]), 3))
                                          for n, v in split.items()),
        }
        if load == "idle":
            for c in ("cpu_us_per_pkt", "cpu_s_per_gb", "net_cpu_us_per_pkt", "net_cpu_s_per_gb",
                      "csw_per_pkt", "per_process_us_per_pkt", "per_process_split", "p50_us",
                      "p99_us", "mean_us"):
                o[c] = "n/a"
        out.append(o)
    with open(out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(out)
    md = goals(out, rows) + tables(out) + before_after(out, rows)
    if stalled:
        md += "\nWindows not counted (the connection stalled: under 1/4 of the offered load):\n"
        md += "".join("  - %s\n" % x for x in stalled)
    open(md_out, "w").write(md)
    print(md)


def ratio(a, b):
    try:
        a, b = float(a), float(b)
        return a / b if b else float("nan")
    except ValueError:
        return float("nan")


def goals(out, raw):
    get = {(o["mode"], o["variant"], o["k"], o["load"]): o for o in out}
    lines = []
    loads = sorted({o["load"] for o in out if o["load"] not in ("idle", "400")},
                   key=lambda x: int(x.rstrip("%")))
    # Side-by-side ratios: per round, then the median of the rounds (same chain start order).
    by = {}
    for r in raw:
        by.setdefault((r["mode"], r["variant"], int(r["k"]), r["load"], r["round"]), r)

    def round_ratio(mode, va, vb, k, load):
        rs = []
        for (m, v, kk, ld, rnd), r in by.items():
            if (m, v, kk, ld) != (mode, va, k, load):
                continue
            o = by.get((mode, vb, k, load, rnd))
            if o and float(r["pkts"]) and float(o["pkts"]):
                rs.append((float(r["cpu_s"]) / float(r["pkts"])) / (float(o["cpu_s"]) / float(o["pkts"])))
        return med(rs), len(rs)

    lines.append("### Goals of issue 16 (Done when 1), this run")
    lines.append("")
    lines.append("| goal | measured | met? |")
    lines.append("|---|---|---|")
    maxk = max(o["k"] for o in out if o["mode"] == "counter") if any(
        o["mode"] == "counter" for o in out) else 0
    for mode in ("counter", "mix"):
        for load in loads:
            r, n = round_ratio(mode, "combined-direct", "independent", maxk, load)
            if n:
                lines.append("| K=%d %s: combined ≤ 1/2 of independent CPU/packet, load %s | %s "
                             "(median of %d per-round ratios) | %s |" % (
                                 maxk, mode, load, fmt(r), n, "met" if r <= 0.5 else "**missed**"))
    ks = sorted({o["k"] for o in out if o["mode"] == "counter" and o["variant"] == "combined-direct"})
    for load in loads:
        c = [(k, float(get[("counter", "combined-direct", k, load)]["cpu_us_per_pkt"]))
             for k in ks if ("counter", "combined-direct", k, load) in get]
        c = [(k, v) for k, v in c if v == v]
        if len(c) >= 2:
            (k0, v0), (k1, v1) = c[0], c[-1]
            g = (v1 / v0) ** (1.0 / (k1 - k0)) - 1
            steps = ", ".join("%+.0f%%" % ((b / a - 1) * 100) for (_, a), (_, b) in zip(c, c[1:]))
            lines.append("| counter combined-direct: ≤ 15 %% CPU/packet growth per added VNF, "
                         "load %s | %+.0f %% per VNF (K=%d→%d, geometric; steps %s) | %s |" % (
                             load, g * 100, k0, k1, steps, "met" if g <= 0.15 else "**missed**"))
    f = get.get(("forward", "-", 1, "400"))
    if f:
        v = float(f["cpu_s_per_gb"])
        lines.append("| flowmgr + 1 forward at 400 Mbit/s ≤ 2 CPU-s/GB (issue: 8.75) | %s "
                     "(%s without the idle burn; carried %s Mbit/s) | %s |" % (
                         f["cpu_s_per_gb"], f["net_cpu_s_per_gb"], f["mbps"],
                         "met" if v <= 2 else "**missed**"))
    for var in ("combined-direct", "independent"):
        c5 = get.get(("counter", var, maxk, "400"))
        if c5:
            v = float(c5["cpu_s_per_gb"])
            lines.append("| flowmgr + %d counter VNFs (%s) at 400 Mbit/s ≤ 4 CPU-s/GB (issue: "
                         "15.05 combined, 14.20 independent) | %s (%s without the idle burn; "
                         "carried %s Mbit/s) | %s |" % (
                             maxk, var, c5["cpu_s_per_gb"], c5["net_cpu_s_per_gb"], c5["mbps"],
                             "met" if v <= 4 else "**missed**"))
    lines.append("")
    return "\n".join(lines) + "\n"


def tables(out):
    """Markdown tables for docs/benchmarks.md: CPU/packet vs K at the middle load, every load at
    K = 1 and the largest K, and the split of a packet's CPU per process."""
    get = {(o["mode"], o["variant"], o["k"], o["load"]): o for o in out}
    loads = sorted({o["load"] for o in out if o["load"] not in ("idle", "400")},
                   key=lambda x: int(x.rstrip("%")))
    if not loads:
        return ""
    mid = loads[len(loads) // 2]
    ks = sorted({o["k"] for o in out if o["mode"] != "forward"})
    L = ["### CPU µs per packet vs K, load %s (all processes; net = without the idle burn)" % mid,
         "", "| mode | K | combined-direct | net | independent | net | combined / independent "
         "| idle burn, direct / indep. (% of a core) |", "|---|---|---|---|---|---|---|---|"]
    for mode in ("counter", "mix"):
        for k in ks:
            d, i = get.get((mode, "combined-direct", k, mid)), get.get((mode, "independent", k, mid))
            if not d or not i:
                continue
            L.append("| %s | %d | %s | %s | %s | %s | %s | %s / %s |" % (
                mode, k, d["cpu_us_per_pkt"], d["net_cpu_us_per_pkt"], i["cpu_us_per_pkt"],
                i["net_cpu_us_per_pkt"], fmt(ratio(d["cpu_us_per_pkt"], i["cpu_us_per_pkt"])),
                d["idle_cpu_pct"], i["idle_cpu_pct"]))
    L += ["", "### Every load at K = 1 and K = %d" % ks[-1], "",
          "| mode | variant | K | load | carried Mbit/s | kpkt/s | CPU µs/pkt | net µs/pkt | CPU-s/GB "
          "| net CPU-s/GB | flowmgr share | system share | ctx sw/pkt | p50 µs ≤ | p99 µs ≤ |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for o in out:
        if o["load"] == "idle" or (o["k"] not in (1, ks[-1])):
            continue
        L.append("| %s | %s | %d | %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            o["mode"], o["variant"], o["k"], o["load"] if o["load"] != "400" else "400 Mbit/s",
            o["mbps"], float(o["pps"]) / 1e3, o["cpu_us_per_pkt"], o["net_cpu_us_per_pkt"],
            o["cpu_s_per_gb"], o["net_cpu_s_per_gb"], o["flowmgr_share"], o["sys_share"],
            o["csw_per_pkt"], o["p50_us"], o["p99_us"]))
    L += ["", "### Where a packet's CPU goes (µs per packet per process, load %s)" % mid, "",
          "| mode | variant | K | per process | idle burn (% of a core) |", "|---|---|---|---|---|"]
    for o in out:
        if o["load"] == mid and o["k"] in (1, ks[-1]):
            L.append("| %s | %s | %d | %s | %s |" % (o["mode"], o["variant"], o["k"],
                                                    o["per_process_us_per_pkt"], o["idle_cpu_pct"]))
    L += ["", "### User / system µs and sleeps per packet, per process (load %s)" % mid, "",
          "Each entry: user µs / system µs (syscalls, futex wake-ups, af_packet TX, which also runs "
          "the receiving host's veth and TCP input) / voluntary context switches (sleeps) per "
          "packet.", "", "| mode | variant | K | per process: user / system / sleeps |",
          "|---|---|---|---|"]
    for o in out:
        if o["load"] == mid and o["k"] in (1, ks[-1]) and o.get("per_process_split"):
            L.append("| %s | %s | %d | %s |" % (o["mode"], o["variant"], o["k"],
                                              o["per_process_split"]))
    L += hop_cost(out)
    return "\n".join(L) + "\n"


def before_after(out, raw):
    """FS_BENCH_BASE_BIN runs: each configuration with the base build (VARIANT@base) next to this
    build, in the same rounds; the ratio is the median of per-round ratios."""
    get = {(o["mode"], o["variant"], o["k"], o["load"]): o for o in out}
    pairs = [(o, get.get((o["mode"], o["variant"] + "@base", o["k"], o["load"]))) for o in out
             if not o["variant"].endswith("@base") and o["load"] != "idle"]
    pairs = [(a, b) for a, b in pairs if b]
    idle = [(o, get.get((o["mode"], o["variant"] + "@base", o["k"], "idle"))) for o in out
            if o["load"] == "idle" and not o["variant"].endswith("@base")]
    if not pairs:
        return ""
    by = {}
    for r in raw:
        by[(r["mode"], r["variant"], int(r["k"]), r["load"], r["round"])] = r

    def round_ratio(o):
        rs = []
        for rnd in {r["round"] for r in raw}:
            a = by.get((o["mode"], o["variant"], o["k"], o["load"], rnd))
            b = by.get((o["mode"], o["variant"] + "@base", o["k"], o["load"], rnd))
            if a and b and float(a["pkts"]) and float(b["pkts"]) and float(b["cpu_s"]):
                rs.append((float(a["cpu_s"]) / float(a["pkts"])) /
                          (float(b["cpu_s"]) / float(b["pkts"])))
        return med(rs)
    L = ["", "### Before / after (base build → this build, same rounds, alternated)", "",
         "| mode | variant | K | load | carried Mbit/s | CPU µs/pkt | after / before | CPU-s/GB "
         "| ctx sw/pkt | p50 µs ≤ | p99 µs ≤ | mean µs |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for a, b in pairs:
        L.append("| %s | %s | %d | %s | %s → %s | %s → %s | %s | %s → %s | %s → %s | %s → %s "
                 "| %s → %s | %s → %s |" % (
                     a["mode"], a["variant"], a["k"], a["load"] if a["load"] != "400" else "400 Mbit/s",
                     b["mbps"], a["mbps"], b["cpu_us_per_pkt"], a["cpu_us_per_pkt"],
                     fmt(round_ratio(a)), b["cpu_s_per_gb"], a["cpu_s_per_gb"], b["csw_per_pkt"],
                     a["csw_per_pkt"], b["p50_us"], a["p50_us"], b["p99_us"], a["p99_us"],
                     b["mean_us"], a["mean_us"]))
    L += ["", "Idle burn (% of a core, the whole chain, nothing sent): " + ", ".join(
        "%s %s K=%d %s → %s" % (a["mode"], a["variant"], a["k"], b["idle_cpu_pct"], a["idle_cpu_pct"])
        for a, b in idle if b)]
    return "\n".join(L) + "\n"


def slope(pts):
    """Least-squares slope of [(x, y)], nan below two points."""
    pts = [(x, y) for x, y in pts if y == y]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else float("nan")


def hop_cost(out):
    """The cost of one hop: what one more counter VNF (combined-direct) adds per packet, as the
    least-squares slope over K at each load: CPU µs, mean RX-to-TX latency µs, sleeps."""
    L = ["", "### The cost of one hop (one more `counter` VNF, combined-direct; slope over K)", "",
         "| build | load | K measured | CPU µs/pkt per hop | net µs/pkt per hop | mean latency µs "
         "per hop | sleeps/pkt per hop |", "|---|---|---|---|---|---|---|"]
    loads = sorted({o["load"] for o in out if o["mode"] == "counter" and o["load"] != "idle"},
                   key=lambda x: 1e9 if x == "400" else int(x.rstrip("%")))
    n = 0
    for var, load in [(v, ld) for v in ("combined-direct@base", "combined-direct") for ld in loads]:
        rs = [o for o in out if (o["mode"], o["variant"], o["load"]) == ("counter", var, load)]
        if len({o["k"] for o in rs}) < 2:
            continue

        def f(col):
            return slope([(o["k"], float(o[col])) for o in rs if o[col] != "n/a"])

        def sleeps(o):
            try:
                return sum(float(x.split("/")[2]) for x in
                           (e.split("=", 1)[1] for e in o["per_process_split"].split()))
            except (IndexError, ValueError):
                return float("nan")
        sl = slope([(o["k"], sleeps(o)) for o in rs])
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            "base" if var.endswith("@base") else "this", load if load != "400" else "400 Mbit/s", ",".join(str(o["k"]) for o in rs),
            fmt(f("cpu_us_per_pkt")), fmt(f("net_cpu_us_per_pkt")), fmt(f("mean_us"), 1),
            fmt(sl, 3)))
        n += 1
    return L if n else []


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "snap" and len(sys.argv) == 5:
        snap(*sys.argv[2:5])
    elif len(sys.argv) >= 2 and sys.argv[1] == "row" and len(sys.argv) == 11:
        row(*sys.argv[2:11])
    elif len(sys.argv) >= 2 and sys.argv[1] == "summary" and len(sys.argv) == 5:
        summary(*sys.argv[2:5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
