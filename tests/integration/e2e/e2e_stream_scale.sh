#!/usr/bin/env bash
# End to end: the TCP context at flow-table scale (issue 13, Done-when 2). A generated capture
# (tests/tools/mkscale_pcaps.py) of N connections open at once (default 100 000: 200 000
# directions, 987 500 packets), each with the word ATTACK split across two segments and every 8th
# sending them out of order, is replayed through one in_order ids (net_pcap ports, as fast as
# flowmgr reads), twice:
#   1. --workers 1, the whole capture on one RX queue;
#   2. --workers 2, the same capture split into two RX queues by a symmetric hash of the tuple
#      (mkscale_pcaps.py --queues 2: one rx_pcap per queue, ports `rx_symmetric: true`), so each
#      worker's context follows its half of the connections.
# Checks, each run: exactly one alert of sid 1 and one of sid 2 per connection (N distinct
# connections each); flowmgr refused nothing (tcp_dirs_full, tcp_no_session, budget refusals 0),
# held the out-of-order segments and put them back, its budget gauges stayed within their bounds;
# with 2 workers both contexts carried connections. Then: the two runs' alerts (sid, connection)
# are the same. Prints the hugepage memory flowmgr held (its DPDK hugepage files) in each run.
# Sessions idle out after 600 s, not 2 s: a connection waits for every handshake and every earlier
# group's data (seconds of wall time on a loaded machine at 100 000). E2E_SCALE_N overrides N (sessions are sized to fit). The capture is cached in the build
# directory (build/cache/), keyed by N and the generator's checksum.
set -euo pipefail
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh"
pcap_init e2e_stream_scale fsi
n=${E2E_SCALE_N:-100000}
# one session per connection on its worker; the table at least twice the connections it holds
sessions=65536
while ((sessions < 2 * n + 1024)); do sessions=$((sessions * 2)); done
gen=$top/tests/tools/mkscale_pcaps.py
cache=${FS_BUILD_DIR:-$top/build}/cache
mkdir -p "$cache"
base=$cache/scale-$n-$(cksum <"$gen" | cut -d' ' -f1)
if [[ ! -s $base.txt || ! -s $base.q1.pcap ]]; then
	python3 "$gen" "$base.pcap" "$n" --queues 2 >"$base.tmp" || fail "mkscale_pcaps.py"
	mv "$base.tmp" "$base.txt"
fi
total=$(sed -n 's/.* packets=\([0-9]*\).*/\1/p' "$base.txt")
[[ -n $total ]] || fail "no packet count in $base.txt"

