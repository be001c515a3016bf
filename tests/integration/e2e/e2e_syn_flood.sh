#!/usr/bin/env bash
# End to end: a paced SYN flood of twice the flow table's capacity per second for 10 s, while 1000
# established sessions keep exchanging packets (issue 4). tcpreplay sends the traffic from host a
# at a fixed rate into flowmgr (per-session counter VNF, a pool of 4096 sessions, exhaustion
# policy drop); tcpdump on host b captures what comes out.
#   * every packet of the established sessions gets through;
#   * the flood's SYN-only sessions are reclaimed, not the established ones (docs/flowtable.md
#     "Embryonic sessions"): every flood SYN began an embryonic session or was refused
#     (flow_embryonic + flow_exhausted_drop = the flood), once the pool was full the flood made
#     room by evicting its own (flow_syn_evicted > 0, no established session evicted), and at most
#     a tenth of what the table without the rule refused (the flood that did not fit) was refused;
#   * the pool never holds more sessions than its bound.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_syn_flood fsy
cap=4096
est=1000
per_s=$((2 * cap)) # new sessions per second
secs=11 # of traffic at the nominal rate; replayed 5 % faster, it lasts over 10 s
est_per_s=512 # packets of the established sessions per second (divides per_s)

cat >"$run/gen.py" <<'PY'
import struct, sys
out, est, per_s, secs, est_per_s = sys.argv[1], *map(int, sys.argv[2:6])

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def tcp(src, dst, sport, dport, flags):
    t = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 0, 0, 64, 6, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    e = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return e + ip + t + bytes(6)  # padded to 60 bytes

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    def put(p):
        f.write(struct.pack("<IIII", 0, 0, len(p), len(p))); f.write(p)
    server = [198, 19, 0, 2]
    for k in range(2):  # set-up: 2 packets per established session
        for i in range(est):
            put(tcp([198, 18, 4 + i // 256, i % 256], server, 40000, 80, 0x10))
    flood = 0
    ratio = per_s // est_per_s
    for s in range(secs):
        for j in range(per_s):
            put(tcp([198, 18, 128 + (flood >> 16) % 64, (flood >> 8) & 0xFF], server,
                    1024 + (flood & 0xFF) * 200 + (flood >> 22), 80, 0x02))  # a new SYN
            flood += 1
            if j % ratio == ratio - 1:
                i = (s * est_per_s + j // ratio) % est
                put(tcp([198, 18, 4 + i // 256, i % 256], server, 40000, 80, 0x10))
PY
python3 "$run/gen.py" "$run/flood.pcap" "$est" "$per_s" "$secs" "$est_per_s"
total=$((2 * est + secs * (per_s + est_per_s)))
n_est=$((2 * est + secs * est_per_s))
pps=$(((per_s + est_per_s) * 105 / 100))

cat >"$run/chain.yaml" <<YAML
name: syn-flood
sessions: $cap
exhaust: drop
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - {name: ctr, exec: counter, session: 5tuple, scratchpad: 24, timeout_ms: 60000, policy: drop}
YAML
e2e_flowmgr "$run/chain.yaml"
ip netns exec "$ns-b" tcpdump -i eth0 -n -w "$run/out.pcap" -U "tcp" >"$run/tcpdump.log" 2>&1 &
pids+=("$!")
sleep 1
start=$(date +%s.%N)
ip netns exec "$ns-a" tcpreplay -q --pps="$pps" -i eth0 "$run/flood.pcap" >"$run/replay.log" 2>&1 ||
	e2e_fail "tcpreplay failed: $(cat "$run/replay.log")"
end=$(date +%s.%N)
sleep 1
stats=$("$bin/nfctl" -s "$sock" --json status)
fs_stop_pid "${pids[-1]}" 5 # tcpdump: flush the capture
unset 'pids[-1]'
got_est=$(tcpdump -n -r "$run/out.pcap" "src net 198.18.4.0/22" 2>/dev/null | wc -l)
python3 - "$start" "$end" "$total" "$n_est" "$got_est" "$cap" "$est" <<PY || e2e_fail "flood test"
import json, sys
start, end = float(sys.argv[1]), float(sys.argv[2])
total, n_est, got_est, cap, est = map(int, sys.argv[3:8])
c = json.loads('''$stats''')["counters"]
flood = total - n_est
secs = end - start
print(f"e2e_syn_flood: {flood} new sessions in {secs:.1f} s ({flood / secs:.0f}/s, pool {cap}); "
      f"{c['flow_exhausted_drop']} refused (without the rule: {flood - (cap - est)}); "
      f"embryonic {c['flow_embryonic']}, syn_evicted {c['flow_syn_evicted']}, syn_reclaimed "
      f"{c['flow_syn_reclaimed']}, evicted {c['flow_evicted']}; sessions {c['sessions']}; "
      f"established {got_est}/{n_est} packets through")
assert c["worker_rx"] == total, f"flowmgr received {c['worker_rx']} of {total}"
assert secs >= 10 and flood / secs >= 2 * cap, "not 2x the pool per second for 10 s"
assert got_est == n_est, "packets of established sessions were lost"
assert c["sessions"] <= cap and c["fcb_in_use"] <= cap, "pool above its bound"
assert c["flow_embryonic"] + c["flow_exhausted_drop"] == flood, "flood SYNs unaccounted for"
assert c["flow_syn_evicted"] > 0, "the flood never made room from its own sessions"
assert c["flow_evicted"] == 0, "an established session was evicted"
assert c["flow_exhausted_drop"] <= (flood - (cap - est)) // 10, "the flood was still refused"
assert c["drop_no_fcb"] == c["flow_exhausted_drop"]
PY
echo "e2e_syn_flood: 1 passed, 0 failed"
