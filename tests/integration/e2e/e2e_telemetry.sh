#!/usr/bin/env bash
# End to end: what an operator's tools see of a running flowmgr, while a forward VNF carries pings
# between two namespace hosts: its rte_telemetry commands (flowmgr/fm_telemetry.h) read with
# DPDK's own client, dpdk-telemetry.py -f PREFIX (package dpdk-dev), and its Prometheus endpoint
# (flowmgr/fm_metrics.h, `metrics:` on 127.0.0.1) checked by promtool (package prometheus).
# Checks:
#   * "/" lists the five /flowsplice/ commands;
#   * /flowsplice/status names flowmgr's pid and the chain, the VNF running;
#   * /flowsplice/vnfs and /flowsplice/vnfs,fwd: state, the VNF's pid, its packet counters;
#   * /flowsplice/stats (flowmgr's counters), /flowsplice/stats,p0 (a port), /flowsplice/stats,fwd
#     (a VNF) equal `nfctl --json stats` taken after the traffic stopped (except the counters that
#     move without traffic: the control channel's, which every request moves, and the sweeps);
#   * /flowsplice/tree and /flowsplice/tree,layout are the lines of `nfctl tree` / `nfctl layout`;
#     /flowsplice/flows,N holds the first lines of `nfctl flows`;
#   * a wrong name gives {"error": ...}, not an empty answer; the VNF (a secondary started with
#     --no-telemetry) opened no telemetry socket of its own;
#   * GET /metrics passes `promtool check metrics` (format and lint) and every value equals
#     `nfctl --json stats` taken at the same moment: flowmgr's counters (drops by reason, gauges,
#     the latency histogram's buckets and count), each port's and VNF's, the VNF's registry;
#   * other paths answer 404, other methods 405; a bad --metrics is refused before EAL starts;
#   * every metric the Grafana dashboard (deploy/grafana/) queries is in the scrape;
#   * dpdk-dumpcap (a secondary: flowmgr runs rte_pdump) captures 40 packets of port p0 while pings
#     run, and tshark reads 40 ICMP packets between the two hosts. dumpcap takes no EAL options, so
#     it runs in a private mount namespace where /sys/bus/pci/devices is empty: it cannot see, let
#     alone touch, a PCI device (the rule every DPDK process of the tests follows with --no-pci).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_telemetry fse
E2E_FAIL_FILES=("$run/tel.out" "$run/check.log")
command -v dpdk-telemetry.py >/dev/null || e2e_fail "dpdk-telemetry.py missing (package dpdk-dev, deploy/install-deps.sh)"
command -v promtool >/dev/null || e2e_fail "promtool missing (package prometheus, deploy/install-deps.sh)"
# a free loopback port for the metrics endpoint
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$run/chain.yaml" <<YAML
name: telemetry-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
mode: bridge
metrics: 127.0.0.1:$mport
vnfs:
  - name: fwd
    exec: forward
    policy: bypass
YAML
e2e_flowmgr "$run/chain.yaml"
fm_pid=${pids[0]}
fwd_pid=$(e2e_vnf_pid fwd)

fs_ns_exec "$ns" a ping -q -c 200 -i 0.005 -W 1 "$b" >"$run/ping.log" 2>&1 ||
	e2e_fail "ping through flowmgr failed: $(tail -2 "$run/ping.log")"
sleep 0.5 # the last replies leave the VNF's ring

fs_ns_exec "$ns" a ping -q -c 400 -i 0.01 -W 1 "$b" >"$run/ping2.log" 2>&1 &
ping2=$!
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
# umask 0: flowmgr runs as the service user and must be able to answer on dumpcap's (root's)
# multi-process socket (docs/operations.md, Capture)
timeout 60 unshare -m sh -c 'mount -t tmpfs none /sys/bus/pci/devices && umask 0 &&
	exec dpdk-dumpcap --file-prefix="$1" -i net_af_packet0 -c 40 -q -w "$2"' sh "$prefix" \
	"$run/p0.pcapng" >"$run/dumpcap.log" 2>&1 || e2e_fail "dpdk-dumpcap failed: $(tail -3 "$run/dumpcap.log")"
