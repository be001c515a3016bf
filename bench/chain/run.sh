#!/usr/bin/env bash
# bench/run.sh chain — packets per second and latency through flowmgr plus K = 0..5 forward VNF
# processes, polling vs shared-core, in one run (same machine, same minute, alternated per K).
#
# Ports: net_pcap replaying a 64-byte UDP capture endlessly (infinite_rx) into p0, both ports
# transmitting to /dev/null: the figures are the platform's own cost (RX → classify → K ring hops
# → TX), not a NIC's. Latency is RX-to-TX inside flowmgr (log2 histogram, flowmgr counters
# latency_ns_*), measured at saturation, so it is dominated by queueing in the rings.
#
# Env: FS_BENCH_SECONDS (measure window, default 3), FS_BENCH_MAXK (default 5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$FS_BUILD_DIR/bin
csv=${FS_BENCH_CSV:-$top/bench/results/chain.csv}
secs=${FS_BENCH_SECONDS:-3}
maxk=${FS_BENCH_MAXK:-5}
# shellcheck source=deploy/lib/netns.sh
. "$top/deploy/lib/netns.sh" # shellcheck disable=SC1091
"$top/deploy/hugepages.sh" >/dev/null

run=$(mktemp -d /tmp/fsbench-chain.XXXXXX)
pids=()
prefix=fsbc$$
cleanup() {
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 5 || true; done
	pids=()
	fs_cleanup_dpdk "$prefix" || true
}
trap 'cleanup; rm -rf "$run"' EXIT

python3 "$top/bench/tools/mkpcap.py" "$run/in.pcap" 4096 256 64
python3 "$top/bench/tools/mkpcap.py" "$run/empty.pcap" 0 1

stats() { "$bin/nfctl" -s "$run/fm.sock" --json status; }

# measure K MODE -> prints "mpps p50 p99"
measure() {
	local k=$1 mode=$2 poll=() i
	[[ $mode == poll ]] && poll=(--poll)
	{
		echo "name: bench-chain"
		echo "ports:"
		echo "  - {name: p0, dev: \"net_pcap0,rx_pcap=$run/in.pcap,infinite_rx=1,tx_pcap=/dev/null\"}"
		echo "  - {name: p1, dev: \"net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=/dev/null\"}"
		echo "vnfs:"
		for ((i = 1; i <= k; i++)); do echo "  - {name: v$i, policy: drop}"; done
		[[ $k -eq 0 ]] && echo "  []" >/dev/null
	} >"$run/chain.yaml"
	[[ $k -eq 0 ]] && sed -i 's/^vnfs:$/vnfs: []/' "$run/chain.yaml"
	"$bin/flowmgr" -c "$run/chain.yaml" -s "$run/fm.sock" --wait-vnfs "${poll[@]}" -- \
		--file-prefix "$prefix" --lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 100); do stats >/dev/null 2>&1 && break; sleep 0.1; done
	for ((i = 1; i <= k; i++)); do
		"$bin/forward" --name "v$i" --socket "$run/fm.sock" --file-prefix "$prefix" \
			"${poll[@]}" >"$run/v$i.log" 2>&1 &
		pids+=("$!")
	done
	sleep 2 # attach + warm-up
	stats >"$run/a.json"
	sleep "$secs"
	stats >"$run/b.json"
	cleanup
	python3 - "$run/a.json" "$run/b.json" "$secs" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
secs = float(sys.argv[3])
ca = a["counters"]
cb = b["counters"]
tx = cb["worker_tx"] - ca["worker_tx"]
hist = sorted((int(n.split("_")[-1]), cb[n] - ca.get(n, 0)) for n in cb if n.startswith("latency_ns_"))
tot = sum(v for _, v in hist)
def pct(p):
    acc = 0
    for lo, v in hist:
        acc += v
        if tot and acc >= p * tot:
            return 2 * lo  # upper bound of the bucket
    return 0
print(f"{tx / secs / 1e6:.3f} {pct(0.5)} {pct(0.99)}")
PY
}

echo "mode,vnfs,mpps,latency_p50_ns_le,latency_p99_ns_le,scratchpad,classification" >"$csv"
printf '%-7s %4s %9s %14s %14s\n' mode vnfs Mpps "p50 (ns, <=)" "p99 (ns, <=)"
declare -A res
for ((k = 0; k <= maxk; k++)); do
	for mode in poll shared; do
		read -r mpps p50 p99 < <(measure "$k" "$mode")
		res[$mode,$k]=$mpps
		printf '%-7s %4d %9s %14s %14s\n' "$mode" "$k" "$mpps" "$p50" "$p99"
		echo "$mode,$k,$mpps,$p50,$p99,none,combined" >>"$csv"
	done
done
echo
echo "ratio shared/poll per K (same run):"
for ((k = 0; k <= maxk; k++)); do
	python3 -c "import sys; p,s=float(sys.argv[1]),float(sys.argv[2]); print(f'  K={sys.argv[3]}: {s/p:.2f}' if p else '  K=0: n/a')" \
		"${res[poll,$k]}" "${res[shared,$k]}" "$k"
done
echo
echo "not measured yet: direct vs indirect scratchpads and independent (per-VNF) classification"
echo "(they need per-session scratchpads in nfsdk, not built yet); written to $csv"
