#!/usr/bin/env bash
# End to end: the TCP context's memory under attack (issue 13, "Done when" 3). Two Linux hosts
# through flowmgr and an in_order VNF (nfs/tcpcheck); host a downloads 4 files from host b while,
# from host a, tcpreplay sends at top speed, over and over until the downloads end:
#   round ooo — spoofed out-of-order segments across 4000 tuples (each tuple one segment that
#     starts its stream, then 16 beyond a gap: held), 17 x 4000 packets a pass: more than the
#     whole mbuf pool would hold if nothing bounded them;
#   round syn — SYNs of new tuples, twice the session table (4096) a pass: every slot filled.
# Checks, each round:
#   * the downloads complete byte-exact (sha256 of what curl wrote = the file), and the VNF saw
#     every stream byte once and in order (tcpcheck's order_violations = 0);
#   * the shared mbuf pool never emptied: its free count, sampled during the round, stayed above
#     a quarter of the pool;
#   * what did not fit was refused and counted: ooo — tcp_ooo_budget_drops > 0 and the held
#     segments never above their bound (tcp_budget_held_peak <= tcp_budget_held_max); syn — the
#     SYNs filled the session table and made room by evicting their own SYN-only sessions
#     (flow_syn_evicted > 0, docs/flowtable.md "Embryonic sessions"), never an established one
#     (flow_evicted = 0), and the TCP context never refused a session the flow table took
#     (tcp_dirs_full = 0).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_stream_exhaust fsh
prefix=fsi$$ # DPDK file prefix (netns fsh-*)
E2E_FAIL_FILES=("$run/report" "$run/tcp-progress.log")
mb=${E2E_MB:-24}
pool=16383

mkdir -p "$run/www"
head -c $((mb * 1024 * 1024)) /dev/urandom >"$run/www/big.bin"
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
python3 - "$run" "$mac_a" "$mac_b" "$b" <<'PY'
import struct, sys
run, mac_a, mac_b, dst = sys.argv[1], *sys.argv[2:5]
smac, dmac = bytes.fromhex(mac_a.replace(":", "")), bytes.fromhex(mac_b.replace(":", ""))
dip = bytes(int(x) for x in dst.split("."))

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def tcp(i, seq, flags, pay=b""):
    sip = bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF])
    t = struct.pack("!HHIIBBHHH", 20000 + (i >> 16), 8080, seq, 1, 0x50, flags, 65535, 0, 0) + pay
    t = t[:16] + struct.pack("!H", csum(sip + dip + struct.pack("!BBH", 0, 6, len(t)) + t)) + t[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 0, 0, 64, 6, 0, sip, dip)
    f = dmac + smac + b"\x08\x00" + ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + t
    return f + bytes(max(0, 60 - len(f)))

def write(name, frames):
    with open(f"{run}/{name}.pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for p in frames:
            f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)

tuples = 4000
write("ooo", [tcp(i, 1000, 0x18, b"x" * 10) for i in range(tuples)] +
      [tcp(i, 1100 + 20 * k, 0x18, b"y" * 10) for k in range(16) for i in range(tuples)])
write("syn", [tcp(10000 + i, 5000, 0x02) for i in range(2 * 4096)])
PY

# round NAME — a fresh flowmgr, the downloads, the flood NAME over and over until they end.
round() {
	local name=$1 cpids=() i fl sm fm
	cat >"$run/chain.yaml" <<YAML
name: stream-exhaust
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
mbufs: $pool
sessions: 4096
exhaust: drop
vnfs:
  - name: chk
    exec: tcpcheck
    args: ["--report", "$run/report"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 16
    timeout_ms: 5000
    flags: [in_order]
    policy: drop
YAML
	e2e_flowmgr "$run/chain.yaml"
	fm=${pids[-1]}
	(while :; do "$bin/nfctl" -s "$sock" --json stats 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["counters"]["mbuf_avail"])' 2>/dev/null; sleep 0.05; done) \
		>"$run/$name.avail" &
	sm=$!
	pids+=("$sm")
	for i in 1 2 3 4; do
		fs_ns_exec "$ns" a curl -sS --fail --max-time 200 --limit-rate 6M \
			-o "$run/got$i.bin" "http://$b:8080/big.bin" >"$run/curl$i.log" 2>&1 &
		cpids+=("$!")
	done
	sleep 0.5
	(while :; do ip netns exec "$ns-a" tcpreplay -q --topspeed -i eth0 "$run/$name.pcap" \
		>>"$run/$name.replay.log" 2>&1; done) &
	fl=$!
	pids+=("$fl")
	for i in 1 2 3 4; do
		wait "${cpids[i - 1]}" || e2e_fail "$name: download $i failed: $(cat "$run/curl$i.log")"
	done
	fs_stop_pid "$fl" 5
	fs_stop_pid "$sm" 5
	sleep 0.5
	"$bin/nfctl" -s "$sock" --json stats >"$run/$name.stats"
	e2e_report "$(e2e_vnf_pid chk)" "$run/report" none >/dev/null
	for i in 1 2 3 4; do
		cmp -s "$run/got$i.bin" "$run/www/big.bin" || e2e_fail "$name: download $i corrupt"
	done
	python3 - "$name" "$run/$name.stats" "$run/$name.avail" "$run/report" "$pool" "$mb" <<'PY' ||
import json, sys
name, stats, avail, report, pool, mb = sys.argv[1:7]
c = json.load(open(stats))["counters"]
av = [int(x) for x in open(avail).read().split()]
rep = dict(l.split()[:2] for l in open(report) if len(l.split()) >= 2)
keys = ["worker_rx", "tcp_dirs_opened", "tcp_dirs_full", "tcp_held", "tcp_ooo_full",
        "tcp_ooo_budget_drops", "tcp_budget_refused", "tcp_budget_held_peak",
        "tcp_budget_held_max", "tcp_budget_copies_peak", "tcp_budget_copies_max",
        "flow_exhausted_drop", "flow_syn_evicted", "flow_evicted", "sessions"]
print(f"e2e_stream_exhaust: {name}: 4 x {mb} MB byte-exact; mbuf_avail min {min(av)} of {pool} "
      f"({len(av)} samples); " + " ".join(f"{k}={c.get(k)}" for k in keys) +
      f"; VNF: {rep.get('stream_bytes')} bytes, {rep.get('order_violations')} out of order")
assert len(av) >= 5, "too few samples of the mbuf pool"
assert min(av) > int(pool) // 4, "the mbuf pool ran low"
assert int(rep["order_violations"]) == 0, "the VNF saw bytes out of order"
assert c["tcp_budget_held_peak"] <= c["tcp_budget_held_max"]
assert c["tcp_budget_copies_peak"] <= c["tcp_budget_copies_max"]
if name == "ooo":
    assert c["tcp_ooo_budget_drops"] > 0, "the flood never reached the budget"
    assert c["tcp_budget_held_peak"] == c["tcp_budget_held_max"]
else:
    assert c["flow_syn_evicted"] > 0, "the SYNs never filled the session table"
    assert c["flow_evicted"] == 0, "an established session was evicted"
    assert c["tcp_dirs_full"] == 0, "the TCP context refused a session"
PY
		e2e_fail "$name: checks"
	fs_stop_pid "$fm" 10
	pids=("${pids[@]:0:${#pids[@]}-3}") # flowmgr, the sampler, the flood loop: stopped
	fs_cleanup_dpdk "$prefix"
	rm -f "$run"/got*.bin
}

e2e_tcp_progress "$run/tcp-progress.log"
round ooo
round syn
echo "e2e_stream_exhaust: 1 passed, 0 failed"