wait "$ping2" || true
tshark -r "$run/p0.pcapng" -T fields -e ip.src -e ip.dst -e icmp.type >"$run/p0.txt" 2>"$run/tshark.log" ||
	e2e_fail "tshark cannot read dumpcap's capture: $(cat "$run/tshark.log")"

# DPDK's telemetry client reads commands from stdin and prints one JSON document per answer, one
# per line (without a terminal it does not print the connection's own description).
printf '%s\n' / /flowsplice/status /flowsplice/vnfs /flowsplice/vnfs,fwd /flowsplice/vnfs,nosuch \
	/flowsplice/stats /flowsplice/stats,p0 /flowsplice/stats,fwd /flowsplice/stats,nosuch \
	/flowsplice/tree /flowsplice/tree,layout /flowsplice/flows,5 |
	dpdk-telemetry.py -f "$prefix" >"$run/tel.out" 2>&1 || e2e_fail "dpdk-telemetry.py failed"
"$bin/nfctl" -s "$sock" --json stats >"$run/stats.json"
"$bin/nfctl" -s "$sock" tree >"$run/tree.txt"
"$bin/nfctl" -s "$sock" layout >"$run/layout.txt"
"$bin/nfctl" -s "$sock" flows >"$run/flows.txt"
ls "/var/run/dpdk/$prefix" >"$run/rundir.txt"
# the scrape and nfctl's stats back to back (nothing moves but the control channel's counters)
curl -sS -o "$run/metrics.txt" -w '%{http_code} %{content_type}\n' "http://127.0.0.1:$mport/metrics" \
	>"$run/metrics.http" || e2e_fail "GET /metrics failed"
"$bin/nfctl" -s "$sock" --json stats >"$run/stats2.json"
curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$mport/nope" >>"$run/metrics.http"
curl -sS -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$mport/metrics" >>"$run/metrics.http"
promtool check metrics <"$run/metrics.txt" >"$run/promtool.log" 2>&1 && echo 0 >"$run/promtool.rc" ||
	echo $? >"$run/promtool.rc"
E2E_FAIL_FILES+=("$run/promtool.log" "$run/metrics.http")
if "$bin/flowmgr" -c "$run/chain.yaml" --metrics 127.0.0.1 -- --file-prefix "${prefix}x" \
	>"$run/badmetrics.log" 2>&1; then
	e2e_fail "flowmgr started with --metrics 127.0.0.1 (no port)"
fi

python3 - "$run" "$fm_pid" "$fwd_pid" "$top/deploy/grafana/flowsplice-dashboard.json" >"$run/check.log" 2>&1 <<'PY' || e2e_fail "telemetry answers differ from nfctl"
import json, sys
run, fm_pid, fwd_pid, dashboard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
docs = [json.loads(l) for l in open(f"{run}/tel.out") if l.strip()]
cmds = ["/", "/flowsplice/status", "/flowsplice/vnfs", "/flowsplice/vnfs", "/flowsplice/vnfs",
        "/flowsplice/stats", "/flowsplice/stats", "/flowsplice/stats", "/flowsplice/stats",
        "/flowsplice/tree", "/flowsplice/tree", "/flowsplice/flows"]
ans = []
for want, d in zip(cmds, docs):
    assert list(d) == [want], (want, d)
    ans.append(d[want])
assert len(ans) == len(cmds), f"{len(ans)} answers for {len(cmds)} commands"
(lst, status, vnfs, fwd, nosuch_vnf, stats, p0, fwd_stats, nosuch_stat, tree, layout, flows) = ans
nf = json.load(open(f"{run}/stats.json"))
fail = []
def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fail.append(what)

for c in ["status", "vnfs", "stats", "flows", "tree"]:
    check(f"/ lists /flowsplice/{c}", f"/flowsplice/{c}" in lst)
check("status: flowmgr's pid", status.get("pid") == fm_pid)
check("status: chain name", status.get("chain") == "telemetry-e2e")
check("status: 2 ports, 1 VNF running",
      (status.get("nb_ports"), status.get("nb_vnfs"), status.get("vnfs_running")) == (2, 1, 1))
