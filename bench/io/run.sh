#!/usr/bin/env bash
# bench/run.sh io [--quick] — the I/O path (issue 12, "Done when" 4): iperf3 TCP goodput and ping
# RTT between two namespace hosts through each of these middles, on one veth test bed, in one run:
#
#   bridge         a Linux bridge (the kernel's own forwarding: the reference)
#   testpmd        dpdk-testpmd --forward-mode=io (no classification at all: the limit of any DPDK
#                  application on these ports), busy-polling one forwarding lcore
#   fwd            flowmgr + 1 `forward` VNF (shared-core mode: idle processes sleep; the default)
#   fwd-poll       the same with --poll on flowmgr and the VNF (every process busy-polls, as
#                  testpmd does): its ping RTT is the like-for-like one
#   counter5       flowmgr + 5 stateful `counter` VNFs (5-tuple sessions, one combined
#                  classification, scratchpads inline: isolation direct), shared-core mode
#   fwd-xdp        fwd with `xdp: offload` on both af_xdp ports (flowmgr's XDP program classifies
#                  the static levels in the kernel, the class in the frame's metadata; issue 12
#                  item 4, docs/offload.md "XDP")
#   counter5-xdp   counter5 with `xdp: offload` on both ports
#   novnf-xdp      a class that needs no VNF (`{match: "ip", to: output}`, ARP too), offloaded to
#                  XDP: flowmgr's program XDP_REDIRECTs it from one veth to the other in the kernel,
#                  it never reaches user space (one forward VNF is there, for the other classes).
#                  A redirect into a veth needs NAPI on the receiving end: GRO on on both hosts'
#                  eth0 for this configuration only (docs/offload.md), so also
#   bridge-gro     the Linux bridge with that same GRO setting (like for like with novnf-xdp)
#
# every DPDK middle on af_xdp ports (net_af_xdp, start_queue=0, queue_count=1: a veth has one
# queue; the PMD loads its own XDP program on the root-side veth and removes it when the port
# closes — checked after every stop; the default port type on veths, so listed first) and on
# af_packet ports (net_af_packet, framecnt=4096).
#
#   netns NS-a  eth0 198.18.0.1 ==veth== NS-pa [middle] NS-pb ==veth== eth0 198.18.0.2  netns NS-b
#
# Per configuration and round: 2 warm-up pings (ARP, first sessions), then FS_BENCH_PINGS pings
# at 20 ms intervals on the otherwise idle path (median RTT of the round), then one iperf3 TCP
# stream a -> b for FS_BENCH_SECONDS after 1 s omitted (slow start). Configurations alternate
# inside a round, the order reversed every other round; FS_BENCH_ROUNDS rounds; figures are
# medians over the rounds, ratios are of those medians (same run, same test bed). TX checksum
# offload is off on every veth end (netns.sh), for the bridge too, so TSO is off for all.
#
# Run it under the shared lock: `flock /tmp/fs-e2e.lock bench/run.sh io` (it takes no lock itself;
# a full run is ~5 min (313 s measured, 13 configurations), --quick ~3.5 min on the shared 2-core
# VM). The load average at start and end is printed and written: on a shared machine absolute
# figures are noisy, ratios side by side are what counts. Writes bench/results/io.csv; `bench/plot.sh io` draws
# docs/img/io.png from it.
#
# Env: FS_BENCH_ROUNDS (3), FS_BENCH_SECONDS (4), FS_BENCH_PINGS (50), FS_BENCH_NS (fsbio: the
#      netns/veth prefix; DPDK file prefixes are NS + pid), FS_BENCH_CONFS (subset, e.g.
#      "bridge testpmd:af_xdp"). --quick: rounds of 2 s and 25 pings (still 3 rounds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
csv=${FS_BENCH_CSV:-$top/bench/results/io.csv}
rounds=${FS_BENCH_ROUNDS:-3}
secs=${FS_BENCH_SECONDS:-4}
pings=${FS_BENCH_PINGS:-50}
ns=${FS_BENCH_NS:-fsbio}
if [[ ${1:-} == --quick ]]; then
	secs=2 pings=25
	shift
