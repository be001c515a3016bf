#!/usr/bin/env bash
# bench/run.sh stream — the stream layer (flowmgr's TCP context and the VNFs on it) against the
# tools people use for the same jobs, side by side in one run (issue 7):
#
# 1. ids: nfs/ids behind the TCP context against Suricata, same rules (tests/tools/ids_rules.txt),
#    same capture (bench/tools/mkstream_pcap.py: FS_BENCH_CONNS connections of FS_BENCH_KB KiB
#    uploaded to port 80, "ATTACK" planted ~100 times per MiB). Ours: flowmgr with a net_pcap port
#    reading the capture (tx to /dev/null) and the chain `ids` (in_order); packets/s = packets of
#    the capture / time from the ports opening (flowmgr --wait-vnfs) until flowmgr's worker_rx and
#    the ids' rx_pkts both reach the count (bench/stream/ids_rate.py, polls every 50 ms; the
#    figure's uncertainty is printed). Suricata: `suricata -r PCAP -S RULES --runmode single
#    -k none`, default suricata.yaml; packets/s = decoder.pkts / (its wall time - the wall time of
#    the same command on a one-connection capture, i.e. without its start-up). Alerts: lines of our
#    alerts file, lines of Suricata's fast.log. Once more (not timed, one run each) with 2000
#    connections of 50 KiB, to show what the TCP context's 512-direction table does to a capture
#    with more connections than that in flight (closed sessions stay until their idle timeout).
# 2. rewrite: nfs/rewrite (--mask, --remove, --replace with a 60-byte string; in_order + resize)
#    in the path of real Linux TCP between host a and host b, against nginx as a reverse proxy with
#    sub_filter (proxy_buffering on, Accept-Encoding cleared) in a router namespace between the
#    same hosts. The origin (bench/stream/origin.py on host b) sends close-delimited bodies (no
#    Content-Length: rewrite runs without --http, on the raw stream), 10 MiB with "ATTACK" planted ~100 times per
#    MiB, or 1 KiB with one. Figures: MB/s of 10 MiB downloads (curl, one after the other for
#    FS_BENCH_SECONDS) and requests/s of 1 KiB bodies (curl -Z, FS_BENCH_PAR in parallel,
#    FS_BENCH_REQS requests, `Connection: close`: a new connection each). The first download of
#    each setup and mode is compared with the expected body. Alternated ours/nginx per round and
#    per mode.
# 3. TCP context alone: iperf3 goodput a -> b through flowmgr with nfs/tcpcheck (in_order: every
#    byte once and in order, untouched) against nfs/forward (no flags, no TCP context) and
#    nfs/counter (per-session state in the FCB, no TCP context: the paper's "state" bar), alternated.
#
# CPU cost (issue 16): CPU-seconds per GB of stream, utime + stime of every process of the
# middlebox (bench/stream/cpu.py: flowmgr and the VNFs it launched; Suricata; nginx's master and
# workers). ids: the whole run of the capture (ours: from flowmgr's start until the ids has every
# packet; Suricata: the whole `suricata -r`) less the same for the one-connection capture (start-up,
# rule compilation), per GB of the capture's TCP payload. rewrite: the CPU used during the 10 MiB
# downloads, per GB downloaded (curl and the origin are the same on both sides and not counted).
#
# Peers are required, never skipped: the run fails at once when Suricata (ids), nginx or the
# rewrite VNF (rewrite) is missing (deploy/install-deps.sh installs them).
#
# Ratios are ours / peer of the medians of FS_BENCH_ROUNDS rounds. Writes bench/results/stream.csv.
#
#   host a 198.18.0.1 (eth0) ==P-pa== flowmgr ==P-pb== (eth0) 198.18.0.2 host b
#          198.19.1.1 (eth1) == netns P-r (nginx 198.19.1.254 / 198.19.2.254) == (eth1) 198.19.2.2
#
# P = FS_BENCH_NS (default fss); the run refuses to start if its namespaces exist (another run).
# Env: FS_BENCH_ROUNDS (3), FS_BENCH_SECONDS (5), FS_BENCH_CONNS (200), FS_BENCH_KB (2560),
# FS_BENCH_REQS (5000), FS_BENCH_PAR (16), FS_BENCH_TIMEOUT_MS (session idle timeout of the
# chains during the requests/s runs, 100; the downloads and iperf3 use 5000), FS_BENCH_PARTS
# (default "ids tcp rewrite scale"; scale: bench/streamscale/run.sh, 10 k and 100 k concurrent
# connections and memory at 1 M, written to bench/results/streamscale.csv), FS_BENCH_MANY=0 leaves out the 2000 x 50 KiB run, FS_BENCH_KEEP=1 keeps the run directory (bodies that differed are
# kept there as dl.bin.differs.*).
#
# Why 200 connections of 2.5 MiB and not more, smaller ones: the TCP context tracks at most 512
# connection directions and frees a closed connection's two only when its session idles out; a
# capture replayed at full speed with more connections than that in flight loses the packets of
# the others (tcp_dirs_full) — which the 2000 x 50 KiB run shows. The capture must also be large
# enough for the 50 ms polling not to matter (~0.03 s of uncertainty against ~1 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
csv=${FS_BENCH_CSV:-$top/bench/results/stream.csv}
rounds=${FS_BENCH_ROUNDS:-3}
secs=${FS_BENCH_SECONDS:-5}
conns=${FS_BENCH_CONNS:-200}
kb=${FS_BENCH_KB:-2560}
reqs=${FS_BENCH_REQS:-5000}
par=${FS_BENCH_PAR:-16}
tmo=${FS_BENCH_TIMEOUT_MS:-100}
parts=${FS_BENCH_PARTS:-ids tcp rewrite scale}
ns=${FS_BENCH_NS:-fss}
rules=$top/tests/tools/ids_rules.txt
has_part() { [[ " $parts " == *" $1 "* ]]; }
# The peers: missing one is an error, never a silent skip (issue 16).
missing=()
if has_part ids; then
	command -v suricata >/dev/null || missing+=("suricata (bookworm-backports)")
	[[ -x $bin/ids ]] || missing+=("$bin/ids")
