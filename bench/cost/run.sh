#!/usr/bin/env bash
# bench/run.sh cost [--quick] — CPU time per packet and per payload byte of a chain of K stateful
# VNF processes at fixed offered loads below saturation (issue 16, "Done when" 1):
#
#   forward   flowmgr + 1 `forward` VNF (no state): the reference, and the saturation probe
#   counter   flowmgr + K `counter` VNFs (per-session packet/byte counters), K = 1..MAXK
#   mix       flowmgr + fw, nat, flowmon, lb, ids (that order, cut to K), options as in
#             deploy/chains/nat-lb.yaml and paper.yaml; the target is lb's VIP once lb is in
#
# each in the variants combined-direct (one classification in flowmgr, scratchpads inline in the
# FCB), combined-indirect (scratchpads in each VNF's isolated pool; at K = MAXK only, to keep
# the run short) and independent (`isolation: independent`, no session, no bidir: every VNF
# classifies every packet again in nfsdk's own rte_hash tables, as bench/run.sh nat does).
#
# Test bed: host a (client 198.18.0.33) == flowmgr (af_packet ports, shared-core mode: idle
# processes sleep) == host b (iperf3 server 198.18.0.11:5201, the lb's only backend). Load: one
# iperf3 TCP stream a -> b paced with -b RATE (RATE = 10 %, 50 %, 90 % of the saturation measured
# first through `forward`; all three at K = 1 and MAXK, the middle one for the K in between; also
# 400 Mbit/s for forward and counter K = MAXK, the issue's reference figures), and zero load
# ("idle": the same configuration, nothing sent) for the idle burn. Sessions idle out after 60 s
# (a stalled connection must not lose its NAT mapping or firewall state within the run).
#
# Measured over a window of FS_BENCH_SECONDS inside the iperf3 run (which lasts 1 s longer): the
# CPU time of flowmgr and of every VNF process (every thread's run time in /proc/PID/task/*/
# schedstat: utime + stime without the 10 ms tick; user/system split and a tick cross-check from
# /proc/PID/stat, bench/cost/sample.py), their context switches, flowmgr's port counters (packets of both directions; payload bytes = port p0's
# RX bytes less 66 header bytes per packet) and its RX-to-TX latency histogram (log2 buckets: p50
# and p99 are bucket upper bounds). Per packet = CPU / packets through flowmgr (data and ACKs); per
# GB = CPU / payload bytes carried; "net" figures subtract the idle burn (the same configuration's
# CPU per second at zero load, times the window).
#
# Noise: configurations alternate inside each round (order reversed every other round), loads
# alternate inside each chain start, FS_BENCH_ROUNDS rounds, medians; ratios are the median of
# per-round ratios of the same run. The load average is printed at start and end.
#
# Writes bench/results/cost.csv (one row per mode, variant, K and load), cost-raw.csv (every
# window), cost-goals.md (the goals of issue 16 with the figures), and docs/img/cost_*.svg through
# bench/plot.sh. Holds /tmp/fs-e2e.lock while traffic runs (per chain start).
#
# Where a packet's CPU goes: per process user / system time and sleeps (voluntary context
# switches) per packet (sample.py), the cost of one hop (the slope over K of one more counter VNF:
# CPU, mean latency, sleeps), and a perf profile of every process of the counter chain at K = MAXK
# and 400 Mbit/s (perf record -e cpu-clock, grouped by bench/cost/perf_split.py into waking and
# sleeping, port I/O and the hosts' kernel path, rings, classification, VNF work...) written to
# cost-perf.md; FS_BENCH_PERF=0 leaves it out.
#
# Env: FS_BENCH_ROUNDS (3), FS_BENCH_SECONDS (2), FS_BENCH_MAXK (5), FS_BENCH_NS (fscost),
#      FS_BENCH_SAT_MBPS (skip the saturation probe, use this figure), FS_BENCH_MODES
#      ("counter mix"), FS_BENCH_PERF (1), FS_BENCH_VARIANTS ("combined-direct
#      combined-indirect independent"), FS_BENCH_BASE_BIN (the bin directory of another build,
#      e.g. main's: every configuration also runs with its flowmgr and VNFs, in the same round,
#      alternated, under the variant name VARIANT@base; summary adds a before/after table).
#      FS_BENCH_LOCKED=1: the caller holds /tmp/fs-e2e.lock for the whole run
#      (`flock /tmp/fs-e2e.lock env FS_BENCH_LOCKED=1 bench/run.sh cost --quick`: a short run
#      then does not queue behind other lock users between chain starts).
#      --quick: 1 round (unless FS_BENCH_ROUNDS says), K = 1 and MAXK, 1.5 s windows (~4 min; a full run
#      ~17 min on the shared 2-core VM).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
csv=${FS_BENCH_CSV:-$top/bench/results/cost.csv}
rounds=${FS_BENCH_ROUNDS:-3}
secs=${FS_BENCH_SECONDS:-2}
maxk=${FS_BENCH_MAXK:-5}
ns=${FS_BENCH_NS:-fscost}
modes=${FS_BENCH_MODES:-counter mix}
variants=${FS_BENCH_VARIANTS:-combined-direct combined-indirect independent}
base_bin=${FS_BENCH_BASE_BIN:-}
fm_bin=$bin
ks=$(seq 1 "$maxk")
if [[ ${1:-} == --quick ]]; then
	rounds=${FS_BENCH_ROUNDS:-1} secs=1.5 ks="1 $maxk"
	shift
