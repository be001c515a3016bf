#!/usr/bin/env bash
# bench/run.sh streamscale — the ids behind flowmgr's TCP context against Suricata with many
# concurrent connections (issue 13, Done-when 2 and 5); also run by `bench/run.sh stream` (part
# "scale").
#
# Capture (tests/tools/mkscale_pcaps.py, cached in the build directory): N connections open at
# once — every handshake first, then the data (the word ATTACK of rules sid 1 and 2 split across
# two segments, every 8th connection out of order, in groups of 64), then the closes — 9.875
# packets per connection. Both sides must write one alert of each rule per connection (2N).
#
# Ours: flowmgr (--workers 1) with net_pcap ports reading the capture and the chain `ids`
# (in_order, --action alert: Suricata only alerts too), `sessions:` 2N + N/4 + 1024 (a 5-tuple
# session per direction: two per connection), session idle timeout 600 s (the capture's
# connections wait for all the handshakes, then for every earlier group's data: at 1 M that is
# seconds of wall time; Suricata's timeouts run on the capture's clock, which stands still);
# packets/s timed as in bench/run.sh stream
# (bench/stream/ids_rate.py: from the ports opening until the ids received every packet).
# Suricata 7: `suricata -r PCAP -S RULES --runmode single -k none` with its flow and stream
# memcaps raised (flow.memcap 8gb, stream.memcap 8gb, stream.reassembly.memcap 16gb; the defaults
# — 32 MB of flows — put it in emergency mode and lose connections from ~100 k on); packets/s =
# decoder.pkts / (wall time - the wall time on a one-connection capture). One worker thread each
# side (ours: flowmgr's worker and the ids process).
#
# Memory (the bench's own figures): ours = flowmgr's hugepage files (/dev/hugepages, everything
# DPDK mapped for the run: the flow table, the TCP context, the mbuf pool, the rings — hugetlb pages
# are in no RSS) + the peak RSS (VmHWM) of flowmgr and the ids, taken once the ids has the whole
# capture; Suricata = its peak RSS (getrusage ru_maxrss). Per connection = (memory at N - memory
# of the same setup on the one-connection capture) / N; ours' setup on that capture has
# `sessions: 1024`, so the figure includes the table flowmgr allocates at start for N (with its
# slack of N/4 + 1024 sessions).
#
# Env: FS_BENCH_SCALE_CONNS ("10000 100000": timed, FS_BENCH_ROUNDS rounds, alternated),
# FS_BENCH_SCALE_MEM ("1000000": one run each side, memory; "" leaves it out), FS_BENCH_ROUNDS (3).
# Hugepages: ours at N connections needs about 1.4 KB x sessions + 100 MB; the bench raises the
# 2 MiB pool (deploy/hugepages.sh) to fit — ~1700 pages (3.4 GB) at 1 M — and gives the pages it
# added back at the end. Writes bench/results/streamscale.csv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
csv=${FS_BENCH_CSV:-$top/bench/results/streamscale.csv}
rounds=${FS_BENCH_ROUNDS:-3}
conns=${FS_BENCH_SCALE_CONNS:-10000 100000}
memconns=${FS_BENCH_SCALE_MEM-1000000}
rules=$top/tests/tools/ids_rules.txt
gen=$top/tests/tools/mkscale_pcaps.py
cache=${FS_BUILD_DIR:-$top/build}/cache
missing=()
command -v suricata >/dev/null || missing+=("suricata (bookworm-backports)")
[[ -x $bin/ids ]] || missing+=("$bin/ids")
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "bench streamscale: missing ${missing[*]}: run deploy/install-deps.sh (and build)" >&2
	exit 1
fi
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
"$top/deploy/hugepages.sh" >/dev/null
nr=/proc/sys/vm/nr_hugepages
huge0=$(cat "$nr")

