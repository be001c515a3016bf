#!/usr/bin/env bash
# End to end: the TCP context on every worker (issue 13 item 2, Done-when 2's "--workers 2"). A
# generated capture (tests/tools/mkscale_pcaps.py) of N connections open at once (default 2000),
# each with the word ATTACK split across two segments and every 8th sending them out of order, is
# replayed with tcpreplay into host a, through one in_order ids, twice: flowmgr with --workers 1
# and with --workers 2. The ports are af_packet with qpairs=2 on 2-queue veths (FS_NS_QUEUES=2):
# the kernel's fanout hash is symmetric, so both directions of a connection reach the same queue
# index and so the same worker. Checks:
#   1. each run: exactly one alert of sid 1 and one of sid 2 per connection, and the two runs'
#      alerts (sid, connection) are the same;
#   2. with 2 workers both contexts carried stream traffic (worker0_tcp_dirs_opened and
#      worker1_tcp_dirs_opened each > 0, together >= 2N), nothing refused (tcp_dirs_full,
#      tcp_no_session, budget refusals 0), the out-of-order segments were held and put back;
#   3. a layout that would split a connection between workers (2 workers, single-queue ports)
#      is refused at start-up with the reason.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh" # pcap_ids_chain, pcap_vnf_file
FS_NS_QUEUES=2
export FS_NS_QUEUES
e2e_init e2e_stream_workers fsw2
n=${E2E_SW_N:-2000}
pps=${E2E_SW_PPS:-10000}
E2E_FAIL_FILES=("$run/check.txt")

python3 "$top/tests/tools/mkscale_pcaps.py" "$run/scale.pcap" "$n" >/dev/null ||
	e2e_fail "mkscale_pcaps.py"
total=$(tshark -r "$run/scale.pcap" 2>/dev/null | wc -l)
qp="qpairs=2,blocksz=4096,framesz=2048,framecnt=4096"

# chain FILE [PORT_KEYS] — one in_order ids (pcap_lib.sh's) between af_packet ports (2 queue
# pairs) on the hosts' veths; PORT_KEYS: more keys of each port.
chain() {
	pcap_ids_chain "$1" streamworkers \
		"  - {name: p0, dev: \"net_af_packet0,iface=$(fs_ns_port "$ns" a),$qp\"${2:-}}
  - {name: p1, dev: \"net_af_packet1,iface=$(fs_ns_port "$ns" b),$qp\"${2:-}}" \
		alert "$run/ids" "mbufs: 32767
sessions: 16384"
}

# replay WORKERS LCORES — flowmgr with that many workers, the capture replayed into host a until
# flowmgr received all of it and its counters stopped moving; keeps run/w$1.alerts and
# run/w$1.json, then stops flowmgr.
replay() {
	local now last="" still=0
	chain "$run/chain.yaml"
	pcap_vnf_file "$run/ids.alerts" # the launched ids runs as the service user
	E2E_LCORES=$2 e2e_flowmgr "$run/chain.yaml" --workers "$1"
	ip netns exec "$ns-a" tcpreplay -q -i eth0 --pps "$pps" "$run/scale.pcap" \
		>"$run/tcpreplay.log" 2>&1 || e2e_fail "tcpreplay failed: $(cat "$run/tcpreplay.log")"
	for _ in $(seq 600); do
		now=$("$bin/nfctl" -s "$sock" --json stats 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["worker_rx"], c["worker_tx"], c["worker_to_vnf"], c["worker_from_vnf"])' 2>/dev/null ||
			echo "-1")
		[[ ${now%% *} -ge $total && $now == "$last" ]] && still=$((still + 1)) || still=0
		last=$now
		[[ $still -ge 5 ]] && break
		sleep 0.2
	done
	"$bin/nfctl" -s "$sock" --json stats >"$run/w$1.json"
	[[ $still -ge 5 ]] || e2e_fail "--workers $1: flowmgr did not receive the $total packets ($now)"
	fs_stop_pid "${pids[-1]}" 10
	unset 'pids[-1]'
	fs_cleanup_dpdk "$prefix"
	cp "$run/ids.alerts" "$run/w$1.alerts"
}