fi
[[ $# -eq 0 ]] || { echo "usage: bench/run.sh io [--quick]" >&2; exit 2; }
# af_xdp first: the default port type on veths (deploy/demo.sh, the shipped chains)
all_confs="bridge:kernel bridge-gro:kernel novnf-xdp:af_xdp testpmd:af_xdp testpmd:af_packet fwd:af_xdp fwd-xdp:af_xdp fwd:af_packet fwd-poll:af_xdp fwd-poll:af_packet counter5:af_xdp counter5-xdp:af_xdp counter5:af_packet"
confs=${FS_BENCH_CONFS:-$all_confs}

# Peers: an error, never a silent skip.
for t in iperf3 ping python3 ethtool ip dpdk-testpmd; do
	command -v "$t" >/dev/null || { echo "bench io: $t not found (deploy/install-deps.sh)" >&2; exit 1; }
done
for b in flowmgr nfctl forward counter; do
	[[ -x $bin/$b ]] || { echo "bench io: $bin/$b not built" >&2; exit 1; }
done
[[ $confs != *-xdp* || -f ${FS_XDP_OBJ:-$bin/fm_xdp.bpf.o} ]] ||
	{ echo "bench io: $bin/fm_xdp.bpf.o not built (clang, libbpf: deploy/install-deps.sh)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
# shellcheck source=bench/lib/bed.sh
. "$top/bench/lib/bed.sh" # stop_fm, bench_teardown
fs_ns_check_prefix "$ns" || exit 2
for x in "$ns-a" "$ns-b"; do
	if [[ -e /run/netns/$x ]] || ip link show dev "$ns-p${x##*-}" >/dev/null 2>&1 ||
		ip link show dev "$ns-br" >/dev/null 2>&1; then
		echo "bench io: namespace, port or bridge of '$ns' in use ($x): another run? set FS_BENCH_NS" >&2
		exit 1
	fi
done
"$top/deploy/hugepages.sh" >/dev/null
mkdir -p "$(dirname "$csv")"

prefix=${ns}$$
run=$(mktemp -d /tmp/fsbench-io.XXXXXX)
chmod a+rx "$run"
sock=$run/fm.sock
pids=()
srv=()
made_ns=0
stop_middle() {
	local i x
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 10 || true; done
	pids=()
	fs_cleanup_dpdk "$prefix" || true
	ip link del "$ns-br" 2>/dev/null || true
	gro off
	# An af_xdp port that did not close cleanly leaves its XDP program on our veth: remove it
	# (our veths only), and say so.
	for x in "$ns-pa" "$ns-pb"; do
		if ip link show dev "$x" 2>/dev/null | grep -q ' xdp'; then
			echo "    (XDP program left on $x: removed)" >&2
			ip link set dev "$x" xdp off 2>/dev/null || true
		fi
	done
}
finish() {
	set +e
	stop_middle
	bench_teardown "$ns" "$made_ns"
}
trap finish EXIT

# --- test bed ----------------------------------------------------------------------------------
made_ns=1
fs_ns_create "$ns"
b=$(fs_ns_ip b)
ip netns exec "$ns-b" iperf3 -s -p 5201 >"$run/iperf3-s.log" 2>&1 &
srv+=("$!")
sleep 0.5

# devargs PORTTYPE N IFACE
devargs() {
	case $1 in
	af_packet) echo "net_af_packet$2,iface=$3,framecnt=4096" ;;
	af_xdp) echo "net_af_xdp$2,iface=$3,start_queue=0,queue_count=1" ;;
	esac
}

# gro on|off — GRO on both hosts' eth0 (NAPI on the veth: needed to receive XDP redirects)
gro() {
	local x
	for x in a b; do ip netns exec "$ns-$x" ethtool -K eth0 gro "$1" >/dev/null 2>&1 || true; done
}

# chain_file KIND FILE — flowmgr's chain: 1 forward VNF or 5 counter VNFs (started by hand below,
# so that --poll can reach them); the ports come from --port. KIND-xdp: `xdp: offload` on both
# ports; novnf-xdp: IPv4 and ARP are a class without VNF (kernel XDP_REDIRECT), the rest to v1.
chain_file() {
	local i xdp="" d0=net_null0 d1=net_null1
	# (the config check wants an af_xdp dev for `xdp: offload` before --port overrides it)
	[[ $1 != *-xdp ]] || xdp=", xdp: offload" d0=$(devargs af_xdp 0 "$ns-pa") d1=$(devargs af_xdp 1 "$ns-pb")
	{
		echo "name: bench-io"
		echo "ports:"
		echo "  - {name: p0, dev: \"$d0\"$xdp}"
		echo "  - {name: p1, dev: \"$d1\", reverse: true$xdp}"
		echo "mbufs: 32767"
		echo "sessions: 16384"
		echo "vnfs:"
		if [[ $1 == counter5* ]]; then
			for i in 1 2 3 4 5; do
				echo "  - {name: v$i, session: \"5tuple\", scratchpad: 24, timeout_ms: 60000," \
					"isolation: direct, policy: drop}"
			done
		else
			echo "  - {name: v1, policy: drop}"
		fi
		if [[ $1 == novnf-xdp ]]; then
			echo "graph:"
			echo "  input:"
			echo "    - {match: \"arp\", to: output}"
			echo "    - {match: \"ip\", to: output}"
			echo "    - v1"
			echo "  v1: [output]"
		fi
	} >"$2"
}

# start_middle KIND PORTTYPE — returns once the middle forwards (or exits 1 with its log)
start_middle() {
	local kind=$1 pt=$2 poll=() vnf=forward n=1 i up=0
	case $kind in
	bridge | bridge-gro)
		[[ $kind == bridge ]] || gro on
		ip link add "$ns-br" type bridge
		sysctl -q -w "net.ipv6.conf.$ns-br.disable_ipv6=1"
		ip link set "$ns-pa" master "$ns-br"
		ip link set "$ns-pb" master "$ns-br"
		ip link set "$ns-br" up
		return 0
		;;
	testpmd)
		dpdk-testpmd --no-pci --file-prefix "$prefix" --lcores 0@0,1@1 \
			--vdev "$(devargs "$pt" 0 "$ns-pa")" --vdev "$(devargs "$pt" 1 "$ns-pb")" -- \
			--forward-mode=io --auto-start --nb-cores=1 --total-num-mbufs=16384 \
			--stats-period 3600 >"$run/testpmd.log" 2>&1 </dev/null &
		pids+=("$!")
		for _ in $(seq 150); do
			grep -q "forwarding - ports" "$run/testpmd.log" && { up=1; break; }
			_fs_pid_alive "${pids[-1]}" || break
			sleep 0.1
		done
		[[ $up -eq 1 ]] || { cat "$run/testpmd.log" >&2; echo "bench io: testpmd ($pt) did not start" >&2; exit 1; }
		sleep 0.5
		return 0
		;;
	fwd-poll) poll=(--poll) ;;
	counter5*) vnf=counter n=5 ;;
	novnf-xdp) gro on ;;
	esac
	chain_file "$kind" "$run/chain.yaml"
	"$bin/flowmgr" -c "$run/chain.yaml" --port "p0=$(devargs "$pt" 0 "$ns-pa")" \
		--port "p1=$(devargs "$pt" 1 "$ns-pb")" -s "$sock" --wait-vnfs "${poll[@]}" -- \
		--file-prefix "$prefix" --lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 100); do
		"$bin/nfctl" -s "$sock" --json status >/dev/null 2>&1 && break
		sleep 0.1
	done
	for ((i = 1; i <= n; i++)); do
		"$bin/$vnf" --name "v$i" --socket "$sock" --file-prefix "$prefix" "${poll[@]}" \
			>"$run/v$i.log" 2>&1 &
		pids+=("$!")
	done
	for _ in $(seq 200); do
		up=$("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(int(len(v) > 0 and all(x["state"] == "running" for x in v)))' 2>/dev/null || echo 0)
		[[ $up -eq 1 ]] && break
		sleep 0.1
	done
	[[ $up -eq 1 ]] || { cat "$run/fm.log" >&2; echo "bench io: $kind ($pt) did not start" >&2; exit 1; }
	sleep 0.5
}

