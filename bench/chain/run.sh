#!/usr/bin/env bash
# bench/run.sh chain — packets per second and latency through flowmgr plus K = 1..5 stateful VNF
# processes (nfs/counter: per-session packet/byte counters), in one run, alternated per K:
#   combined-direct     one classification in flowmgr, scratchpads inline in the FCB
#   combined-indirect   same, scratchpads in each VNF's isolated pool
#   independent         each VNF parses every packet and keeps its own flow table (rte_hash),
#                       the way a chain of independent VNFs works
# each in polling mode (every process busy-polls) and shared-core mode (idle VNFs sleep).
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
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
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

# measure K MODE VARIANT -> prints "mpps p50 p99"
measure() {
	local k=$1 mode=$2 variant=$3 poll=() vargs=() i decl
	[[ $mode == poll ]] && poll=(--poll)
	case $variant in
	combined-direct) decl="session: 5tuple, scratchpad: 24, isolation: direct" ;;
	combined-indirect) decl="session: 5tuple, scratchpad: 24, isolation: indirect" ;;
	independent)
		decl="session: ''"
		vargs=(-- --independent)
		;;
	esac
	{
		echo "name: bench-chain"
		echo "sessions: 4096"
		echo "ports:"
		echo "  - {name: p0, dev: \"net_pcap0,rx_pcap=$run/in.pcap,infinite_rx=1,tx_pcap=/dev/null\"}"
		echo "  - {name: p1, dev: \"net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=/dev/null\"}"
		echo "vnfs:"
		for ((i = 1; i <= k; i++)); do echo "  - {name: v$i, $decl, policy: drop}"; done
	} >"$run/chain.yaml"
	"$bin/flowmgr" -c "$run/chain.yaml" -s "$run/fm.sock" --wait-vnfs "${poll[@]}" -- \
		--file-prefix "$prefix" --lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 100); do stats >/dev/null 2>&1 && break; sleep 0.1; done
	for ((i = 1; i <= k; i++)); do
		"$bin/counter" --name "v$i" --socket "$run/fm.sock" --file-prefix "$prefix" \
			"${poll[@]}" "${vargs[@]}" >"$run/v$i.log" 2>&1 &
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

echo "mode,variant,vnfs,mpps,latency_p50_ns_le,latency_p99_ns_le" >"$csv"
printf '%-7s %-18s %4s %9s %14s %14s\n' mode variant vnfs Mpps "p50 (ns, <=)" "p99 (ns, <=)"
declare -A res
variants=(combined-direct combined-indirect independent)
for ((k = 1; k <= maxk; k++)); do
	for mode in poll shared; do
		for v in "${variants[@]}"; do
			read -r mpps p50 p99 < <(measure "$k" "$mode" "$v")
			res[$mode,$v,$k]=$mpps
			printf '%-7s %-18s %4d %9s %14s %14s\n' "$mode" "$v" "$k" "$mpps" "$p50" "$p99"
			echo "$mode,$v,$k,$mpps,$p50,$p99" >>"$csv"
		done
	done
done
echo
echo "ratios, same run (combined-direct / independent; indirect / direct; shared / poll for combined-direct):"
for ((k = 1; k <= maxk; k++)); do
	python3 - "$k" "${res[poll,combined-direct,$k]}" "${res[poll,independent,$k]}" \
		"${res[shared,combined-direct,$k]}" "${res[shared,independent,$k]}" \
		"${res[shared,combined-indirect,$k]}" <<'PY'
import sys
k = sys.argv[1]
pd, pi, sd, si, sin = (float(x) for x in sys.argv[2:])
r = lambda a, b: f"{a / b:.2f}" if b else "n/a"
print(f"  K={k}: poll {r(pd, pi)}x  shared {r(sd, si)}x  indirect/direct (shared) {r(sin, sd)}  "
      f"shared/poll {r(sd, pd)}")
PY
done
echo "written to $csv"