fi
if has_part rewrite; then
	command -v nginx >/dev/null || missing+=(nginx)
	[[ -x $bin/rewrite ]] || missing+=("$bin/rewrite")
fi
for t in curl iperf3 python3; do command -v "$t" >/dev/null || missing+=("$t"); done
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "bench stream: missing ${missing[*]}: run deploy/install-deps.sh (and build)" >&2
	exit 1
fi
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
# shellcheck source=bench/lib/bed.sh
. "$top/bench/lib/bed.sh" # stop_fm, bench_teardown
fs_ns_check_prefix "$ns" || exit 2
for x in "$ns-a" "$ns-b" "$ns-r"; do
	if [[ -e /run/netns/$x ]] || ip link show dev "$ns-p${x##*-}" >/dev/null 2>&1; then
		echo "bench stream: namespace or port of '$ns' in use ($x): another run? set FS_BENCH_NS" >&2
		exit 1
	fi
done
"$top/deploy/hugepages.sh" >/dev/null

prefix=${ns}s$$
run=$(mktemp -d /tmp/fsbench-stream.XXXXXX)
sock=$run/fm.sock
fm_pid=
srv=()
made_ns=0
finish() {
	set +e
	stop_fm
	bench_teardown "$ns" "$made_ns" "$ns-r"
}
trap finish EXIT

declare -A res
add() { # add KEY VALUE — one round's figure
	res[$1]="${res[$1]:-} $2"
	echo "    $1 $2"
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu_of() { python3 "$here/cpu.py" "$@"; } # cpu_of PID... -> CPU seconds of the process trees
per_gb() { python3 -c 'import sys; c, b = float(sys.argv[1]), float(sys.argv[2]); print("%.3f" % (c / (b / 1e9)) if b > 0 else "nan")' "$1" "$2"; }
note() { notes+=("$*"); }
notes=()

# fm_start CHAIN_FILE — flowmgr with the chain's VNFs launched, ports open once they attach.
# Returns without waiting when FM_NOWAIT=1 (the ids timing starts polling at once).
fm_start() {
	"$bin/flowmgr" -c "$1" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
		--lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	fm_pid=$!
	[[ ${FM_NOWAIT:-0} == 1 ]] && return 0
	local up=0
	for _ in $(seq 150); do
		up=$("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(int(all(x["state"] == "running" for x in v)))' 2>/dev/null || echo 0)
		[[ $up -eq 1 ]] && break
		sleep 0.1
	done
	[[ $up -eq 1 ]] || { cat "$run/fm.log" >&2; echo "bench stream: chain did not start" >&2; exit 1; }
	sleep 0.5
}
fm_counters() { # fm_counters NAME... — "name=value" of flowmgr's counters (0 when absent)
	"$bin/nfctl" -s "$sock" --json stats | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % (k, c.get(k, 0)) for k in sys.argv[1:]))' "$@"
}
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; } # kv KEY "k=v k=v" -> v

