#!/usr/bin/env bash
# bench/plot.sh — turns bench/results/*.csv into the figures of docs/benchmarks.md (gnuplot, PNG).
# Run after bench/run.sh classify|flowtable|chain; missing CSVs are skipped with a message.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=$top/bench/results
img=$top/docs/img
mkdir -p "$img"
command -v gnuplot >/dev/null || { echo "plot: gnuplot missing (deploy/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -f $res/classify.csv ]]; then
	grep '^chain_combined_tree' "$res/classify.csv" | sed 's/K=//' | cut -d, -f2,3 >"$tmp/comb"
	grep '^chain_independent_rte_hash' "$res/classify.csv" | sed 's/K=//' | cut -d, -f2,3 >"$tmp/ind"
	gnuplot <<GP
set terminal png size 800,480 noenhanced
set xtics 1
set output "$img/classify_chain.png"
set datafile separator ","
set title "Chain of K stateful VNFs, one core (paper Fig. 1 in software)"
set xlabel "K (stateful VNFs)"; set ylabel "ns per packet"; set key left top; set grid
plot "$tmp/comb" using 1:2 with linespoints lw 2 title "combined tree (FlowSplice)", \
     "$tmp/ind" using 1:2 with linespoints lw 2 title "K independent rte_hash tables"
GP
	echo "plot: $img/classify_chain.png"
else
	echo "plot: no $res/classify.csv (bench/run.sh classify)"
fi

if [[ -f $res/chain.csv ]]; then
	for v in combined-direct combined-indirect independent; do
		for m in poll shared; do
			grep "^$m,$v," "$res/chain.csv" | cut -d, -f3,4 >"$tmp/$m-$v"
		done
	done
	gnuplot <<GP
set terminal png size 800,480 noenhanced
set xtics 1
set output "$img/chain_mpps.png"
set datafile separator ","
set title "flowmgr + K VNF processes on 2 cores (net_pcap replay, 64-byte packets)"
set xlabel "K (VNF processes)"; set ylabel "Mpps"; set key right top; set grid; set logscale y
plot "$tmp/shared-combined-direct" using 1:2 with linespoints lw 2 title "shared cores, combined, direct", \
     "$tmp/shared-combined-indirect" using 1:2 with linespoints lw 2 title "shared cores, combined, indirect", \
     "$tmp/shared-independent" using 1:2 with linespoints lw 2 title "shared cores, independent", \
     "$tmp/poll-combined-direct" using 1:2 with linespoints dt 2 title "polling, combined, direct", \
     "$tmp/poll-independent" using 1:2 with linespoints dt 2 title "polling, independent"
GP
	echo "plot: $img/chain_mpps.png"
else
	echo "plot: no $res/chain.csv (bench/run.sh chain)"
fi
