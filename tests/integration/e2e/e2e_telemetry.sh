#!/usr/bin/env bash
# End to end: flowmgr's rte_telemetry commands (flowmgr/fm_telemetry.h) read with DPDK's own
# client, dpdk-telemetry.py -f PREFIX (package dpdk-dev), while a forward VNF carries pings
# between two namespace hosts. Checks:
#   * "/" lists the five /flowsplice/ commands;
#   * /flowsplice/status names flowmgr's pid and the chain, the VNF running;
#   * /flowsplice/vnfs and /flowsplice/vnfs,fwd: state, the VNF's pid, its packet counters;
#   * /flowsplice/stats (flowmgr's counters), /flowsplice/stats,p0 (a port), /flowsplice/stats,fwd
#     (a VNF) equal `nfctl --json stats` taken after the traffic stopped (except the counters that
#     move without traffic: the control channel's, which every request moves, and the sweeps);
#   * /flowsplice/tree and /flowsplice/tree,layout are the lines of `nfctl tree` / `nfctl layout`;
#     /flowsplice/flows,N holds the first lines of `nfctl flows`;
#   * a wrong name gives {"error": ...}, not an empty answer; the VNF (a secondary started with
#     --no-telemetry) opened no telemetry socket of its own.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_telemetry fse
E2E_FAIL_FILES=("$run/tel.out" "$run/check.log")
command -v dpdk-telemetry.py >/dev/null || e2e_fail "dpdk-telemetry.py missing (package dpdk-dev, deploy/install-deps.sh)"

cat >"$run/chain.yaml" <<YAML
name: telemetry-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
mode: bridge
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

python3 - "$run" "$fm_pid" "$fwd_pid" >"$run/check.log" 2>&1 <<'PY' || e2e_fail "telemetry answers differ from nfctl"
import json, sys
run, fm_pid, fwd_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
sys.exit(1 if fail else 0)
PY
cat "$run/check.log"
echo "e2e_telemetry: $(grep -c '^ok' "$run/check.log") passed, 0 failed"
