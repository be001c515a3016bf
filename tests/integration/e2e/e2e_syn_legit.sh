#!/usr/bin/env bash
# End to end: new connections complete while a SYN flood fills the flow table (issue 13 item 1,
# embryonic sessions: docs/flowtable.md "Embryonic sessions"). Two Linux hosts through flowmgr
# (a per-session counter VNF, 5-tuple sessions, 60 s timeout, a pool of 1024 sessions, exhaustion
# policy drop). Host a downloads a file from host b (rate-limited, established before the flood);
# then tcpreplay sends spoofed SYNs of 2048 new tuples to b's server, over and over, at top speed
# (b answers each with a SYN-ACK: reply sessions, embryonic too). Once the table is full, host a
# opens 20 new connections to b, one after the other, each within 5 s. Checks:
#   * the table was full when the connections started and while they were made (SYN-only
#     sessions were evicted before and during them: that happens only at a full pool);
#   * every new connection completed (curl fetched the file byte-exact): the SYN-only sessions
#     made room (flow_syn_evicted > 0), no established session was evicted (flow_evicted = 0);
#   * the download established before the flood completes byte-exact;
#   * the pool never held more sessions than its bound.
# With the rule off (E2E_SYN_TIMEOUT=0: syn_timeout_ms 0, the table before issue 13) the new
# connections are refused (drop_no_fcb) and the test fails.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_syn_legit fsy2
cap=1024
conns=20
E2E_FAIL_FILES=("$run/curls.log" "$run/full.log")

mkdir -p "$run/www"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$run/www/big.bin"
head -c 2000 /dev/urandom >"$run/www/small.bin"
ip netns exec "$ns-b" python3 -c '
import http.server, os, sys
os.chdir(sys.argv[2])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], 8080), H).serve_forever()' "$b" "$run/www" \
	>"$run/srv.log" 2>&1 &
pids+=("$!")

mac_a=$(ip -n "$ns-a" -br link show eth0 | awk '{print $3}')
mac_b=$(ip -n "$ns-b" -br link show eth0 | awk '{print $3}')
python3 - "$run/syn.pcap" "$mac_a" "$mac_b" "$b" "$((2 * cap))" <<'PY'
import struct, sys
out, mac_a, mac_b, dst, n = sys.argv[1], *sys.argv[2:5], int(sys.argv[5])
smac, dmac = bytes.fromhex(mac_a.replace(":", "")), bytes.fromhex(mac_b.replace(":", ""))
dip = bytes(int(x) for x in dst.split("."))

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):  # spoofed sources in 198.19.0.0/16, no host answers for them
        sip = bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF])
        t = struct.pack("!HHIIBBHHH", 30000 + (i >> 16), 8080, 7000, 0, 0x50, 0x02, 65535, 0, 0)
        t = t[:16] + struct.pack("!H", csum(sip + dip + struct.pack("!BBH", 0, 6, len(t)) + t)) + t[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 0, 0, 64, 6, 0, sip, dip)
        p = dmac + smac + b"\x08\x00" + ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + t
        p += bytes(max(0, 60 - len(p)))
        f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)
PY

syn_line=""
[[ -n ${E2E_SYN_TIMEOUT:-} ]] && syn_line="syn_timeout_ms: $E2E_SYN_TIMEOUT"
cat >"$run/chain.yaml" <<YAML
name: syn-legit
sessions: $cap
exhaust: drop
$syn_line
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
vnfs:
  - {name: ctr, exec: counter, session: 5tuple, scratchpad: 24, timeout_ms: 60000, policy: drop}
YAML
e2e_flowmgr "$run/chain.yaml"

# counter NAME — one counter of nfctl status
counter() {
	"$bin/nfctl" -s "$sock" --json status | python3 -c '
import json, sys
print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

fs_ns_exec "$ns" a curl -sS --fail --max-time 120 --limit-rate 256K -o "$run/big.got" \
	"http://$b:8080/big.bin" >"$run/big.log" 2>&1 &
dl=$!
sleep 1
(while :; do ip netns exec "$ns-a" tcpreplay -q --topspeed -i eth0 "$run/syn.pcap" \
	>>"$run/replay.log" 2>&1; done) &
fl=$!
pids+=("$fl")

# The flood fills the table (within 20 s): the proof is a SYN-only session evicted, which happens
# only at a full pool (or with fewer than max(4, sessions/64) slots free: the headroom rule,
# docs/flowtable.md). A sample of fcb_in_use is not: with the headroom (16 here) the pool stays
# up to 16 slots short of full when the VNF acknowledges the releases quickly, and the gate used
# to wait for cap - 8 in use (it failed once in five full runs under stress-ng).
full=0
for _ in $(seq 1 100); do
	ev=$(counter flow_syn_evicted)
	s=$(counter fcb_in_use)
	echo "fcb_in_use $s flow_syn_evicted $ev" >>"$run/full.log"
	if ((ev > 0)); then
		full=1
		break
	fi
	sleep 0.2
done
((full)) || e2e_fail "the flood never filled the table (no SYN-only session evicted in 20 s)"

ok=0
ev0=$(counter flow_syn_evicted)
for i in $(seq 1 "$conns"); do
	if fs_ns_exec "$ns" a curl -sS --fail --max-time 5 -o "$run/small$i.got" \
		"http://$b:8080/small.bin" >>"$run/curls.log" 2>&1 &&
		cmp -s "$run/small$i.got" "$run/www/small.bin"; then
		ok=$((ok + 1))
	else
		echo "connection $i failed" >>"$run/curls.log"
	fi
done
after=$(counter fcb_in_use)
ev1=$(counter flow_syn_evicted)
wait "$dl" || e2e_fail "the established download failed: $(cat "$run/big.log")"
fs_stop_pid "$fl" 5
unset 'pids[-1]'
stats=$("$bin/nfctl" -s "$sock" --json status)
cmp -s "$run/big.got" "$run/www/big.bin" || e2e_fail "the established download is corrupt"
python3 - "$ok" "$conns" "$cap" "$after" "$ev0" "$ev1" <<PY || e2e_fail "checks"
import json, sys
ok, conns, cap, after, ev0, ev1 = map(int, sys.argv[1:7])
c = json.loads('''$stats''')["counters"]
keys = ["worker_rx", "flow_embryonic", "flow_syn_established", "flow_syn_reclaimed",
        "flow_syn_evicted", "flow_evicted", "flow_exhausted_drop", "drop_no_fcb", "sessions",
        "fcb_in_use"]
print(f"e2e_syn_legit: {ok}/{conns} new connections completed during the flood (pool {cap}, "
      f"{after} in use after them, {ev1 - ev0} SYN-only sessions evicted while they were made); "
      + " ".join(f"{k}={c.get(k)}" for k in keys))
# The flood kept the pool full while the connections were made: SYN-only sessions are evicted
# only from a full pool. (One sample of fcb_in_use after them depends on where the replay loop
# stands on a loaded machine: between two tcpreplay runs the table drains.)
assert ev1 > ev0, "the pool was never full while the connections were made (no SYN-only eviction)"
assert ok == conns, "new connections failed during the SYN flood"
assert c["flow_syn_evicted"] > 0, "no SYN-only session was evicted"
assert c["flow_evicted"] == 0, "an established session was evicted"
assert c["flow_syn_established"] >= 2 * conns, "the connections did not become established"
assert c["sessions"] <= cap and c["fcb_in_use"] <= cap, "pool above its bound"
PY
echo "e2e_syn_legit: 1 passed, 0 failed"