# hugepages — bytes of hugepage files flowmgr's run holds (PCAP_HOOK, before it stops)
hugepages() {
	local f sum=0
	for f in /dev/hugepages/"$prefix"map_* /dev/hugepages/*/"$prefix"map_*; do
		[[ -e $f ]] && sum=$((sum + $(stat -c %s "$f")))
	done
	echo "$sum" >"$run/huge.txt"
}

# scale_run WORKERS — replays the capture; keeps run/wN.alerts, run/wN.json, run/wN.huge
scale_run() {
	local w=$1 i p0 p1
	if [[ $w -eq 1 ]]; then
		p0="net_pcap0,rx_pcap=$base.pcap,tx_pcap=/dev/null"
		p1="net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=/dev/null"
	else
		p0="net_pcap0" p1="net_pcap1"
		for ((i = 0; i < w; i++)); do
			p0+=",rx_pcap=$base.q$i.pcap,tx_pcap=/dev/null"
			p1+=",rx_pcap=$run/empty.pcap,tx_pcap=/dev/null"
		done
	fi
	cat >"$run/chain.yaml" <<YAML
name: ids-scale
sessions: $sessions
ports:
  - {name: p0, dev: "$p0", rx_symmetric: true}
  - {name: p1, dev: "$p1", rx_symmetric: true}
vnfs:
  - name: ids
    exec: ids
    args: ["--rules", "$top/tests/tools/ids_rules.txt", "--action", "alert",
           "--alerts", "$run/alerts"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 256
    timeout_ms: 600000
    flags: [in_order]
    policy: drop
YAML
	pcap_vnf_file "$run/alerts" # the launched ids runs as the service user
	local lc=0@0,1@1
	[[ $w -eq 2 ]] && lc=0@0,1@0,2@1
	PCAP_FM_ARGS="--workers $w" PCAP_LCORES=$lc PCAP_WAIT=1200 PCAP_HOOK=hugepages \
		pcap_replay "$run/chain.yaml" "$total"
	cp "$run/alerts" "$run/w$w.alerts"
	cp "$run/stats.json" "$run/w$w.json"
	cp "$run/huge.txt" "$run/w$w.huge"
}

for w in 1 2; do
	t0=$(date +%s.%N)
	scale_run "$w"
	t1=$(date +%s.%N)
	echo "e2e_stream_scale: --workers $w: $n concurrent connections ($total packets) in" \
		"$(python3 -c "print('%.1f' % ($t1 - $t0))") s, flowmgr's hugepages" \
		"$(($(cat "$run/w$w.huge") >> 20)) MiB (sessions: $sessions per worker)"
done

python3 - "$run" "$n" <<'PY' || fail "alerts or counters"
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
got = {}
for w in (1, 2):
    per = got[w] = alerts(f"{run}/w{w}.alerts")
    for sid in ("1", "2"):
        conns = [k for k in per if k[0] == sid]
        once = sum(1 for k in conns if per[k] == 1)
        print(f"e2e_stream_scale: --workers {w}: sid {sid}: {len(conns)} connections alerted, "
              f"{once} exactly once (of {n})")
        assert len(conns) == n and once == n, f"--workers {w}: sid {sid}: not one alert per connection"
    c = json.load(open(f"{run}/w{w}.json"))["counters"]
    keys = ["tcp_dirs_opened"] + [f"worker{i}_tcp_dirs_opened" for i in range(w)] + [
        "tcp_dirs_full", "tcp_held", "tcp_released_in_order", "tcp_ooo_budget_drops",
        "tcp_budget_refused", "tcp_copies_refused", "tcp_ooo_full", "tcp_budget_held_peak",
        "tcp_budget_held_max", "tcp_budget_copies_peak", "tcp_budget_copies_max", "tcp_dir_bytes",
        "mbuf_avail"]
    print(f"e2e_stream_scale: --workers {w}: " + " ".join(f"{k}={c.get(k)}" for k in keys))
    assert c["tcp_dirs_opened"] >= 2 * n, "fewer directions than the capture has"
    for k in ("tcp_dirs_full", "tcp_acks_unsent", "tcp_ooo_budget_drops", "tcp_budget_refused",
              "tcp_copies_refused", "tcp_ooo_full", "tcp_no_session"):
        assert c.get(k, 0) == 0, f"--workers {w}: {k} = {c.get(k)}"
    assert c["tcp_held"] >= n // 8 and c["tcp_released_in_order"] >= n // 8, "no out-of-order hold"
    assert c["tcp_budget_held_peak"] <= c["tcp_budget_held_max"]
    assert c["tcp_budget_copies_peak"] <= c["tcp_budget_copies_max"]
    per_w = [c[f"worker{i}_tcp_dirs_opened"] for i in range(w)]
    assert sum(per_w) == c["tcp_dirs_opened"], "the per-worker directions do not add up"
    assert all(x > 0 for x in per_w), f"--workers {w}: a worker's context carried nothing: {per_w}"
assert got[1] == got[2], f"the runs' alerts differ: {len(set(got[1]) ^ set(got[2]))} pairs"
print("e2e_stream_scale: the same alerts with 1 and 2 workers")
PY
echo "e2e_stream_scale: 1 passed, 0 failed"