echo "bench stream: $rounds rounds; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ============================================================================================
# 1. ids vs Suricata
# ============================================================================================
ids_chain() { # ids_chain FILE PCAP ALERTS
	cat >"$1" <<YAML
name: bench-stream-ids
ports:
  - {name: p0, dev: "net_pcap0,rx_pcap=$2,tx_pcap=/dev/null"}
  - {name: p1, dev: "net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=/dev/null"}
mbufs: 32767
vnfs:
  - name: ids
    exec: ids
    args: ["--rules", "$rules", "--alerts", "$3"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 256
    timeout_ms: 2000
    flags: [in_order]
    policy: drop
YAML
}
# ours_ids PCAP PACKETS -> $run/ours.txt: "pps alerts seconds uncertainty vnf_rx tcp_dirs_full
# cpu_s fm_cpu_s" (cpu_s: flowmgr and the ids from their start until the ids has the whole
# capture; fm_cpu_s: flowmgr's part of it)
# (not in a subshell: flowmgr must stay known to the EXIT trap)
ours_ids() {
	local out c cpu fcpu
	ids_chain "$run/ids.yaml" "$1" "$run/alerts"
	: >"$run/alerts"
	chown "${FS_SERVICE_USER:-flowsplice}:" "$run/alerts" # the ids runs as the service user
	FM_NOWAIT=1 fm_start "$run/ids.yaml"
	out=$(python3 "$here/ids_rate.py" "$bin/nfctl" "$sock" "$2" ids 120 || true)
	cpu=$(cpu_of "$fm_pid")
	fcpu=$(cpu_of --self "$fm_pid")
	c=$(fm_counters tcp_dirs_full worker_rx 2>/dev/null || echo "tcp_dirs_full=-1")
	if [[ $out != seconds=* ]]; then # not everything reached the ids: say how much did
		sleep 1
		out="pps=0 seconds=0 uncertainty_s=0 vnf_rx=$("$bin/nfctl" -s "$sock" --json vnfs |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["vnfs"][0]["rx_pkts"])')"
	fi
	stop_fm # the ids writes its last alert lines as it exits
	echo "$(kv pps "$out") $(wc -l <"$run/alerts") $(kv seconds "$out") $(kv uncertainty_s "$out")" \
		"$(kv vnf_rx "$out") $(kv tcp_dirs_full "$c") $cpu $fcpu" >"$run/ours.txt"
}
# suri_run PCAP DIR -> "wall_seconds cpu_seconds" (cpu: utime + stime of suricata, all threads)
suri_run() {
	rm -rf "$2"
	mkdir -p "$2"
	python3 - "$2/stdout" suricata -r "$1" -S "$rules" --runmode single -k none -l "$2" \
		--set unix-command.enabled=no <<'PY' || echo "-1 -1"
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], "w") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
t1 = time.monotonic()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if rc != 0:
    sys.exit(1)
print("%.4f %.4f" % (t1 - t0, r.ru_utime + r.ru_stime))
PY
}
# suri_ids PCAP -> "pps alerts seconds decoder_pkts own_elapsed cpu_s" (cpu_s less the
# one-connection capture's: Suricata's start-up)
suri_ids() {
	local tb tf pk el cb cf
	read -r tb cb < <(suri_run "$run/tiny.pcap" "$run/suri-tiny")
	read -r tf cf < <(suri_run "$1" "$run/suri")
	if [[ $tf == -1 || $tb == -1 ]]; then
		cat "$run/suri/stdout" >&2
		echo "bench stream: suricata failed (output above)" >&2
		echo "0 0 0 0 0 0"
		return
	fi
	pk=$(awk -F'|' '/^decoder.pkts /{gsub(/ /, "", $3); v = $3} END {print v + 0}' "$run/suri/stats.log")
	el=$(sed -n 's/.*time elapsed \([0-9.]*\)s.*/\1/p' "$run/suri/suricata.log" | tail -n 1)
	python3 -c "import sys; p, f, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print('%.0f %s %.3f %d %s %.4f' % (p / max(f - b, 1e-3), sys.argv[4], f - b, p, sys.argv[5] or 'n/a',
      float(sys.argv[6]) - float(sys.argv[7])))" \
		"$pk" "$tf" "$tb" "$(wc -l <"$run/suri/fast.log")" "$el" "$cf" "$cb"
}