fi
[[ $# -eq 0 ]] || { echo "usage: bench/run.sh cost [--quick]" >&2; exit 2; }

# Peers: an error, never a silent skip.
for t in iperf3 python3 ethtool ip flock gnuplot; do
	command -v "$t" >/dev/null || { echo "bench cost: $t not found (deploy/install-deps.sh)" >&2; exit 1; }
done
for b in flowmgr nfctl forward counter fw nat flowmon lb ids; do
	[[ -x $bin/$b ]] || { echo "bench cost: $bin/$b not built" >&2; exit 1; }
	[[ -z ${FS_BENCH_BASE_BIN:-} || -x ${FS_BENCH_BASE_BIN:-}/$b ]] ||
		{ echo "bench cost: FS_BENCH_BASE_BIN: no $b in it" >&2; exit 1; }
done
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
# shellcheck source=bench/lib/bed.sh
. "$top/bench/lib/bed.sh" # stop_fm, bench_teardown
fs_ns_check_prefix "$ns" || exit 2
for x in "$ns-a" "$ns-b"; do
	if [[ -e /run/netns/$x ]] || ip link show dev "$ns-p${x##*-}" >/dev/null 2>&1; then
		echo "bench cost: namespace or port of '$ns' in use ($x): another run? set FS_BENCH_NS" >&2
		exit 1
	fi
done
"$top/deploy/hugepages.sh" >/dev/null
mkdir -p "$(dirname "$csv")"
rm -f "${csv%.csv}-raw.csv" "${csv%.csv}"-fm-crash-*.log

prefix=${ns}$$
run=$(mktemp -d /tmp/fsbench-cost.XXXXXX)
chmod a+rx "$run"
sock=$run/fm.sock
raw=${csv%.csv}-raw.csv # written window by window: a run cut short keeps what it measured
fm_pid=
srv=()
made_ns=0
lock_fd=
unlock() {
	[[ -n $lock_fd ]] && flock -u "$lock_fd"
	lock_fd=
}
lock() {
	[[ ${FS_BENCH_LOCKED:-0} == 1 ]] && return 0 # the caller holds it for the whole run
	exec {lock_fd}>/tmp/fs-e2e.lock
	flock -w 900 "$lock_fd" || { echo "bench cost: /tmp/fs-e2e.lock busy for 15 min" >&2; exit 1; }
}
finish() {
	set +e
	stop_fm
	unlock
	bench_teardown "$ns" "$made_ns"
}
trap finish EXIT

# --- test bed ----------------------------------------------------------------------------------
client=198.18.0.33
backend=198.18.0.11
vip=198.18.0.200
made_ns=1
fs_ns_create "$ns"
ip -n "$ns-a" addr add "$client/24" dev eth0
# the client's connections leave from the inside address (nat translates 198.18.0.32/27)
ip -n "$ns-a" route replace 198.18.0.0/24 dev eth0 src "$client"
ip -n "$ns-b" addr add "$backend/24" dev eth0
ip netns exec "$ns-b" iperf3 -s -p 5201 >"$run/iperf3-s.log" 2>&1 &
srv+=("$!")
sleep 0.5

# --- chains ------------------------------------------------------------------------------------
ports() {
	echo "ports:"
	echo "  - {name: p0, dev: \"net_af_packet0,iface=$ns-pa,framecnt=4096\"}"
	echo "  - {name: p1, dev: \"net_af_packet1,iface=$ns-pb,framecnt=4096\", reverse: true}"
	echo "mbufs: 32767"
	echo "sessions: 16384"
}
# iso VARIANT -> the isolation line of a stateful VNF; sess VARIANT -> its session
iso() {
	case $1 in
	combined-direct) echo "isolation: direct" ;;
	combined-indirect) echo "isolation: indirect" ;;
	independent) echo "isolation: independent" ;;
	esac
}
sess() { if [[ $1 == independent ]]; then echo '""'; else echo '"5tuple"'; fi; }
# flags VARIANT FLAG... -> the flags line; independent VNFs may not declare bidir, nor in_order /
# resize (the platform's TCP context keeps state per session FCB, and they have none: the config
# refuses it; an independent ids scans segments as they arrive)
flags() {
	local v=$1 f out=()
	shift
	for f in "$@"; do
		[[ $v == independent && ($f == bidir || $f == in_order || $f == resize) ]] || out+=("$f")
	done
	local IFS=,
	echo "flags: [${out[*]}]"
}
mix_vnf() { # mix_vnf NAME VARIANT — one VNF of the mix, as in nat-lb.yaml / paper.yaml
	local v=$2 s
	s=$(sess "$v")
	case $1 in
	fw)
		cat <<Y
  - name: fw
    exec: fw
    args: ["--rule", "allow tcp and src net 198.18.0.32/27", "--rule", "allow udp and src net 198.18.0.32/27", "--rule", "allow icmp and src net 198.18.0.32/27"]
    class: "ip"
    session: $s
    timeout_ms: 60000
    $(flags "$v" bidir)
    $(iso "$v")
    policy: drop