check("vnfs: fwd running", vnfs == {"fwd": "running"})
check("vnfs,fwd: the VNF's pid", fwd.get("pid") == fwd_pid)
check("vnfs,fwd: 400 pings carried (200 each way)", fwd.get("rx_pkts", 0) >= 400)
check("vnfs,nosuch: an error", "error" in nosuch_vnf)
check("stats,nosuch: an error", "error" in nosuch_stat)
# the control channel's counters move with every request; the flow tables' sweeps with time
moving = lambda name: name.startswith("ctl_") or name == "flow_sweep_runs"
want = {k: v for k, v in nf["counters"].items() if not moving(k)}
got = {k: v for k, v in stats.items() if not moving(k)}
check(f"stats: {len(want)} counters equal nfctl's", got == want)
if got != want:
    print("  differing:", {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                           if got.get(k) != want.get(k)})
port = next(p for p in nf["ports"] if p["name"] == "p0")
check("stats,p0 = nfctl's port p0",
      all(p0.get(k) == port[k] for k in ["rx_pkts", "tx_pkts", "rx_bytes", "tx_bytes"]))
check("stats,p0: the pings", p0.get("rx_pkts", 0) >= 200)
v = next(x for x in nf["vnfs"] if x["name"] == "fwd")
check("stats,fwd = nfctl's VNF fwd",
      all(fwd_stats.get(k) == v[k] for k in ["rx_pkts", "tx_pkts", "drop_pkts"]))
reg = nf.get("vnf_counters", {}).get("fwd", {})
check(f"stats,fwd: its {len(reg)} registry counters as vnf/NAME",
      len(reg) > 0 and all(fwd_stats.get("vnf/" + k) == x for k, x in reg.items()))
lines = lambda f: open(f).read().rstrip("\n").split("\n")
check("tree = nfctl tree", tree == [l[:127] for l in lines(f"{run}/tree.txt")])
check("tree,layout = nfctl layout", layout == [l[:127] for l in lines(f"{run}/layout.txt")])
check("flows,5: an array of lines starting as nfctl flows",
      isinstance(flows, list) and len(flows) >= 1 and flows[0] == lines(f"{run}/flows.txt")[0][:127])
socks = [l for l in open(f"{run}/rundir.txt").read().split() if l.startswith("dpdk_telemetry")]
check("one telemetry socket (the primary's)", socks == ["dpdk_telemetry.v2"])

# ---- dpdk-dumpcap
cap = [l.split("\t") for l in open(f"{run}/p0.txt").read().splitlines()]
pair = {"198.18.0.1", "198.18.0.2"}
check(f"dumpcap: 40 packets of p0, ICMP between the hosts (tshark read {len(cap)})",
      len(cap) == 40 and all({c[0], c[1]} == pair and c[2] in ("0", "8") for c in cap))

# ---- Prometheus
http = open(f"{run}/metrics.http").read().split("\n")
check("GET /metrics: 200, exposition format 0.0.4",
      http[0].startswith("200 text/plain; version=0.0.4"))
check("GET /nope: 404; POST /metrics: 405", http[1:3] == ["404", "405"])
rc = open(f"{run}/promtool.rc").read().strip()
lint = open(f"{run}/promtool.log").read().strip()
check(f"promtool check metrics: rc {rc}, no finding" + (f" ({lint})" if lint else ""),
      rc == "0" and lint == "")
check("a bad --metrics is refused with its reason",
      "is not ADDRESS:PORT" in open(f"{run}/badmetrics.log").read())
samples = {}
for l in open(f"{run}/metrics.txt"):
    if l.startswith("#") or not l.strip():
        continue
    key, val = l.rsplit(" ", 1)
    samples[key] = float(val)
nf2 = json.load(open(f"{run}/stats2.json"))
gauges = {"ports_open", "mbuf_in_use", "mbuf_avail", "sessions", "fcb_in_use", "fcb_draining",
          "fcb_pending", "bidir_records"}
import re
bad = []
hist, lat_sum = {}, 0
for k, v in nf2["counters"].items():
    if k.startswith("latency_ns_"):
        hist[int(k[11:])] = v
        continue
    if k == "latency_sum_ns":
        lat_sum = v
        continue
    wm = re.fullmatch(r"worker(\d+)_(rx|tx)", k)
    if k.startswith("drop_"):
        m = f'flowsplice_dropped_packets_total{{reason="{k[5:]}"}}'
    elif wm:
        d = "receive" if wm.group(2) == "rx" else "transmit"
        m = f'flowsplice_worker_{d}_packets_total{{worker="{wm.group(1)}"}}'
    else:
        m = f"flowsplice_{k}" + ("" if k in gauges else "_total")
    if moving(k):
        continue
    if samples.get(m) != v:
        bad.append((m, samples.get(m), v))