if has_part ids; then
	echo
	echo "== 1. ids vs Suricata =="
	python3 -c "import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))" \
		"$run/empty.pcap"
	tiny=$(python3 "$top/bench/tools/mkstream_pcap.py" "$run/tiny.pcap" --conns 1 --kb 1)
	gen=$(python3 "$top/bench/tools/mkstream_pcap.py" "$run/stream.pcap" --conns "$conns" --kb "$kb")
	npk=$(kv packets "$gen")
	planted=$(kv planted "$gen")
	pbytes=$(kv payload_bytes "$gen")
	echo "  capture: $gen ($(du -m "$run/stream.pcap" | cut -f1) MB); the ids must write 2 x $planted alerts"
	echo "  $(suricata -V 2>&1 | head -n 1)"
	for ((r = 1; r <= rounds; r++)); do
		# ours on the one-connection capture: the start-up CPU that the figure leaves out
		ours_ids "$run/tiny.pcap" "$(kv packets "$tiny")"
		read -r _ _ _ _ _ _ cpu_tiny fcpu_tiny <"$run/ours.txt"
		order="ours suri"
		[[ $((r % 2)) -eq 0 ]] && order="suri ours"
		for who in $order; do
			if [[ $who == ours ]]; then
				ours_ids "$run/stream.pcap" "$npk"
				read -r pps al s u vrx full cpu fcpu <"$run/ours.txt"
				add "flowsplice_ids,pps" "$pps"
				add "flowsplice_ids,alerts" "$al"
				add "flowsplice_ids,cpu_s_per_gb" "$(per_gb "$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$cpu" "$cpu_tiny")" "$pbytes")"
				add "flowsplice_ids,flowmgr_cpu_s_per_gb" "$(per_gb "$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$fcpu" "$fcpu_tiny")" "$pbytes")"
				echo "      (ours: $s s +- $u s, ids rx $vrx of $npk, tcp_dirs_full $full)"
				[[ $vrx == "$npk" ]] || note "ids round $r: the ids received $vrx of $npk packets"
			else
				read -r pps al s pk el cpu < <(suri_ids "$run/stream.pcap")
				add "suricata,pps" "$pps"
				add "suricata,alerts" "$al"
				add "suricata,cpu_s_per_gb" "$(per_gb "$cpu" "$pbytes")"
				echo "      (suricata: $s s without start-up, decoder.pkts $pk, its own 'time elapsed' ${el}s)"
			fi
		done
		echo "  round $r done"
	done
fi
if has_part ids && [[ ${FS_BENCH_MANY:-1} == 1 ]]; then
	# The same with 2000 connections of 50 KiB: more than the TCP context tracks at once.
	python3 "$top/bench/tools/mkstream_pcap.py" "$run/many.pcap" --conns 2000 --kb 50 >"$run/many.txt"
	mpk=$(kv packets "$(cat "$run/many.txt")")
	mpl=$(kv planted "$(cat "$run/many.txt")")
	ours_ids "$run/many.pcap" "$mpk"
	read -r pps al s u vrx full _ _ <"$run/ours.txt"
	res[many,ours]="$vrx $al $full"
	read -r spps sal s pk el _ < <(suri_ids "$run/many.pcap")
	res[many,suri]="$pk $sal $spps"
	echo "  2000 x 50 KiB ($mpk packets, 2 x $mpl occurrences): ids rx $vrx packets, $al alerts," \
		"tcp_dirs_full $full${res[many,suri]:+; suricata $pk packets, $sal alerts, $spps pkt/s}"
	rm -f "$run/many.pcap"
fi
rm -f "$run/stream.pcap"

# ============================================================================================
# Test bed of parts 2 and 3: hosts a and b through flowmgr, and through the router namespace.
# ============================================================================================
bed_up() {
	made_ns=1
	fs_ns_create "$ns"
	ip netns add "$ns-r"
	ip link add eth1 netns "$ns-a" type veth peer name r0 netns "$ns-r"
	ip link add eth1 netns "$ns-b" type veth peer name r1 netns "$ns-r"
	ip -n "$ns-a" addr add 198.19.1.1/24 dev eth1
	ip -n "$ns-r" addr add 198.19.1.254/24 dev r0
	ip -n "$ns-r" addr add 198.19.2.254/24 dev r1
	ip -n "$ns-b" addr add 198.19.2.2/24 dev eth1
	local x
	for x in "$ns-a eth1" "$ns-b eth1" "$ns-r r0" "$ns-r r1"; do
		# shellcheck disable=SC2086
		set -- $x
		ip -n "$1" link set "$2" up
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
	done
	ip -n "$ns-r" link set lo up
	ip -n "$ns-a" route add 198.19.2.0/24 via 198.19.1.254
	ip -n "$ns-b" route add 198.19.1.0/24 via 198.19.2.254
}