prefix=fssc$$
run=$(mktemp -d /tmp/fsbench-streamscale.XXXXXX)
sock=$run/fm.sock
fm_pid=
stop_fm() {
	[[ -n $fm_pid ]] && fs_stop_pid "$fm_pid" 20
	fm_pid=
	fs_cleanup_dpdk "$prefix"
}
finish() {
	set +e
	stop_fm
	# give back the pages this run added (only free ones go; never below the start)
	[[ $(cat "$nr") -gt $huge0 ]] && echo "$huge0" >"$nr"
	rm -rf "$run"
}
trap finish EXIT
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
declare -A res
add() {
	res[$1]="${res[$1]:-} $2"
	echo "    $1 $2"
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

python3 -c "import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))" \
	"$run/empty.pcap"
mkdir -p "$cache"
# capture N -> path of the cached capture of N connections (generated once)
capture() {
	local base
	base=$cache/scale-$1-$(cksum <"$gen" | cut -d' ' -f1)
	if [[ ! -s $base.txt ]]; then
		python3 "$gen" "$base.pcap" "$1" --queues 2 >"$base.tmp"
		mv "$base.tmp" "$base.txt"
	fi
	echo "$base"
}
packets() { sed -n 's/.* packets=\([0-9]*\).*/\1/p' "$1.txt"; }

# ours PCAP PACKETS SESSIONS -> "pps alerts seconds huge_bytes hwm_bytes vnf_rx"
ours() {
	local out m al
	cat >"$run/ids.yaml" <<YAML
name: bench-streamscale
sessions: $3
ports:
  - {name: p0, dev: "net_pcap0,rx_pcap=$1,tx_pcap=/dev/null"}
  - {name: p1, dev: "net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=/dev/null"}
vnfs:
  - name: ids
    exec: ids
    args: ["--rules", "$rules", "--action", "alert", "--alerts", "$run/alerts"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 256
    timeout_ms: 600000
    flags: [in_order]
    policy: drop
YAML
	: >"$run/alerts"
	chown "${FS_SERVICE_USER:-flowsplice}:" "$run/alerts"
	"$bin/flowmgr" -c "$run/ids.yaml" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
		--lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	fm_pid=$!
	out=$(python3 "$top/bench/stream/ids_rate.py" "$bin/nfctl" "$sock" "$2" ids 600 || true)
	m=$(python3 "$here/mem.py" "$prefix" "$fm_pid")
	if [[ $out != seconds=* ]]; then
		sleep 1
		out="pps=0 seconds=0 vnf_rx=$("$bin/nfctl" -s "$sock" --json vnfs |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["vnfs"][0]["rx_pkts"])')"
	fi
	stop_fm # the ids writes its last alert lines as it exits
	al=$(wc -l <"$run/alerts")
	echo "$(kv pps "$out") $al $(kv seconds "$out") $(kv huge "$m") $(kv hwm "$m") $(kv vnf_rx "$out")"
}
# suri PCAP DIR -> "wall_s maxrss_bytes"
suri() {
	rm -rf "$2"
	mkdir -p "$2"
	python3 - "$2/stdout" suricata -r "$1" -S "$rules" --runmode single -k none -l "$2" \
		--set unix-command.enabled=no --set flow.memcap=8gb --set stream.memcap=8gb \
		--set stream.reassembly.memcap=16gb <<'PY' || echo "-1 -1"
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], "w") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
t1 = time.monotonic()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if rc != 0:
    sys.exit(1)
print("%.4f %d" % (t1 - t0, r.ru_maxrss * 1024))
PY
}
# suri_ids PCAP -> "pps alerts seconds maxrss decoder_pkts" (seconds less the tiny capture's)
suri_ids() {
	local tf mf pk
	read -r tf mf < <(suri "$1" "$run/suri")
	if [[ $tf == -1 ]]; then
		cat "$run/suri/stdout" >&2
		echo "bench streamscale: suricata failed (output above)" >&2
		exit 1
	fi
	pk=$(awk -F'|' '/^decoder.pkts /{gsub(/ /, "", $3); v = $3} END {print v + 0}' "$run/suri/stats.log")
	python3 -c "import sys; p, f, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print('%.0f %s %.3f %s %d' % (p / max(f - b, 1e-3), sys.argv[4], f - b, sys.argv[5], p))" \
		"$pk" "$tf" "$suri_tiny_s" "$(wc -l <"$run/suri/fast.log")" "$mf"
}
# need_pages SESSIONS — raises the hugepage pool so that ours fits
need_pages() {
	local want=$((($1 * 1400 + (160 << 20)) / (2 << 20) + 1))
	if [[ $want -gt $(cat "$nr") ]]; then
		"$top/deploy/hugepages.sh" "$want" >/dev/null
		echo "  hugepages raised to $(cat "$nr") (2 MiB) for $1 sessions"
	fi
}

