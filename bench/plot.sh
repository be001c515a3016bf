#!/usr/bin/env bash
# bench/plot.sh [NAME...] — turns bench/results/*.csv into the figures of docs/benchmarks.md
# (gnuplot: PNG; SVG for cost). Run after bench/run.sh classify|chain|cost|io; missing CSVs are
# skipped with a message. With NAMEs, only those figures (bench/run.sh cost and io call `plot.sh
# cost` / `plot.sh io`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=$top/bench/results
img=$top/docs/img
mkdir -p "$img"
command -v gnuplot >/dev/null || { echo "plot: gnuplot missing (deploy/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=" ${*:-classify chain cost io} "
wants() { [[ $want == *" $1 "* ]]; }

if ! wants classify; then
	:
elif [[ -f $res/classify.csv ]]; then
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

if ! wants chain; then
	:
elif [[ -f $res/chain.csv ]]; then
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

if ! wants cost; then
	:
elif [[ -f $res/cost.csv ]]; then
	# cost.csv columns: 1 mode, 2 variant, 3 k, 4 load, ... 11 cpu_us_per_pkt, 14 net_cpu_us_per_pkt
	for m in counter mix; do
		for v in combined-direct combined-indirect independent; do
			for l in 10% 50% 90%; do
				awk -F, -v m="$m" -v v="$v" -v l="$l" '$1 == m && $2 == v && $4 == l && $11 != "n/a" {
					print $3, $11, $14 }' "$res/cost.csv" >"$tmp/$m-$v-$l"
			done
		done
	done
	plots=()
	for m in counter mix; do
		for v in combined-direct independent combined-indirect; do
			case $v in
			combined-direct) st="lw 2 pt 7" ;;
			independent) st="lw 2 dt 2 pt 5" ;;
			*) st="lw 1 dt 3 pt 9" ;;
			esac
			for l in 10% 50% 90%; do
				[[ -s $tmp/$m-$v-$l ]] || continue
				c=1
				[[ $l == 50% ]] && c=2
				[[ $l == 90% ]] && c=3
				plots+=("\"$tmp/$m-$v-$l\" using 1:2 with linespoints $st lc $c title \"$v, $l load\"")
			done
		done
		if [[ ${#plots[@]} -eq 0 ]]; then
			echo "plot: no $m rows in $res/cost.csv"
			continue
		fi
		(IFS=,
		gnuplot <<GP
set terminal svg size 900,520 noenhanced font "sans,12"
set output "$img/cost_$m.svg"
set title "CPU per packet, flowmgr + K $m VNFs (all processes; iperf3 paced at % of forward's saturation)"
set xlabel "K (VNF processes)"; set ylabel "CPU µs per packet"; set key outside right top; set grid
set xtics 1; set yrange [0:*]
plot ${plots[*]}
GP
		)
		plots=()
		echo "plot: $img/cost_$m.svg"
	done
else
	echo "plot: no $res/cost.csv (bench/run.sh cost)"
fi

if ! wants io; then
	:
elif [[ -f $res/io.csv ]]; then
	# io.csv rows: setup,ports,metric,median,rounds; one bar group per setup, one bar per port type
	# (the bridges are the kernel's: drawn in the af_packet column; SETUP-xdp: the setup on af_xdp
	# with XDP offload, its third bar); failed or not built: no bar
	for m in iperf3_gbps ping_rtt_ms; do
		awk -F, -v m="$m" '$3 == m && $1 != "ratio" && $1 != "run" && $1 != "xdp-offload" {
			s = $1; c = $2 == "kernel" ? "af_packet" : $2
			if (s ~ /-xdp$/) { sub(/-xdp$/, "", s); c = "xdp" }
			v[s, c] = ($4 ~ /^[0-9.]+$/) ? $4 : "NaN"
			if (!(s in seen)) { seen[s] = 1; order[++n] = s } }
			END { for (i = 1; i <= n; i++) { s = order[i]
				a = ((s, "af_packet") in v) ? v[s, "af_packet"] : "NaN"
				x = ((s, "af_xdp") in v) ? v[s, "af_xdp"] : "NaN"
				d = ((s, "xdp") in v) ? v[s, "xdp"] : "NaN"
				print s, a, x, d } }' "$res/io.csv" >"$tmp/io-$m"
	done
	gnuplot <<GP
set terminal png size 1000,440 noenhanced
set output "$img/io.png"
set multiplot layout 1,2 title "Two netns hosts, one veth test bed, iperf3 TCP / ping (medians)"
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set grid ytics; set yrange [0:*]; set xtics rotate by -20; set key outside bottom center horizontal
set title "iperf3 TCP goodput"; set ylabel "Gbit/s"
plot "$tmp/io-iperf3_gbps" using 2:xtic(1) title "af_packet (bridge: kernel)", "" using 3 title "af_xdp", "" using 4 title "af_xdp + XDP offload"
set title "ping RTT (idle path)"; set ylabel "ms"
plot "$tmp/io-ping_rtt_ms" using 2:xtic(1) title "af_packet (bridge: kernel)", "" using 3 title "af_xdp", "" using 4 title "af_xdp + XDP offload"
unset multiplot
GP
	echo "plot: $img/io.png"
else
	echo "plot: no $res/io.csv (bench/run.sh io)"
fi
