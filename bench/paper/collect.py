#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""collect.py RESULTS_DIR PAPER_CSV PAPER_MD PLOT_DIR QUICK — the table and the figures' data of
`bench/run.sh paper` (bench/paper/run.sh).

Reads the step CSVs in RESULTS_DIR (classify.csv, chain.csv, stream.csv, bed.csv; a missing one
leaves its figure empty, said in the table), writes PAPER_CSV (figure,series,x,metric,value: every
figure's points), PAPER_MD (the paper's numbers beside ours) and PLOT_DIR/*.dat for
bench/paper/plot.sh. Only the standard library."""
import csv
import math
import os
import sys

res_dir, paper_csv, paper_md, plot_dir, quick = sys.argv[1:6]
os.makedirs(plot_dir, exist_ok=True)
rows = []  # (figure, series, x, metric, value)
notes = []


def read(name):
    path = os.path.join(res_dir, name)
    if not os.path.exists(path):
        notes.append("%s missing: its figure is empty (step not run)" % name)
        return []
    with open(path) as f:
        return list(csv.reader(f))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def fmt(v, d=2):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else "%.*f" % (d, v)


def ratio(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def dat(name, header, lines, comment=True):
    with open(os.path.join(plot_dir, name), "w") as f:
        f.write(("# " if comment else "") + " ".join(header) + "\n")
        for ln in lines:
            f.write(" ".join("NaN" if isinstance(x, float) and math.isnan(x) else str(x)
                             for x in ln) + "\n")


# ---- Fig. 1: classify (in-process) and chain (processes) ---------------------------------------
cls = {}
for r in read("classify.csv")[1:]:
    if r[0] in ("chain_combined_tree", "chain_independent_rte_hash"):
        cls[(r[0], int(r[1].split("=")[1]))] = num(r[2])
ks = sorted({k for _, k in cls})
dat("fig1a.dat", ["K", "combined_ns", "independent_ns"],
    [(k, cls.get(("chain_combined_tree", k), float("nan")),
      cls.get(("chain_independent_rte_hash", k), float("nan"))) for k in ks])
for (s, k), v in cls.items():
    rows.append(("fig1", "inproc_" + ("combined" if "combined" in s else "independent"), k,
                 "ns_per_pkt", v))
chain = {}
for r in read("chain.csv")[1:]:
    chain[(r[0], r[1], int(r[2]))] = (num(r[3]), num(r[4]), num(r[5]))
cks = sorted({k for _, _, k in chain})
nan3 = (float("nan"),) * 3
dat("fig1b.dat", ["K", "shared_combined", "shared_independent", "poll_combined", "poll_independent"],
    [(k, chain.get(("shared", "combined-direct", k), nan3)[0],
      chain.get(("shared", "independent", k), nan3)[0],
      chain.get(("poll", "combined-direct", k), nan3)[0],
      chain.get(("poll", "independent", k), nan3)[0]) for k in cks])
for (m, v, k), (mpps, p50, p99) in chain.items():
    rows.append(("fig1", "chain_%s_%s" % (m, v), k, "mpps", mpps))
    rows.append(("fig16", "chain_sat_%s_%s" % (m, v), k, "lat_p50_us_le", p50 / 1000))
    rows.append(("fig16", "chain_sat_%s_%s" % (m, v), k, "lat_p99_us_le", p99 / 1000))

# ---- bed.csv: Figs. 14, 16, 17 -----------------------------------------------------------------
bed = {}
for r in read("bed.csv"):
    if len(r) >= 5:
        bed[(r[0], r[1], r[2], r[3])] = num(r[4])
        rows.append((r[0], r[1], r[2], r[3], num(r[4])))
sizes = sorted({int(x) for f, _, x, _ in bed if f == "fig14"})
f14 = ["forward", "lb", "haproxy", "nginx", "linux"]
dat("fig14.dat", ["bytes"] + f14,
    [[z] + [bed.get(("fig14", s, str(z), "goodput_gbps"), float("nan")) for s in f14]
     for z in sizes])
k16 = sorted({int(x) for f, s, x, _ in bed if f == "fig16" and s != "linux"})
dat("fig16.dat", ["K", "fct_combined", "fct_independent", "p50_combined", "p50_independent",
                  "p99_combined", "p99_independent"],
    [(k,) + tuple(bed.get(("fig16", v, str(k), m), float("nan"))
                  for m in ("fct_ms", "lat_p50_us", "lat_p99_us")
                  for v in ("combined", "independent")) for k in k16])
linux_fct = bed.get(("fig16", "linux", "0", "fct_ms"), float("nan"))
dat("fig16_linux.dat", ["K", "fct"], [(0, linux_fct)])
tags = sorted({x for f, _, x, _ in bed if f == "fig17"})
jobs = ["nat", "natstats", "chain"]
dat("fig17.dat", ["job"] + ["%s_%s" % (w, t) for t in tags for w in ("ours", "linux")],
    [[j] + [bed.get(("fig17", "%s_%s" % (w, j), t, "rps"), float("nan"))
            for t in tags for w in ("ours", "linux")] for j in jobs], comment=False)

# ---- Fig. 15: stream ---------------------------------------------------------------------------
st = {}
for r in read("stream.csv")[1:]:
    if r[0] == "ratio":
        continue
    st[(r[0], r[1])] = num(r[2])
pkts, pbytes = st.get(("capture", "packets")), st.get(("capture", "payload_bytes"))
bpp = pbytes / pkts if pkts and pbytes else float("nan")


def ids_gbps(who):
    return st.get((who, "pps"), float("nan")) * bpp * 8 / 1e9


f15 = [("state", st.get(("state", "iperf3_gbps"), float("nan")), float("nan")),
       ("stream", st.get(("tcpcheck", "iperf3_gbps"), float("nan")), float("nan")),
       ("alert", ids_gbps("flowsplice_ids"), ids_gbps("suricata"))]
for m in ("mask", "remove", "replace"):
    f15.append((m, st.get(("rewrite_" + m, "dl_mbps"), float("nan")) * 8 / 1000,
                st.get(("nginx_" + m, "dl_mbps"), float("nan")) * 8 / 1000))
fwd = st.get(("forward", "iperf3_gbps"), float("nan"))
dat("fig15.dat", ["action", "ours_gbps", "peer_gbps"], [(a, o, p) for a, o, p in f15])
cpu15 = [("alert", st.get(("flowsplice_ids", "cpu_s_per_gb"), float("nan")),
          st.get(("suricata", "cpu_s_per_gb"), float("nan")))]
for m in ("mask", "remove", "replace"):
    cpu15.append((m, st.get(("rewrite_" + m, "cpu_s_per_gb"), float("nan")),
                  st.get(("nginx_" + m, "cpu_s_per_gb"), float("nan"))))
dat("fig15cpu.dat", ["action", "ours", "peer"], cpu15)
for a, o, p in f15:
    rows.append(("fig15", "flowsplice", a, "gbps", o))
    rows.append(("fig15", "peer", a, "gbps", p))
rows.append(("fig15", "forward", "none", "gbps", fwd))
for a, o, p in cpu15:
    rows.append(("fig15", "flowsplice", a, "cpu_s_per_gb", o))
    rows.append(("fig15", "peer", a, "cpu_s_per_gb", p))

with open(paper_csv, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["figure", "series", "x", "metric", "value"])
    for r in rows:
        w.writerow(r[:4] + ("%.4g" % r[4] if not math.isnan(r[4]) else "nan",))

# ---- the table: the paper's numbers beside ours -------------------------------------------------
L = []
add = L.append
add("| figure | the paper | ours (this run) |")
add("| --- | --- | --- |")
k5c, k5i = cls.get(("chain_combined_tree", 5)), cls.get(("chain_independent_rte_hash", 5))
add("| 1 (in-process, K = 5) | combined classification %s faster than independent | %s (%s vs %s ns/pkt) |"
    % ("5.2x", fmt(ratio(k5i or float("nan"), k5c or float("nan"))) + "x", fmt(k5c, 0), fmt(k5i, 0)))
for m in ("shared", "poll"):
    c5 = chain.get((m, "combined-direct", 5), nan3)[0]
    i5 = chain.get((m, "independent", 5), nan3)[0]
    c1 = chain.get((m, "combined-direct", 1), nan3)[0]
    add("| 1 (processes, %s mode, K = 5) | 5.2x (combined vs independent) | %sx (%s vs %s Mpps; K = 1: %s Mpps) |"
        % (m, fmt(ratio(c5, i5)), fmt(c5, 3), fmt(i5, 3), fmt(c1, 3)))
add("| 1 (TCP) | one shared TCP stack 7x faster than a copy per VNF | not measured: an independent "
    "VNF cannot get the TCP context (config refuses in_order without a session) |")
for z in sizes:
    g = {s: bed.get(("fig14", s, str(z), "goodput_gbps"), float("nan")) for s in f14}
    add("| 14 (%s B objects) | MiddleClick LB an order of magnitude above HAProxy and nginx | lb %s Gbit/s: %sx HAProxy (%s), %sx nginx (%s); forward %s, Linux routing %s |"
        % (z, fmt(g["lb"], 3), fmt(ratio(g["lb"], g["haproxy"])), fmt(g["haproxy"], 3),
           fmt(ratio(g["lb"], g["nginx"])), fmt(g["nginx"], 3), fmt(g["forward"], 3),
           fmt(g["linux"], 3)))
sv = dict((a, (o, p)) for a, o, p in f15)
add("| 15 state | 2.3x mOS | %s Gbit/s (counter, no TCP context; forward %s); no mOS here |"
    % (fmt(sv["state"][0]), fmt(fwd)))
add("| 15 stream | reordering costs 54 %% vs state; >= 2x Snort / nginx proxy | %s Gbit/s (tcpcheck, in_order): %s %% below state |"
    % (fmt(sv["stream"][0]), fmt(100 * (1 - ratio(sv["stream"][0], sv["state"][0])), 0)))
add("| 15 alert | Snort 20x slower | %s Gbit/s vs Suricata %s: %sx (capture replay) |"
    % (fmt(sv["alert"][0]), fmt(sv["alert"][1]), fmt(ratio(*sv["alert"]))))
paper15 = {"mask": "nginx 4.6x slower", "remove": "> 2.2x nginx", "replace": "> 2.2x nginx"}
for m in ("mask", "remove", "replace"):
    add("| 15 %s | %s | %s Gbit/s vs nginx sub_filter %s: %sx |"
        % (m, paper15[m], fmt(sv[m][0]), fmt(sv[m][1]), fmt(ratio(*sv[m]))))
for a, o, p in cpu15:
    goal = "1/3" if a == "alert" else "1/2"
    r = ratio(o, p)
    add("| 15 CPU, %s (issue 16) | goal <= %s of %s's CPU per GB | %s vs %s CPU-s/GB: %s (%s) |"
        % (a, goal, "Suricata" if a == "alert" else "nginx", fmt(o), fmt(p), fmt(r),
           "met" if r <= (1 / 3 if a == "alert" else 0.5) else "missed"))
if k16:
    kk = max(k16)
    fc, fi = (bed.get(("fig16", v, str(kk), "fct_ms"), float("nan")) for v in ("combined", "independent"))
    pc, pi = (bed.get(("fig16", v, str(kk), "lat_p50_us"), float("nan")) for v in ("combined", "independent"))
    add("| 16 (K = %d) | packet latency 10x lower combined (TCP, offload); flow completion time / 4 | "
        "p50 %s vs %s us (%sx); FCT %s vs %s ms (%sx); Linux routing FCT %s ms |"
        % (kk, fmt(pc, 1), fmt(pi, 1), fmt(ratio(pi, pc)), fmt(fc), fmt(fi), fmt(ratio(fi, fc)),
           fmt(linux_fct)))
for t in tags:
    for j in jobs:
        o = bed.get(("fig17", "ours_" + j, t, "rps"), float("nan"))
        lx = bed.get(("fig17", "linux_" + j, t, "rps"), float("nan"))
        add("| 17 %s, %s | MiddleClick above Linux NAT; more VNFs barely slow it | %s vs Linux %s requests/s: %sx |"
            % (j, t, fmt(o, 0), fmt(lx, 0), fmt(ratio(o, lx))))
if quick == "1":
    notes.append("--quick run: one round, short windows, fewer points")
with open(paper_md, "w") as f:
    f.write("\n".join(L) + "\n")
    for n in notes:
        f.write("\n* " + n)
    f.write("\n")
print("\n".join(L))
for n in notes:
    print("note:", n)