# chain FILE EXEC FLAGS SCRATCHPAD ARGS... — one VNF on the TCP path, everything else forwarded;
# sessions idle for $chain_tmo ms are released.
chain_tmo=5000
chain() {
	local file=$1 exec=$2 flags=$3 pad=$4 a sep=""
	shift 4
	{
		echo "name: bench-stream"
		echo "ports:"
		echo "  - {name: p0, dev: \"net_af_packet0,iface=$ns-pa,framecnt=4096\"}"
		echo "  - {name: p1, dev: \"net_af_packet1,iface=$ns-pb,framecnt=4096\"}"
		echo "mbufs: 65535"
		echo "vnfs:"
		echo "  - name: v"
		echo "    exec: $exec"
		printf '    args: ['
		for a in "$@"; do
			printf '%s"%s"' "$sep" "$a"
			sep=", "
		done
		echo "]"
		echo "    class: \"tcp\""
		echo "    session: \"5tuple\""
		echo "    scratchpad: $pad"
		echo "    timeout_ms: $chain_tmo"
		echo "    flags: [$flags]"
		echo "    policy: drop"
		echo "graph:"
		echo "  input:"
		echo "    - {match: \"tcp\", to: v}"
		echo "    - output"
		echo "  v: [output]"
	} >"$file"
}

if has_part tcp || has_part rewrite; then
	bed_up
	b=$(fs_ns_ip b)
fi

# ============================================================================================
# 3. TCP context alone (tcpcheck, in_order) vs plain forwarding (forward)
# ============================================================================================
iperf() { # iperf SERVER_IP -> Gbit/s (0 on failure)
	timeout $((secs + 20)) ip netns exec "$ns-a" iperf3 -c "$1" -p 5201 -t "$secs" \
		--connect-timeout 5000 -J >"$run/iperf.json" 2>&1 || {
		echo 0
		return
	}
	python3 -c 'import json, sys
print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$run/iperf.json"
}
if has_part tcp; then
	echo
	echo "== 3. TCP context alone: iperf3 a -> b, tcpcheck [in_order] vs forward =="
	ip netns exec "$ns-b" iperf3 -s -p 5201 >"$run/iperf3-s.log" 2>&1 &
	srv+=("$!")
	sleep 1
	chain "$run/tcpcheck.yaml" tcpcheck "in_order" 16
	chain "$run/forward.yaml" forward "" 16
	chain "$run/state.yaml" counter "" 24
	for ((r = 1; r <= rounds; r++)); do
		order="tcpcheck forward state"
		[[ $((r % 2)) -eq 0 ]] && order="state forward tcpcheck"
		for v in $order; do
			fm_start "$run/$v.yaml"
			add "$v,iperf3_gbps" "$(iperf "$b")"
			[[ $v == tcpcheck ]] && echo "      ($(fm_counters tcp_held tcp_replayed tcp_backpressure tcp_dirs_full))"
			stop_fm
		done
		echo "  round $r done"
	done
fi