check(f"metrics: flowmgr's {len(nf2['counters'])} counters = nfctl's" + (f" {bad}" if bad else ""),
      not bad)
total = sum(hist.values())
check("latency histogram: count and +Inf = the packets of nfctl's buckets, > 0",
      total > 0 and samples.get("flowsplice_latency_seconds_count") == total and
      samples.get('flowsplice_latency_seconds_bucket{le="+Inf"}') == total)
cum, ok = 0, True
for lo in sorted(hist):
    cum += hist[lo]
    le = f"{lo * 2 * 1e-9:.9g}"
    key = f'flowsplice_latency_seconds_bucket{{le="{le}"}}'
    if key in samples and samples[key] != cum:
        ok = False
        print("  bucket", key, samples[key], cum)
check("latency histogram: cumulative buckets = nfctl's log2 buckets", ok)
check("latency histogram: sum = latency_sum_ns", abs(samples.get("flowsplice_latency_seconds_sum", -1) - lat_sum * 1e-9) < 1e-6)
port = next(p for p in nf2["ports"] if p["name"] == "p0")
check("metrics: port p0 = nfctl's",
      samples.get('flowsplice_port_receive_packets_total{port="p0"}') == port["rx_pkts"] and
      samples.get('flowsplice_port_transmit_bytes_total{port="p0"}') == port["tx_bytes"])
check("metrics: per-worker packets (worker0_rx = flowsplice_worker_receive_packets_total) > 0",
      samples.get('flowsplice_worker_receive_packets_total{worker="0"}', 0) > 0)
qs = port.get("queues", [])
check(f"metrics: port p0's {len(qs)} RX queues = nfctl's, with their worker",
      len(qs) > 0 and all(
          samples.get(f'flowsplice_port_queue_receive_packets_total{{port="p0",queue="{i}",worker="{q["worker"]}"}}') == q["rx_pkts"]
          for i, q in enumerate(qs)))
sw = port.get("offload_software", {})
check(f"metrics: port p0's offload rules = nfctl's (nic {port.get('offload_rules')}, software {sw})",
      "offload_rules" in port and len(sw) > 0 and
      samples.get('flowsplice_offload_rules{port="p0",state="nic",reason=""}') == port["offload_rules"] and
      all(samples.get(f'flowsplice_offload_rules{{port="p0",state="software",reason="{r}"}}') == n
          for r, n in sw.items()) and port["offload_rules"] + sum(sw.values()) > 0)
check("metrics: port p0 link up", samples.get('flowsplice_port_up{port="p0"}') == 1)
v2 = next(x for x in nf2["vnfs"] if x["name"] == "fwd")
check("metrics: VNF fwd = nfctl's, running",
      samples.get('flowsplice_vnf_received_packets_total{vnf="fwd"}') == v2["rx_pkts"] and
      samples.get('flowsplice_vnf_transmitted_packets_total{vnf="fwd"}') == v2["tx_pkts"] and
      samples.get('flowsplice_vnf_running{vnf="fwd"}') == 1)
reg2 = nf2.get("vnf_counters", {}).get("fwd", {})
check(f"metrics: fwd's {len(reg2)} registry counters = nfctl's",
      len(reg2) > 0 and all(samples.get(f'flowsplice_vnf_registry_value{{vnf="fwd",name="{k}"}}') == x
                            for k, x in reg2.items()))
names = {k.split("{")[0] for k in samples}
used = {m for p in json.load(open(dashboard))["panels"] for t in p["targets"]
        for m in re.findall(r"flowsplice_[a-z_]+", t["expr"])}
check(f"Grafana dashboard: its {len(used)} metrics are scraped" +
      (f" (missing {sorted(used - names)})" if used - names else ""), used and used <= names)
sys.exit(1 if fail else 0)
PY
cat "$run/check.log"
echo "e2e_telemetry: $(grep -c '^ok' "$run/check.log") passed, 0 failed"
