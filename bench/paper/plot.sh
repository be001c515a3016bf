#!/usr/bin/env bash
# bench/paper/plot.sh DATA_DIR IMG_DIR — the SVG figures of `bench/run.sh paper` from the .dat
# files of bench/paper/collect.py (gnuplot). A figure whose data is missing is drawn empty with a
# note, never left out silently.
set -euo pipefail
d=$1
img=$2
mkdir -p "$img"
command -v gnuplot >/dev/null || { echo "bench paper: gnuplot missing (deploy/install-deps.sh)" >&2; exit 1; }
term='set terminal svg size 900,480 dynamic noenhanced font "sans,12" background "white"'
# has_data FILE: a number (not NaN) in a data column of a line after the header
has_data() {
	[[ -f $d/$1 ]] && awk 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "NaN" && $i + 0 == $i) f = 1 } END { exit !f }' "$d/$1"
}
plot() { # plot NAME DATA GNUPLOT...
	local name=$1 data=$2
	shift 2
	if has_data "$data"; then
		gnuplot -e "$term; set output '$img/$name.svg'; $*"
	else
		gnuplot -e "$term; set output '$img/$name.svg'; set title 'no data ($data): step not run'; unset border; unset tics; plot [0:1][0:1] NaN notitle"
	fi
	echo "plot: $img/$name.svg"
}
plot paper_fig1 fig1b.dat "
set multiplot layout 1,2;
set grid; set key top right; set xlabel 'K (stateful VNFs)'; set xtics 1;
set title 'In-process (bench/classify)'; set ylabel 'ns per packet';
plot '$d/fig1a.dat' u 1:2 w lp lw 2 t 'combined tree', '' u 1:3 w lp lw 2 t 'K rte_hash tables';
set title 'VNF processes (bench/chain, net_pcap)'; set ylabel 'Mpps';
plot '$d/fig1b.dat' u 1:2 w lp lw 2 t 'combined, shared core', '' u 1:3 w lp lw 2 t 'independent, shared core',
     '' u 1:4 w lp dt 2 t 'combined, poll', '' u 1:5 w lp dt 2 t 'independent, poll';
unset multiplot"
plot paper_fig14 fig14.dat "
set title 'Fig. 14: HTTP goodput vs object size, new connection per request (wrk -c 32)';
set grid; set logscale x 2; set format x '%.0b %BB'; set xlabel 'object size'; set ylabel 'goodput (Gbit/s)'; set key top left;
plot '$d/fig14.dat' u 1:3 w lp lw 2 t 'FlowSplice lb', '' u 1:2 w lp dt 2 t 'FlowSplice forward',
     '' u 1:4 w lp lw 2 t 'HAProxy (TCP mode)', '' u 1:5 w lp lw 2 t 'nginx proxy', '' u 1:6 w lp dt 3 t 'Linux routing'"
plot paper_fig15 fig15.dat "
set multiplot layout 1,2;
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1;
set grid ytics; set yrange [0:*]; set key below;
set title 'Fig. 15: throughput per stream action'; set ylabel 'Gbit/s';
plot '$d/fig15.dat' u 2:xtic(1) t 'FlowSplice', '' u 3 t 'Suricata / nginx sub_filter';
set title 'CPU per GB of stream (issue 16)'; set ylabel 'CPU-s per GB';
plot '$d/fig15cpu.dat' u 2:xtic(1) t 'FlowSplice', '' u 3 t 'Suricata / nginx sub_filter';
unset multiplot"
plot paper_fig16 fig16.dat "
set multiplot layout 1,2;
set grid; set xlabel 'K (counter VNFs)'; set xtics 1; set key top left;
set title 'Fig. 16: flow completion time (8 KiB, wrk -c 8)'; set ylabel 'ms';
plot [-0.5:] '$d/fig16.dat' u 1:2 w lp lw 2 t 'combined', '' u 1:3 w lp lw 2 t 'independent',
     '$d/fig16_linux.dat' u 1:2 w p pt 7 ps 1.5 t 'Linux routing (K = 0)';
set title 'flowmgr RX-to-TX latency (bucket bounds)'; set ylabel 'us'; set logscale y; set key bottom right;
plot '$d/fig16.dat' u 1:4 w lp lw 2 t 'combined p50', '' u 1:5 w lp lw 2 t 'independent p50',
     '' u 1:6 w lp dt 2 t 'combined p99', '' u 1:7 w lp dt 2 t 'independent p99';
unset multiplot"
plot paper_fig17 fig17.dat "
set title 'Fig. 17: chains vs the Linux kernel doing the same job (8 KiB, new connection each)';
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1;
set grid ytics; set yrange [0:*]; set ylabel 'requests/s'; set key below;
plot '$d/fig17.dat' u 2:xtic(1) t columnhead(2), '' u 3 t columnhead(3), '' u 4 t columnhead(4), '' u 5 t columnhead(5)"