# measure LABEL — pings (median RTT, ms) and iperf3 (Gbit/s); a failure gives "fail"
declare -A res
add() {
	res[$1]="${res[$1]:-} $2"
}
measure() {
	local rtt gbps
	ip netns exec "$ns-a" ping -c 2 -i 0.2 -W 1 "$b" >/dev/null 2>&1 || true
	rtt=$(ip netns exec "$ns-a" ping -c "$pings" -i 0.02 -W 1 "$b" 2>/dev/null | python3 -c '
import re, statistics, sys
t = [float(m.group(1)) for m in re.finditer(r"time=([\d.]+) ms", sys.stdin.read())]
print("%.3f" % statistics.median(t) if len(t) >= len(sys.argv) else "fail")' || echo fail)
	if timeout $((secs + 20)) ip netns exec "$ns-a" iperf3 -c "$b" -p 5201 -t "$secs" -O 1 \
		--connect-timeout 3000 -J >"$run/iperf.json" 2>&1; then
		gbps=$(python3 -c 'import json, sys
print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
			"$run/iperf.json")
	else
		gbps=fail
	fi
	add "$1,iperf3_gbps" "$gbps"
	add "$1,ping_rtt_ms" "$rtt"
	printf '    %-20s %8s Gbit/s %8s ms\n' "$1" "$gbps" "$rtt"
	[[ $1 == *-xdp:* ]] || return 0
	# where the frames went: the XDP program's counters (nfctl stats) — the kernel's share
	# (redirected + dropped) of all frames the program saw
	"$bin/nfctl" -s "$sock" --json stats 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
k = c["xdp_redirect"] + c["xdp_drop"]
u = c["xdp_user_classified"] + c["xdp_user_unclassified"]
print("%.4f" % (k / (k + u)) if k + u else "fail", file=open(sys.argv[1], "w"))
print("      xdp: redirect %d drop %d to user space %d classified + %d not; meta_class %d" % (
    c["xdp_redirect"], c["xdp_drop"], c["xdp_user_classified"], c["xdp_user_unclassified"],
    c["xdp_meta_class"]))' "$run/kfrac" || echo fail >"$run/kfrac"
	add "$1,xdp_kernel_frac" "$(cat "$run/kfrac")"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
read -ra conf_list <<<"$confs"
echo "bench io: ${#conf_list[@]} configurations x $rounds rounds, iperf3 ${secs} s (+1 s omitted)," \
	"$pings pings; load average at start: $load_start"
for ((r = 1; r <= rounds; r++)); do
	order=("${conf_list[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#conf_list[@]} - 1; i >= 0; i--)); do order+=("${conf_list[i]}"); done
	fi
	for c in "${order[@]}"; do
		start_middle "${c%%:*}" "${c#*:}"
		measure "$c"
		stop_middle
	done
	echo "  round $r done ($(($(date +%s) - t_start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- results ----------------------------------------------------------------------------------
median() { # median "V V V" (failed rounds left out; "fail" if none succeeded)
	tr ' ' '\n' <<<"$1" | grep -E '^[0-9.]+$' | sort -g |
		awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "fail"}'
}
echo "setup,ports,metric,median,rounds" >"$csv"
echo
printf '%-12s %-10s %14s %14s   %s\n' setup ports "iperf3 Gbit/s" "ping RTT ms" "rounds (Gbit/s; ms)"
for c in "${conf_list[@]}"; do
	ms=(iperf3_gbps ping_rtt_ms)
	[[ $c != *-xdp:* ]] || ms+=(xdp_kernel_frac)
	for m in "${ms[@]}"; do
		res[$c,$m,med]=$(median "${res[$c,$m]}")
		echo "${c%%:*},${c#*:},$m,${res[$c,$m,med]},\"${res[$c,$m]# }\"" >>"$csv"
	done
	printf '%-12s %-10s %14s %14s   %s; %s%s\n' "${c%%:*}" "${c#*:}" "${res[$c,iperf3_gbps,med]}" \
		"${res[$c,ping_rtt_ms,med]}" "${res[$c,iperf3_gbps]# }" "${res[$c,ping_rtt_ms]# }" \
		"${res[$c,xdp_kernel_frac]:+; frames in the kernel ${res[$c,xdp_kernel_frac]}}"
done

# ratio NAME NUM DEN METRIC GOAL_OP GOAL — prints and writes one ratio with its verdict
ratio() {
	local out
	out=$(python3 - "$@" "${res[$2,$4,med]:-}" "${res[$3,$4,med]:-}" <<'PY'
import sys
name, num, den, metric, op, goal, a, b = sys.argv[1:9]
try:
    r = float(a) / float(b)
except (ValueError, ZeroDivisionError):
    print(f"{name},{num},{den},{metric},n/a,{'' if op == '-' else op + goal},not measured")
    sys.exit()
if op == "-":
    print(f"{name},{num},{den},{metric},{r:.3f},,")
    sys.exit()
met = r >= float(goal) if op == ">=" else r <= float(goal)
print(f"{name},{num},{den},{metric},{r:.3f},{op}{goal},{'met' if met else 'MISSED'}")
PY
	)
	echo "ratio,$out" >>"$csv"
	IFS=, read -r n num den m r g v <<<"$out"
	printf '  %-34s %-30s %-7s %s %s\n' "$n" "($num / $den)" "${r}x" "$g" "$v"
}
echo
echo "ratios (medians, same run; goals of issue 12):"
for pt in af_xdp af_packet; do
	ratio "5 stateful VNFs / testpmd io" "counter5:$pt" "testpmd:$pt" iperf3_gbps ">=" 1.0
done
ratio "5 stateful VNFs XDP / testpmd io" counter5-xdp:af_xdp testpmd:af_xdp iperf3_gbps ">=" 1.0
ratio "XDP-offloaded class / Linux bridge" novnf-xdp:af_xdp bridge:kernel iperf3_gbps ">=" 0.9
ratio "XDP-offloaded class / bridge GRO" novnf-xdp:af_xdp bridge-gro:kernel iperf3_gbps ">=" 0.9
for pt in af_xdp af_packet; do
	ratio "RTT 1 VNF / testpmd io" "fwd:$pt" "testpmd:$pt" ping_rtt_ms "<=" 1.5
	ratio "RTT 1 VNF polling / testpmd io" "fwd-poll:$pt" "testpmd:$pt" ping_rtt_ms "<=" 1.5
done
ratio "RTT 1 VNF XDP / testpmd io" fwd-xdp:af_xdp testpmd:af_xdp ping_rtt_ms "<=" 1.5
ratio "RTT XDP-offloaded class / bridge" novnf-xdp:af_xdp bridge:kernel ping_rtt_ms - -
ratio "1 VNF XDP / 1 VNF" fwd-xdp:af_xdp fwd:af_xdp iperf3_gbps - -
ratio "5 stateful VNFs XDP / no XDP" counter5-xdp:af_xdp counter5:af_xdp iperf3_gbps - -
ratio "bridge GRO / bridge" bridge-gro:kernel bridge:kernel iperf3_gbps - -
for pt in af_xdp af_packet; do
	ratio "testpmd io / Linux bridge" "testpmd:$pt" bridge:kernel iperf3_gbps - -
	ratio "1 VNF / testpmd io" "fwd:$pt" "testpmd:$pt" iperf3_gbps - -
	ratio "1 VNF polling / testpmd io" "fwd-poll:$pt" "testpmd:$pt" iperf3_gbps - -
	ratio "5 stateful VNFs / 1 VNF" "counter5:$pt" "fwd:$pt" iperf3_gbps - -
done
for k in testpmd fwd counter5; do
	ratio "$k af_xdp / af_packet" "$k:af_xdp" "$k:af_packet" iperf3_gbps - -
done
t_total=$(($(date +%s) - t_start))
echo "run,-,-,$(date -u '+%Y-%m-%d %H:%M UTC'),\"$rounds rounds; iperf3 ${secs}s; $pings pings; ${t_total}s; load average start $load_start end $load_end\"" >>"$csv"
echo
echo "run: $rounds rounds, ${t_total} s, load average at start $load_start, at end $load_end (2 CPUs)"
echo "written to $csv"
echo "(plot: bench/plot.sh io)"