echo "bench streamscale: $rounds rounds; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $(suricata -V 2>&1 | head -n 1)"
tiny=$(capture 1)
read -r suri_tiny_s suri_tiny_m < <(suri "$tiny.pcap" "$run/suri-tiny")
echo "  suricata on the one-connection capture: $suri_tiny_s s, peak RSS $((suri_tiny_m >> 20)) MiB"

# ours' baseline: the one-connection capture, sessions: 1024
read -r _ _ _ b_hg b_hw _ < <(ours "$tiny.pcap" "$(packets "$tiny")" 1024)
echo "  ours on the one-connection capture (sessions: 1024): hugepages $((b_hg >> 20)) MiB, peak RSS $((b_hw >> 20)) MiB"

# one_n N TIMED -> adds the figures of N connections (TIMED=1: pps too)
one_n() {
	local n=$1 base npk sess pps al s hg hw vrx pk mm who order
	base=$(capture "$n")
	npk=$(packets "$base")
	sess=$((2 * n + n / 4 + 1024))
	need_pages "$sess"
	echo "  $n connections: $npk packets ($(du -m "$base.pcap" | cut -f1) MB), sessions $sess"
	for ((r = 1; r <= $2; r++)); do
		order="ours suri"
		[[ $((r % 2)) -eq 0 ]] && order="suri ours"
		for who in $order; do
			if [[ $who == ours ]]; then
				read -r pps al s hg hw vrx < <(ours "$base.pcap" "$npk" "$sess")
				add "ids_$n,pps" "$pps"
				add "ids_$n,alerts" "$al"
				add "ids_$n,mem_mb" "$(((hg + hw) >> 20))"
				add "ids_$n,hugepages_mb" "$((hg >> 20))"
				add "ids_$n,rss_peak_mb" "$((hw >> 20))"
				add "ids_$n,bytes_per_conn" "$(((hg + hw - b_hg - b_hw) / n))"
				echo "      (ours: $s s, ids rx $vrx of $npk)"
			else
				read -r pps al s mm pk < <(suri_ids "$base.pcap")
				add "suricata_$n,pps" "$pps"
				add "suricata_$n,alerts" "$al"
				add "suricata_$n,mem_mb" "$((mm >> 20))"
				add "suricata_$n,rss_peak_mb" "$((mm >> 20))"
				add "suricata_$n,bytes_per_conn" "$(((mm - suri_tiny_m) / n))"
				echo "      (suricata: $s s without start-up, decoder.pkts $pk)"
			fi
		done
	done
	res[n,$n]="$npk"
}
for n in $conns; do one_n "$n" "$rounds"; done
for n in $memconns; do one_n "$n" 1; done

echo
echo "setup,metric,median,rounds" >"$csv"
printf '%-16s %-15s %12s   %s\n' setup metric median rounds
row() {
	local k="$1,$2" m
	[[ -n ${res[$k]:-} ]] || return 0
	m=$(median "${res[$k]}")
	res[$k,med]=$m
	echo "$k,$m,\"${res[$k]# }\"" >>"$csv"
	printf '%-16s %-15s %12s   %s\n' "$1" "$2" "$m" "${res[$k]# }"
}
for n in $conns $memconns; do
	echo "capture_$n,packets,${res[n,$n]},\"$n concurrent connections (mkscale_pcaps.py)\"" >>"$csv"
	for m in pps alerts mem_mb hugepages_mb rss_peak_mb bytes_per_conn; do
		row "ids_$n" "$m"
		row "suricata_$n" "$m"
	done
done
echo
echo "ratios, ours / Suricata (medians, same run):"
for n in $conns $memconns; do
	for m in pps bytes_per_conn mem_mb; do
		a=${res[ids_$n,$m,med]:-} b=${res[suricata_$n,$m,med]:-}
		[[ -n $a && -n $b ]] || continue
		v=$(python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.3f' % (a / b) if b else 'nan')" "$a" "$b")
		goal=""
		[[ $m == pps ]] && goal=" (goal >= 3)"
		[[ $m == bytes_per_conn ]] && goal=" (goal <= 1)"
		echo "  $n connections, $m: $v$goal"
		echo "ratio,ids_$n/suricata_$n,$m,$v" >>"$csv"
	done
	echo "  $n connections, alerts: ids ${res[ids_$n,alerts,med]:-?}, Suricata ${res[suricata_$n,alerts,med]:-?} (2 x $n expected)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other jobs skew both sides)"
echo "written to $csv"
