#!/usr/bin/env bash
# End to end: ports with 2 queues and 2 workers (issue #12, Done-when 3). The hosts' veths have 2
# RX/TX queues (FS_NS_QUEUES=2), flowmgr's ports are af_packet with qpairs=2 (PACKET_FANOUT: the
# kernel hashes flows over the two sockets, the stand-in for a NIC's RSS), `--workers 2`, one
# forward VNF. 100 000 UDP packets of 1000 flows (tests/tools/mkflows_pcap.py: interleaved,
# per-flow sequence numbers and varied lengths in the payloads) are replayed with tcpreplay into
# host a and captured on host b. Checks:
#   1. both workers carry traffic of the one busy port: `nfctl ports` lists port p0's two RX
#      queues on workers 0 and 1, each with packets, and the stats' worker0_rx and worker1_rx
#      are both > 0 (only p0 receives);
#   2. every packet arrives, byte-exact, and in order per flow (mkflows_pcap.py --check);
#   3. nothing dropped inside flowmgr (drop_* counters 0), and `nfctl ports` shows both links up.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
FS_NS_QUEUES=2
export FS_NS_QUEUES
e2e_init e2e_multiqueue fsg
flows=${MQ_FLOWS:-1000}
per_flow=${MQ_PER_FLOW:-100}
pps=${MQ_PPS:-10000}
total=$((flows * per_flow))
E2E_FAIL_FILES=("$run/ports.txt" "$run/check.txt" "$run/tcpdump.log")

/usr/bin/python3 "$top/tests/tools/mkflows_pcap.py" "$run/sent.pcap" "$flows" "$per_flow"
# framecnt: 4096 frames per queue ring (8 MiB), so a worker descheduled for a while on a busy
# machine loses nothing (a full ring would also roll packets over to the other queue: reordered)
qp="qpairs=2,blocksz=4096,framesz=2048,framecnt=4096"
cat >"$run/chain.yaml" <<YAML
name: multiqueue
mbufs: 32767
ports:
  - {name: p0, dev: "net_af_packet0,iface=$(fs_ns_port "$ns" a),$qp"}
  - {name: p1, dev: "net_af_packet1,iface=$(fs_ns_port "$ns" b),$qp"}
vnfs:
  - {name: fwd, exec: forward, policy: drop}
YAML
E2E_LCORES=0@0,1@0,2@1 e2e_flowmgr "$run/chain.yaml" --workers 2
nfctl() { "$bin/nfctl" -s "$sock" "$@"; }

# the receiver first: everything host b's eth0 sees of the flows (promiscuous: the frames'
# MAC addresses are the pcap's), with a large buffer
ip netns exec "$ns-b" tcpdump -i eth0 -B 65536 -s 0 -U -w "$run/got.pcap" \
	'udp and dst port 5000' >"$run/tcpdump.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do grep -q "listening on" "$run/tcpdump.log" && break; sleep 0.1; done
grep -q "listening on" "$run/tcpdump.log" || e2e_fail "tcpdump did not start"

ip netns exec "$ns-a" tcpreplay -q -i eth0 --pps "$pps" "$run/sent.pcap" >"$run/tcpreplay.log" 2>&1 ||
	e2e_fail "tcpreplay failed: $(cat "$run/tcpreplay.log")"
# wait until the capture holds as many bytes as the replayed file (same record layout: tcpdump
# -U writes each packet as it reads it), or until neither flowmgr nor the capture made progress
# for 20 s (something was lost: the check below says what)
want=$(stat -c %s "$run/sent.pcap")
last="" still=0
while [[ $still -lt 40 ]]; do
	got=$(stat -c %s "$run/got.pcap" 2>/dev/null || echo 0)
	[[ $got -ge $want ]] && break
	now="$got $(e2e_counter worker_tx)"
	if [[ $now == "$last" ]]; then still=$((still + 1)); else still=0; fi
	last=$now
	sleep 0.5
done
nfctl ports >"$run/ports.txt"
nfctl --json stats >"$run/stats.json"
fs_stop_pid "${pids[-1]}" 5 # tcpdump: flush and close the file
unset 'pids[-1]'
cat "$run/ports.txt"

# 1. both workers carry the busy port's traffic
read -r w0 w1 q0 q1 qw0 qw1 up0 up1 drops < <(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = s["counters"]
p0 = s["ports"][0]
q = p0["queues"]
print(c["worker0_rx"], c["worker1_rx"], q[0]["rx_pkts"], q[1]["rx_pkts"], q[0]["worker"],
      q[1]["worker"], int(p0["link_up"]), int(s["ports"][1]["link_up"]),
      sum(v for k, v in c.items() if k.startswith("drop_")))' "$run/stats.json")
echo "e2e_multiqueue: worker0_rx=$w0 worker1_rx=$w1, p0 rxq0=$q0 (worker $qw0) rxq1=$q1 (worker $qw1)"
[[ $qw0 -eq 0 && $qw1 -eq 1 ]] || e2e_fail "p0's queues are not on workers 0 and 1 ($qw0, $qw1)"
[[ $w0 -gt 0 && $w1 -gt 0 && $q0 -gt 0 && $q1 -gt 0 ]] ||
	e2e_fail "one worker carried none of p0's traffic (worker0_rx=$w0 worker1_rx=$w1)"
[[ $((w0 + w1)) -eq $total ]] || e2e_fail "the workers received $((w0 + w1)) packets, $total sent"
if ! grep -q "^0 p0: link up" "$run/ports.txt" || ! grep -q "^1 p1: link up" "$run/ports.txt"; then
	e2e_fail "nfctl ports: a link is not up"
fi
[[ $up0 -eq 1 && $up1 -eq 1 ]] || e2e_fail "nfctl --json stats: a link is not up"
[[ $drops -eq 0 ]] || e2e_fail "flowmgr dropped $drops packets"

# 2. complete, byte-exact, in order per flow
/usr/bin/python3 "$top/tests/tools/mkflows_pcap.py" --check "$run/sent.pcap" "$run/got.pcap" \
	>"$run/check.txt" 2>&1 || e2e_fail "the flows did not arrive complete and in order"
cat "$run/check.txt"
echo "e2e_multiqueue: $total packets of $flows flows over 2 queues and 2 workers: byte-exact, in order"
echo "e2e_multiqueue: 1 passed, 0 failed"