# ============================================================================================
# 2. rewrite vs nginx sub_filter
# ============================================================================================
long=$(printf 'L%.0s' $(seq 60))
rw_args() { # rw_args MODE -> the rewrite VNF's rule
	case $1 in
	mask) echo "--mask ATTACK" ;;
	remove) echo "--remove ATTACK" ;;
	replace) echo "--replace ATTACK=$long" ;;
	esac
}
# dl HOST PORT WANT_FILE [NETNS] -> "MB/s ok bytes" — 10 MiB downloads for $secs seconds from host a
# (or NETNS); the first is compared with WANT_FILE
dl() {
	ip netns exec "${4:-$ns-a}" python3 - "http://$1:$2/big" "$secs" "$3" "$run/dl.bin" <<'PY'
import os, subprocess, sys, time
url, secs, want, tmp = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
cmd = ["curl", "-sS", "--max-time", "60", "-w", "%{http_code} %{size_download} %{time_total}"]
total = spent = 0.0
ok = "ok"
first = True
t_end = time.monotonic() + secs
while first or time.monotonic() < t_end:
    p = subprocess.run(cmd + ["-o", tmp if first else "/dev/null", url], capture_output=True,
                       text=True)
    out = p.stdout.split()
    if p.returncode != 0 or len(out) != 3 or out[0] != "200":
        err = (p.stderr.strip().splitlines() or [""])[-1]
        ok = "failed:curl_exit_%d:%s:%s" % (p.returncode, "/".join(out), err.replace(" ", "_"))
        break
    if first and open(tmp, "rb").read() != open(want, "rb").read():
        ok = "body-differs"
        os.rename(tmp, "%s.differs.%d" % (tmp, time.time()))
    first = False
    total += float(out[1])
    spent += float(out[2])
print("%.1f %s %d" % (total / spent / 1e6 if spent and not ok.startswith("failed") else 0, ok, total))
PY
}
# rps HOST PORT [NETNS] -> "requests/s ok" — $reqs requests of 1 KiB from host a (or NETNS), $par
# in parallel, a new connection each; requests/s counts the completed ones; ok says how many
# failed and how (curl's messages)
rps() {
	local t0 t1
	t0=$(date +%s.%N)
	timeout 300 ip netns exec "${3:-$ns-a}" curl -sS -Z --parallel-max "$par" -H "Connection: close" \
		--max-time 20 -o /dev/null -w '%{http_code} %{size_download}\n' \
		"http://$1:$2/small?[1-$reqs]" >"$run/rps.txt" 2>"$run/rps.err" || true
	t1=$(date +%s.%N)
	python3 - "$run/rps.txt" "$run/rps.err" "$reqs" "$t0" "$t1" <<'PY'
import collections, re, sys
codes = open(sys.argv[1]).read().split("\n")
good = sum(1 for c in codes if c.startswith("200 "))
n, dt = int(sys.argv[3]), float(sys.argv[5]) - float(sys.argv[4])
why = collections.Counter(m.group(1) for m in re.finditer(r"curl: (\(\d+\)[^\r\n]*?)(?: after|[\r\n]|$)",
                                                          open(sys.argv[2]).read(), re.M))
ok = "ok" if good == n else "failed:%d/%d:%s" % (
    n - good, n, ";".join("%dx%s" % (v, k.replace(" ", "_")) for k, v in why.most_common(3)))
print("%.0f %s" % (good / dt, ok))
PY
}
nginx_conf() {
	local port mode
	# nginx's workers run as nobody: a temp directory they can write (proxy_buffering spills there)
	mkdir -p "$run/nginx/tmp"
	chmod a+x "$run" "$run/nginx"
	chmod 1777 "$run/nginx/tmp"
	{
		echo "worker_processes auto; pid $run/nginx/nginx.pid; error_log $run/nginx/error.log;"
		echo "events { worker_connections 8192; }"
		echo "http { access_log off; keepalive_timeout 0;"
		echo "  client_body_temp_path $run/nginx/tmp; proxy_temp_path $run/nginx/tmp;"
		echo "  fastcgi_temp_path $run/nginx/tmp; uwsgi_temp_path $run/nginx/tmp;"
		echo "  scgi_temp_path $run/nginx/tmp;"
		for mode in mask remove replace; do
			case $mode in
			mask) port=8081 to=XXXXXX ;;
			remove) port=8082 to= ;;
			replace) port=8083 to=$long ;;
			esac
			echo "  server { listen 198.19.1.254:$port; location / {"
			echo "    proxy_pass http://198.19.2.2:8080; proxy_buffering on;"
			echo "    proxy_set_header Accept-Encoding \"\";"
			echo "    sub_filter 'ATTACK' '$to'; sub_filter_once off; sub_filter_types *; } }"
		done
		echo "}"
	} >"$run/nginx/nginx.conf"
}
declare -A nginx_port=([mask]=8081 [remove]=8082 [replace]=8083)
# ours_path LABEL WANT EXEC FLAGS ARGS... — downloads through flowmgr with the VNF (sessions idle
# 5 s are released), then requests with a chain whose sessions go after $tmo ms idle: the TCP
# context tracks at most 512 connection directions and frees a closed connection's only when its
# session is released, so a longer timeout makes a stream of short connections overflow it
# (tcp_dirs_full: their SYNs are dropped and retried a second later).
ours_path() {
	local label=$1 want=$2 v ok nb c0 c1
	shift 2
	chain_tmo=5000 chain "$run/rw.yaml" "$1" "$2" 512 "${@:3}"
	fm_start "$run/rw.yaml"
	c0=$(cpu_of "$fm_pid")
	f0=$(cpu_of --self "$fm_pid")
	read -r v ok nb < <(dl "$b" 8080 "$want")
	c1=$(cpu_of "$fm_pid")
	f1=$(cpu_of --self "$fm_pid")
	add "$label,dl_mbps" "$v"
	add "$label,cpu_s_per_gb" "$(per_gb "$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$c0" "$c1")" "$nb")"
	add "$label,flowmgr_cpu_s_per_gb" "$(per_gb "$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$f0" "$f1")" "$nb")"
	[[ $ok == ok ]] || note "$label round $r: download $ok ($(fm_counters tcp_hold_expired tcp_ooo_full drop_tcp))"
	stop_fm
	chain_tmo=$tmo chain "$run/rw.yaml" "$1" "$2" 512 "${@:3}"
	fm_start "$run/rw.yaml"
	read -r v ok < <(rps "$b" 8080)
	add "$label,rps" "$v"
	[[ $ok == ok ]] || note "$label round $r: requests $ok"
	echo "      ($(fm_counters tcp_dirs_full tcp_resized_segments tcp_split_segments tcp_replayed drop_tcp))"
	stop_fm
}
modes=(mask remove replace)

