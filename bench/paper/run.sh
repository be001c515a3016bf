#!/usr/bin/env bash
# bench/run.sh paper [--quick] — the paper's evaluation (§V, Figs. 1 and 14-17) on this machine in
# one command, reusing the benches that measure the same things, each against its peer in the
# same run, then every figure as SVG (docs/img/paper_fig*.svg, gnuplot) and a table with the
# paper's numbers beside ours (bench/results/paper.md; docs/benchmarks.md "Paper figures"):
#
#   Fig. 1   bench/classify (in-process: combined tree vs K rte_hash tables, K = 1..5) and
#            bench/chain (flowmgr + K counter VNF processes, combined vs independent, Mpps)
#   Fig. 14  bench/paper/bed.sh fig14: HTTP goodput vs object size through the LB vs HAProxy
#            and nginx (and flowmgr + forward, Linux routing: the upper bounds)
#   Fig. 15  bench/stream: state / stream / alert / mask / remove / replace vs Suricata and nginx
#            sub_filter (throughput, and CPU-seconds per GB for alert and the rewrites)
#   Fig. 16  bench/chain's latency and bench/paper/bed.sh fig16: flow completion time and packet
#            latency vs the number of VNFs, combined vs independent
#   Fig. 17  bench/paper/bed.sh fig17: nat, nat + stats, fw-nat-flowmon-lb chains vs the Linux
#            kernel doing the same job, on 1 CPU (taskset -c 0) and on every CPU
#
# Each step holds /tmp/fs-e2e.lock on its own (several short holds, not one long one): do not
# wrap this command in flock. FS_PAPER_LOCK=none runs without the lock. The CSVs of the steps go
# to bench/results/paper/ (the benches' own bench/results/NAME.csv stay as they are).
# --quick: one round, shorter windows, fewer points (~8 min of lock time); a full run ~25 min of
# lock time (steps: classify 1, chain 4, stream 6, fig14 5, fig16 4, fig17 2 x 2.5), plus whatever
# the shared lock makes it wait between steps.
# Env: FS_PAPER_STEPS (default "classify chain stream fig14 fig16 fig17"; plot always runs),
#      FS_BENCH_NS for the test beds (default fsbp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export FS_BUILD_DIR=${FS_BUILD_DIR:-$top/build}
quick=0
if [[ ${1:-} == --quick ]]; then
	quick=1
	shift
fi
[[ $# -eq 0 ]] || { echo "usage: bench/run.sh paper [--quick]" >&2; exit 2; }
steps=${FS_PAPER_STEPS:-classify chain stream fig14 fig16 fig17}
lockf=${FS_PAPER_LOCK:-/tmp/fs-e2e.lock}
out=$top/bench/results/paper
mkdir -p "$out"
export FS_BENCH_NS=${FS_BENCH_NS:-fsbp}

# Every peer and tool must be there: a missing one is an error, never a skipped figure.
for t in suricata nginx haproxy wrk iperf3 curl gnuplot nft taskset python3 flock; do
	command -v "$t" >/dev/null || { echo "bench paper: $t not found (run deploy/install-deps.sh)" >&2; exit 1; }
done

locked() { # locked CMD... — runs CMD holding the e2e lock (unless FS_PAPER_LOCK=none)
	if [[ $lockf == none ]]; then "$@"; else flock -w 1800 "$lockf" "$@"; fi
}
has() { [[ " $steps " == *" $1 "* ]]; }
q=()
[[ $quick -eq 1 ]] && q=(--quick)
t_start=$(date +%s)
step() { echo; echo "=== bench paper: $* ($(($(date +%s) - t_start)) s in; load $(cut -d' ' -f1 /proc/loadavg)) ==="; }

if has classify; then
	step "Fig. 1 (in-process): bench/classify"
	FS_BENCH_CSV=$out/classify.csv locked "$top/bench/classify/run.sh"
fi
if has chain; then
	step "Fig. 1 / 16 (processes): bench/chain"
	secs=2
	[[ $quick -eq 1 ]] && secs=1.5
	FS_BENCH_SECONDS=$secs FS_BENCH_CSV=$out/chain.csv locked "$top/bench/chain/run.sh"
fi
if has stream; then
	step "Fig. 15: bench/stream"
	if [[ $quick -eq 1 ]]; then
		FS_BENCH_ROUNDS=1 FS_BENCH_CONNS=40 FS_BENCH_SECONDS=3 FS_BENCH_REQS=500 FS_BENCH_MANY=0 \
			FS_BENCH_CSV=$out/stream.csv locked "$top/bench/stream/run.sh"
	else
		FS_BENCH_ROUNDS=2 FS_BENCH_CONNS=100 FS_BENCH_SECONDS=4 FS_BENCH_REQS=2000 FS_BENCH_MANY=0 \
			FS_BENCH_CSV=$out/stream.csv locked "$top/bench/stream/run.sh"
	fi
fi
bed=$out/bed.csv
if has fig14 || has fig16 || has fig17; then
	tmp=$(mktemp "$out/.bed.XXXXXX")
	trap 'rm -f "$tmp"' EXIT
	# keep the rows of the figures not rerun now
	if [[ -f $bed ]]; then
		for f in fig14 fig16 fig17; do has "$f" || grep "^$f," "$bed" >>"$tmp" || true; done
	fi
	export FS_PAPER_CSV=$tmp
	if has fig14; then
		step "Fig. 14: bench/paper/bed.sh fig14"
		locked "$here/bed.sh" fig14 "${q[@]}"
	fi
	if has fig16; then
		step "Fig. 16: bench/paper/bed.sh fig16"
		locked "$here/bed.sh" fig16 "${q[@]}"
	fi
	if has fig17; then
		step "Fig. 17: bench/paper/bed.sh fig17 on 1 CPU and on all $(nproc)"
		FS_PAPER_TAG=1cpu locked taskset -c 0 "$here/bed.sh" fig17 "${q[@]}"
		FS_PAPER_TAG=$(nproc)cpu locked "$here/bed.sh" fig17 "${q[@]}"
	fi
	mv "$tmp" "$bed"
	chmod 644 "$bed"
	trap - EXIT
fi

step "figures and table"
python3 "$here/collect.py" "$out" "$top/bench/results/paper.csv" "$top/bench/results/paper.md" \
	"$out/plot" "$quick"
"$here/plot.sh" "$out/plot" "$top/docs/img"
echo "bench paper: done in $(($(date +%s) - t_start)) s; bench/results/paper.csv, paper.md, docs/img/paper_fig*.svg"