Y
		;;
	nat)
		cat <<Y
  - name: nat
    exec: nat
    args: ["--public", "198.18.0.100", "--ports", "20000-29999", "--inside", "198.18.0.32/27"]
    class: "ip or arp"
    session: $s
    scratchpad: 16
    timeout_ms: 60000
    $(flags "$v" bidir rewrite)
    $(iso "$v")
    policy: drop
Y
		;;
	flowmon)
		cat <<Y
  - name: flowmon
    exec: flowmon
    args: ["--collector", "127.0.0.1:4749", "--active-timeout-ms", "60000", "--domain", "16"]
    class: "ip"
    session: $s
    scratchpad: 96
    timeout_ms: 60000
    $(iso "$v")
    policy: bypass
Y
		;;
	lb)
		cat <<Y
  - name: lb
    exec: lb
    args: ["--vip", "$vip:80", "--backend", "$backend:5201", "--policy", "rr"]
    class: "ip or arp"
    session: $s
    scratchpad: 8
    timeout_ms: 60000
    $(flags "$v" rewrite)
    $(iso "$v")
    policy: drop
Y
		;;
	ids)
		cat <<Y
  - name: ids
    exec: ids
    args: ["--rules", "$top/deploy/chains/paper.rules"]
    class: "tcp"
    session: $s
    scratchpad: 256
    timeout_ms: 60000
    $(flags "$v" in_order)
    $(iso "$v")
    policy: bypass