if has_part rewrite; then
	echo
	echo "== 2. rewrite vs nginx sub_filter (10 MiB downloads MB/s; 1 KiB requests/s, new connection each) =="
	why=
	[[ -x $bin/rewrite ]] || why="the rewrite VNF is not built ($bin/rewrite)"
	command -v nginx >/dev/null || why="${why:+$why; }nginx is not installed"
	if [[ -n $why ]]; then # checked at the start already: never skipped
		echo "bench stream: $why" >&2
		exit 1
	else
		python3 - "$run/big.bin" "$run/small.bin" "$run" "$long" <<'PY'
import os, random, sys
r = random.Random(7)
data = bytearray(os.urandom(10 << 20))
size, words = len(data), 1000  # ~100 per MiB, not overlapping
starts = sorted(r.randrange(size - 6 * words) for _ in range(words))
for i, s in enumerate(starts):
    data[s + 6 * i:s + 6 * i + 6] = b"ATTACK"
small = bytearray(os.urandom(1024))
small[500:506] = b"ATTACK"
open(sys.argv[1], "wb").write(data)
open(sys.argv[2], "wb").write(small)
for mode, to in (("mask", b"XXXXXX"), ("remove", b""), ("replace", sys.argv[4].encode())):
    open("%s/want-%s.bin" % (sys.argv[3], mode), "wb").write(bytes(data).replace(b"ATTACK", to))
PY
		ip netns exec "$ns-b" python3 "$here/origin.py" 8080 "$run/big.bin" "$run/small.bin" 2 \
			>"$run/origin.log" 2>&1 &
		srv+=("$!")
		nginx_conf
		ip netns exec "$ns-r" nginx -c "$run/nginx/nginx.conf" -g 'daemon off;' >"$run/nginx.out" 2>&1 &
		srv+=("$!")
		nginx_pid=$!
		sleep 1
		# The origin alone, from host b itself: what the two paths share.
		read -r o_dl _ _ < <(dl 127.0.0.1 8080 "$run/big.bin" "$ns-b")
		read -r o_rps _ < <(rps 127.0.0.1 8080 "$ns-b")
		echo "  origin alone (curl on host b, loopback): $o_dl MB/s, $o_rps requests/s"
		res[origin,dl_mbps]=$o_dl
		res[origin,rps]=$o_rps
		for ((r = 1; r <= rounds; r++)); do
			for mode in "${modes[@]}"; do
				order="ours nginx"
				[[ $((r % 2)) -eq 0 ]] && order="nginx ours"
				for who in $order; do
					if [[ $who == ours ]]; then
						# shellcheck disable=SC2046
						ours_path "rewrite_$mode" "$run/want-$mode.bin" rewrite "in_order, resize" \
							$(rw_args "$mode") --dir s2c
					else
						c0=$(cpu_of "$nginx_pid")
						read -r v ok nb < <(dl 198.19.1.254 "${nginx_port[$mode]}" "$run/want-$mode.bin")
						c1=$(cpu_of "$nginx_pid")
						add "nginx_$mode,dl_mbps" "$v"
						add "nginx_$mode,cpu_s_per_gb" "$(per_gb "$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$c0" "$c1")" "$nb")"
						[[ $ok == ok ]] || note "nginx $mode round $r: download $ok"
						read -r v ok < <(rps 198.19.1.254 "${nginx_port[$mode]}")
						add "nginx_$mode,rps" "$v"
						[[ $ok == ok ]] || note "nginx $mode round $r: requests $ok"
					fi
				done
			done
			# the same path with a pass-through VNF: what flowmgr costs without the TCP context
			ours_path forward_path "$run/big.bin" forward ""
			echo "  round $r done"
		done
	fi
fi

# ============================================================================================
# Table, ratios, CSV
# ============================================================================================
echo
echo "setup,metric,median,rounds" >"$csv"
printf '%-18s %-10s %12s   %s\n' setup metric median rounds
row() { # row SETUP METRIC
	local k="$1,$2" m
	[[ -n ${res[$k]:-} ]] || return 0
	if [[ ${res[$k]} == skipped ]]; then
		m=skipped
	else
		m=$(median "${res[$k]}")
	fi
	res[$k,med]=$m
	echo "$k,$m,\"${res[$k]# }\"" >>"$csv"
	printf '%-18s %-10s %12s   %s\n' "$1" "$2" "$m" "${res[$k]# }"
}
ratio() { # ratio OURS PEER METRIC LABEL
	local a=${res[$1,$3,med]:-} b=${res[$2,$3,med]:-}
	[[ -n $a && -n $b ]] || return 0
	python3 - "$a" "$b" "$4" "$3" "$1/$2" "$csv" <<'PY'
import sys
a, b, label, metric, key, csv = sys.argv[1:7]
try:
    r = float(a) / float(b)
    behind = r > 1 if metric.startswith("cpu") else r < 1  # CPU per GB: lower is better
    txt, val = "%.2fx%s" % (r, "  (ours behind)" if behind else ""), "%.3f" % r
except (ValueError, ZeroDivisionError):
    txt, val = "n/a", "skipped" if "skipped" in (a, b) else "nan"
print("  %-44s %s" % (label + ", " + metric, txt))
open(csv, "a").write("ratio,%s,%s,%s\n" % (key, metric, val))
PY
}
if has_part ids; then
	echo "capture,packets,$npk,\"$conns connections of $kb KiB\"" >>"$csv"
	echo "capture,payload_bytes,$pbytes,\"$conns connections of $kb KiB\"" >>"$csv"
	row flowsplice_ids pps
	row suricata pps
	row flowsplice_ids cpu_s_per_gb
	row flowsplice_ids flowmgr_cpu_s_per_gb
	row suricata cpu_s_per_gb
	row flowsplice_ids alerts
	row suricata alerts