replay 1 0@0,1@1
replay 2 0@0,1@0,2@1

# 1 and 2: the same alerts, one per connection and rule; both workers' contexts busy
python3 - "$run" "$n" >"$run/check.txt" 2>&1 <<'PY' || e2e_fail "alerts or counters"
import collections, json, re, sys
run, n = sys.argv[1], int(sys.argv[2])
def alerts(path):
    per = collections.Counter()
    for line in open(path):
        m = re.search(r"sid=(\d+) ", line)
        ips = re.findall(r"198\.19\.\d+\.\d+:\d+", line)
        if m and ips:
            per[(m.group(1), ips[0])] += 1
    return per
a1, a2 = alerts(f"{run}/w1.alerts"), alerts(f"{run}/w2.alerts")
for w, per in ((1, a1), (2, a2)):
    for sid in ("1", "2"):
        conns = [k for k in per if k[0] == sid]
        once = sum(1 for k in conns if per[k] == 1)
        print(f"e2e_stream_workers: --workers {w}: sid {sid}: {len(conns)} connections alerted, "
              f"{once} exactly once (of {n})")
        assert len(conns) == n and once == n, f"--workers {w}: sid {sid}: not one alert per connection"
assert a1 == a2, f"the runs' alerts differ: {len(set(a1) ^ set(a2))} (sid, connection) pairs"
for w in (1, 2):
    c = json.load(open(f"{run}/w{w}.json"))["counters"]
    keys = ["tcp_dirs_opened"] + [f"worker{i}_tcp_dirs_opened" for i in range(w)] + [
        "tcp_held", "tcp_released_in_order", "tcp_budget_held_max", "tcp_budget_copies_max"] + [
        f"worker{i}_rx" for i in range(w)]
    print(f"e2e_stream_workers: --workers {w}: " + " ".join(f"{k}={c.get(k)}" for k in keys))
    for k in ("tcp_dirs_full", "tcp_no_session", "tcp_ooo_budget_drops", "tcp_budget_refused",
              "tcp_copies_refused", "tcp_ooo_full", "tcp_acks_unsent"):
        assert c.get(k, 0) == 0, f"--workers {w}: {k} = {c.get(k)}"
    assert c["tcp_dirs_opened"] >= 2 * n, f"--workers {w}: fewer directions than the capture has"
    assert c["tcp_held"] >= n // 8 and c["tcp_released_in_order"] >= n // 8, "no out-of-order hold"
    per_w = [c[f"worker{i}_tcp_dirs_opened"] for i in range(w)]
    assert sum(per_w) == c["tcp_dirs_opened"], "the per-worker directions do not add up"
    assert all(x > 0 for x in per_w), f"--workers {w}: a worker's context carried nothing: {per_w}"
print("e2e_stream_workers: the same alerts with 1 and 2 workers")
PY
cat "$run/check.txt"

# 3. one RX queue polled per port with 2 workers: each direction would be on its port's worker
chain "$run/split.yaml" ", rx_queues: 1"
rc=0
timeout 60 "$bin/flowmgr" -c "$run/split.yaml" --workers 2 -s "$run/split.sock" -- \
	--file-prefix "${prefix}s" --lcores 0@0,1@0,2@1 >"$run/split.log" 2>&1 || rc=$?
fs_cleanup_dpdk "${prefix}s"
if [[ $rc -eq 0 || $rc -eq 124 ]] ||
	! grep -q "both directions of a connection must reach the same worker" "$run/split.log"; then
	e2e_fail "2 workers on single-queue ports were not refused (rc $rc): $(tail -n 5 "$run/split.log")"
fi
echo "e2e_stream_workers: 2 workers on single-queue ports refused: $(grep -o "but .*worker;" "$run/split.log")"
echo "e2e_stream_workers: 1 passed, 0 failed"