Y
		;;
	esac
}
mix_order=(fw nat flowmon lb ids)
# mix_graph K — the graph of nat-lb.yaml / paper.yaml cut to the first K VNFs: ARP goes to nat
# (which answers for its public address) and on to lb (its VIP); IP follows the chain's order.
mix_graph() {
	local k=$1 i n next
	echo "graph:"
	echo "  input:"
	((k >= 2)) && echo "    - {match: \"arp\", to: nat}"
	echo "    - fw"
	for ((i = 0; i < k; i++)); do
		n=${mix_order[i]}
		next=output
		((i + 1 < k)) && next=${mix_order[i + 1]}
		if [[ $n == nat ]] && ((k >= 4)); then
			echo "  nat:"
			echo "    - {match: \"arp\", to: lb}"
			echo "    - $next"
		elif [[ $n == lb && $next == ids ]]; then
			echo "  lb:"
			echo "    - {match: \"tcp\", to: ids}"
			echo "    - output"
		else
			echo "  $n: [$next]"
		fi
	done
}
# chain_file MODE VARIANT K FILE
chain_file() {
	local mode=$1 v=$2 k=$3 i
	{
		echo "name: bench-cost-$mode"
		ports
		echo "vnfs:"
		case $mode in
		forward)
			echo "  - {name: v1, exec: forward, policy: drop}"
			;;
		counter)
			for ((i = 1; i <= k; i++)); do
				echo "  - {name: v$i, exec: counter, session: $(sess "$v"), scratchpad: 24," \
					"timeout_ms: 60000, $(iso "$v"), policy: drop}"
			done
			;;
		mix)
			for ((i = 0; i < k; i++)); do mix_vnf "${mix_order[i]}" "$v"; done
			mix_graph "$k"
			;;
		esac
	} >"$4"
}
# target MODE K -> "HOST PORT" iperf3 connects to (lb's VIP once lb is in the chain)
target() {
	if [[ $1 == mix ]] && (($2 >= 4)); then echo "$vip 80"; else echo "$backend 5201"; fi
}

fm_start() { # fm_start FILE — flowmgr with its VNFs launched; returns once all run
	"$fm_bin/flowmgr" -c "$1" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
		--lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	fm_pid=$!
	local up=0
	for _ in $(seq 200); do
		up=$("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(int(all(x["state"] == "running" and x["pid"] > 0 for x in v)))' 2>/dev/null || echo 0)
		[[ $up -eq 1 ]] && break
		sleep 0.1
	done
	[[ $up -eq 1 ]] || { cat "$run/fm.log" >&2; echo "bench cost: chain $1 did not start" >&2; exit 1; }
	sleep 0.5
}

# window RND MODE VARIANT K LOAD MBPS HOST PORT — one measured window (MBPS 0: idle). A window
# whose iperf3 fails (the chain stalled the connection) is not counted: it is listed at the end.
window() {
	local rnd=$1 mode=$2 v=$3 k=$4 load=$5 mbps=$6 host=$7 port=$8 ip_pid='' t
	if [[ $mbps != 0 ]]; then
		t=$(python3 -c "print($secs + 1.0)")
		timeout "$(python3 -c "print(int($t) + 15)")" ip netns exec "$ns-a" iperf3 -c "$host" \
			-p "$port" -t "$t" -b "${mbps}M" --connect-timeout 3000 -J >"$run/iperf.json" 2>&1 &
		ip_pid=$!
		sleep 0.6 # connection set-up and slow start out of the window
	fi
	if ! python3 "$here/sample.py" snap "$run/a.json" "$bin/nfctl" "$sock" 2>/dev/null ||
		! { sleep "$secs" && python3 "$here/sample.py" snap "$run/b.json" "$bin/nfctl" "$sock" 2>/dev/null; }; then
		[[ -n $ip_pid ]] && { wait "$ip_pid" || true; }
		failed+=("round $rnd $mode $v K=$k load $load: flowmgr stopped answering ($(fs_pid_state "$fm_pid"));" \
			"its log: $(tail -n 3 "$run/fm.log" | tr '\n' ' ')")
		echo "    ${failed[-1]}"
		cp "$run/fm.log" "${csv%.csv}-fm-crash-r$rnd-$mode-$v-k$k.log"
		return 1
	fi
	if [[ -n $ip_pid ]] && ! wait "$ip_pid"; then
		failed+=("round $rnd $mode $v K=$k load $load: iperf3 failed ($(python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1])).get("error", "no error text"))
except Exception:
    print("no JSON")' "$run/iperf.json")); flowmgr: $(fm_counters drop_tcp tcp_replay_missing \
			tcp_replay_expired flow_expired))")
		echo "    ${failed[-1]}"
		return 0
	fi
	python3 "$here/sample.py" row "$run/a.json" "$run/b.json" "$raw" "$rnd" "$mode" "$v" "$k" \
		"$load" "$mbps"
}
fs_pid_state() { # fs_pid_state PID — "running" or how it ended (zombie/exit status)
	if [[ -e /proc/$1 ]] && [[ $(awk '{print $3}' "/proc/$1/stat") != Z ]]; then echo running; return; fi
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	if ((rc > 128)); then echo "killed by signal $((rc - 128))"; else echo "exited $rc"; fi
}
fm_counters() { # fm_counters NAME... — "name=value" of flowmgr's counters
	"$bin/nfctl" -s "$sock" --json stats | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % (k, c.get(k, 0)) for k in sys.argv[1:]))' "$@"
}
failed=()
warmup_failed=0