fi
if [[ -n ${res[many,ours]:-} ]]; then
	# the 2000 x 50 KiB capture, one run each (not a median)
	read -r vrx al full <<<"${res[many,ours]}"
	{
		echo "flowsplice_ids_2000x50k,ids_rx_pkts,$vrx,\"one run; of $mpk packets\""
		echo "flowsplice_ids_2000x50k,alerts,$al,\"one run; 2 x $mpl occurrences\""
		echo "flowsplice_ids_2000x50k,tcp_dirs_full,$full,\"one run\""
	} >>"$csv"
	if [[ -n ${res[many,suri]:-} ]]; then
		read -r pk sal spps <<<"${res[many,suri]}"
		{
			echo "suricata_2000x50k,pkts,$pk,\"one run; of $mpk packets\""
			echo "suricata_2000x50k,alerts,$sal,\"one run\""
			echo "suricata_2000x50k,pps,$spps,\"one run\""
		} >>"$csv"
	fi
fi
if has_part tcp; then
	row tcpcheck iperf3_gbps
	row forward iperf3_gbps
	row state iperf3_gbps
fi
if has_part rewrite; then
	for mode in "${modes[@]}"; do
		for m in dl_mbps rps cpu_s_per_gb flowmgr_cpu_s_per_gb; do
			row "rewrite_$mode" "$m"
			row "nginx_$mode" "$m"
		done
	done
	row forward_path dl_mbps
	row forward_path cpu_s_per_gb
	row forward_path flowmgr_cpu_s_per_gb
	row forward_path rps
	if [[ -n ${res[origin,rps]:-} ]]; then
		echo "origin_alone,dl_mbps,${res[origin,dl_mbps]},\"one run; curl on host b, loopback\"" >>"$csv"
		echo "origin_alone,rps,${res[origin,rps]},\"one run; curl on host b, loopback\"" >>"$csv"
	fi
fi
echo
echo "ratios, ours / peer (medians, same run):"
if has_part ids; then
	ratio flowsplice_ids suricata pps "ids / Suricata"
	ratio flowsplice_ids suricata cpu_s_per_gb "ids / Suricata (goal <= 0.333)"
	a=${res[flowsplice_ids,alerts,med]} s=${res[suricata,alerts,med]:-skipped}
	echo "  alerts: ids $a (2 x $planted planted occurrences), Suricata $s"
	if [[ $s != skipped && $a != "$s" ]]; then
		echo "    they differ: the ids writes one alert per occurrence; Suricata alerts a signature at"
		echo "    most once per inspected packet or stream chunk (tests/tools/mkids_pcaps.py expected.txt,"
		echo "    case two_in_one), so occurrences sharing a chunk count once there."
	fi
fi
if has_part tcp; then
	ratio tcpcheck forward iperf3_gbps "TCP context (tcpcheck) / forward"
fi
if has_part rewrite; then
	for mode in "${modes[@]}"; do
		for m in dl_mbps rps; do ratio "rewrite_$mode" "nginx_$mode" "$m" "rewrite / nginx sub_filter, $mode"; done
		ratio "rewrite_$mode" "nginx_$mode" cpu_s_per_gb "rewrite / nginx sub_filter, $mode (goal <= 0.5)"
	done
fi
if [[ ${#notes[@]} -gt 0 ]]; then
	echo
	echo "notes:"
	for n in "${notes[@]}"; do echo "  - $n"; done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other jobs skew both sides)"
echo "written to $csv"
if has_part scale; then # ids vs Suricata at 10 k / 100 k concurrent connections, memory at 1 M
	echo
	echo "== 4. ids vs Suricata with many concurrent connections (bench/streamscale/run.sh) =="
	trap - EXIT
	finish
	FS_BENCH_CSV=$(dirname "$csv")/streamscale.csv "$top/bench/streamscale/run.sh"
fi