# --- saturation through forward -----------------------------------------------------------------
echo "bench cost: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
if [[ -n ${FS_BENCH_SAT_MBPS:-} ]]; then
	sat=$FS_BENCH_SAT_MBPS
	echo "saturation (FS_BENCH_SAT_MBPS): $sat Mbit/s"
else
	chain_file forward - 1 "$run/fwd.yaml"
	lock
	fm_start "$run/fwd.yaml"
	s=()
	for _ in 1 2 3; do
		timeout 30 ip netns exec "$ns-a" iperf3 -c "$backend" -p 5201 -t 3 -J >"$run/sat.json" ||
			{ cat "$run/sat.json" >&2; echo "bench cost: saturation probe failed" >&2; exit 1; }
		s+=("$(python3 -c 'import json, sys
print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' \
			"$run/sat.json")")
	done
	stop_fm
	unlock
	sat=$(printf '%s\n' "${s[@]}" | sort -g | sed -n 2p)
	echo "saturation through flowmgr + forward (iperf3, 1 TCP stream, 3 s x 3): ${s[*]} Mbit/s," \
		"median $sat"
fi
loads=("10%:$((sat / 10))" "50%:$((sat / 2))" "90%:$((sat * 9 / 10))")

# --- the matrix ----------------------------------------------------------------------------------
tags=("")
[[ -n $base_bin ]] && tags+=("@base")
confs=()
for t in "${tags[@]}"; do confs+=("forward - 1 $t"); done
for mode in $modes; do
	for k in $ks; do
		for v in $variants; do
			if [[ $v == combined-indirect && $k != "$maxk" ]]; then continue; fi
			for t in "${tags[@]}"; do confs+=("$mode $v $k $t"); done
		done
	done
done
echo "bench cost: ${#confs[@]} configurations x $rounds rounds, loads ${loads[*]} (Mbit/s)," \
	"windows of $secs s"
for ((r = 1; r <= rounds; r++)); do
	order=("${confs[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#confs[@]} - 1; i >= 0; i--)); do order+=("${confs[i]}"); done
	fi
	for c in "${order[@]}"; do
		read -r mode v k tag <<<"$c"
		read -r host port < <(target "$mode" "$k")
		chain_file "$mode" "$v" "$k" "$run/chain.yaml"
		fm_bin=$bin
		[[ -n ${tag:-} ]] && fm_bin=$base_bin
		v=$v${tag:-}
		# every load at K = 1 and MAXK; the middle load only in between (the growth per VNF)
		ls=("${loads[@]}")
		[[ $k == 1 || $k == "$maxk" ]] || ls=("${loads[1]}")
		[[ $mode == forward || ($mode == counter && $k == "$maxk") ]] && ls+=("400:400")
		if ((r % 2 == 0)); then
			rev=()
			for ((i = ${#ls[@]} - 1; i >= 0; i--)); do rev+=("${ls[i]}"); done
			ls=("${rev[@]}")
		fi
		lock
		fm_start "$run/chain.yaml"
		# warm-up, not measured: ARP through the chain, the NAT's and LB's first mappings (the
		# first connection of a fresh chain sometimes stalls; a failure here is only counted)
		timeout 10 ip netns exec "$ns-a" iperf3 -c "$host" -p "$port" -n 2M -b 100M \
			--connect-timeout 3000 >/dev/null 2>&1 || warmup_failed=$((warmup_failed + 1))
		if window "$r" "$mode" "$v" "$k" idle 0 "$host" "$port"; then
			for l in "${ls[@]}"; do
				window "$r" "$mode" "$v" "$k" "${l%%:*}" "${l#*:}" "$host" "$port" || break
			done
		fi
		stop_fm
		unlock
	done
	echo "  round $r done ($(($(date +%s) - t_start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
done

# --- where the CPU goes: a perf profile of the counter chain at K = MAXK, 400 Mbit/s -------------
perf_profile() { # perf_profile BIN LABEL — appends the split of one profile to cost-perf.md
	fm_bin=$1
	chain_file counter combined-direct "$maxk" "$run/chain.yaml"
	lock
	fm_start "$run/chain.yaml"
	pids=$("$bin/nfctl" -s "$sock" --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(",".join(str(p) for p in [s["pid"]] + [v["pid"] for v in s["vnfs"]]))')
	timeout 30 ip netns exec "$ns-a" iperf3 -c "$backend" -p 5201 -t "$((${secs%.*} + 3))" \
		-b 400M >/dev/null 2>&1 &
	ip_pid=$!
	sleep 1
	rm -f "$run/perf.data"
	perf record -q -e cpu-clock -F 4999 -p "$pids" -o "$run/perf.data" -- sleep "$secs" \
		>/dev/null 2>&1 || echo "bench cost: perf record failed" >&2
	wait "$ip_pid" || true
	stop_fm
	unlock
	if [[ -s $run/perf.data ]]; then
		perf report -i "$run/perf.data" --no-children --sort comm,dso,sym --stdio \
			2>/dev/null >"$run/perf.txt" || true
		python3 "$here/perf_split.py" "$run/perf.txt" \
			"counter combined-direct K=$maxk, 400 Mbit/s, $2" >>"${csv%.csv}-perf.md"
	fi
}
if [[ ${FS_BENCH_PERF:-1} == 1 ]] && command -v perf >/dev/null; then
	: >"${csv%.csv}-perf.md"
	perf_profile "$bin" "this build"
	[[ -n $base_bin ]] && perf_profile "$base_bin" "base build ($base_bin)"
	cat "${csv%.csv}-perf.md"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- results ----------------------------------------------------------------------------------
raw_out=$raw
echo
python3 "$here/sample.py" summary "$raw" "$csv" "${csv%.csv}-goals.md"
{
	echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds, windows of $secs s, saturation" \
		"$sat Mbit/s, load average at start $load_start, at end $load_end, $(($(date +%s) - t_start)) s."
} | tee -a "${csv%.csv}-goals.md"
echo "warm-up connections that failed (fresh chains; not measured): $warmup_failed of $((rounds * ${#confs[@]}))" |
	tee -a "${csv%.csv}-goals.md"
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "windows not counted (iperf3 failed through the chain):" | tee -a "${csv%.csv}-goals.md"
	for f in "${failed[@]}"; do echo "  - $f"; done | tee -a "${csv%.csv}-goals.md"
fi
echo "written to $csv, $raw_out, ${csv%.csv}-goals.md"
"$top/bench/plot.sh" cost
