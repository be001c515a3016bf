#!/usr/bin/env bash
# bench/paper/bed.sh PART [--quick] — the HTTP measurements of `bench/run.sh paper` that no other
# bench makes, on one test bed of real Linux hosts (netns), each against what Linux users run for
# the same job. Appends rows "figure,setup,x,metric,value,rounds" to $FS_PAPER_CSV.
#
#   fig14  HTTP goodput vs object size (1 KiB .. 16 MiB; --quick: 1 KiB, 1 MiB), a new connection
#          per request (`Connection: close`, as the paper: keep-alive off), wrk -c 32, through:
#            forward   flowmgr + nfs/forward (the platform's upper bound, the paper's "Forwarding")
#            lb        flowmgr + nfs/lb (VIP 198.18.0.200:80 over three backends, round robin)
#            haproxy   HAProxy in TCP mode in the router namespace (same three backends)
#            nginx     nginx reverse proxy in the router namespace (same three backends)
#            linux     the router namespace only routing (the kernel's upper bound)
#   fig16  flow completion time (8 KiB requests, a new connection each, wrk -c 8: 8 / requests/s,
#          as wrk's own latency leaves out the connect) and flowmgr's RX-to-TX packet latency (p50, p99: log2 histogram bucket upper
#          bounds) through flowmgr + K = 1..5 nfs/counter VNFs, combined (one classification in
#          flowmgr) vs independent (each VNF classifies again in its own rte_hash table); the
#          router namespace routing is the K = 0 reference.
#   fig17  requests/s of 8 KiB objects (a new connection each, wrk -c 16) through chains vs the
#          Linux kernel doing the same job in the router namespace:
#            nat       nfs/nat                         vs nftables masquerade
#            natstats  nfs/nat + nfs/counter            vs masquerade + conntrack accounting
#            chain     fw -> nat -> flowmon -> lb       vs nftables filter + DNAT round robin
#                      (deploy/chains/nat-lb.yaml)         (numgen) + masquerade + ct accounting
#          on the CPUs this script may use (bench/run.sh paper runs it under `taskset -c 0` and on
#          every CPU): flowmgr's two lcores, its VNFs, the clients and the servers all share them.
#
#   host a 198.18.0.1, .33 (eth0) ==P-pa== flowmgr ==P-pb== (eth0) host b 198.18.0.2, .11-.13
#          198.19.1.1 (eth1) == netns P-r (198.19.1.254 | 198.19.2.254) == (eth1) 198.19.2.2, .11-.13
#   nginx on host b serves the objects on :8080 (all addresses); HAProxy listens on
#   198.19.1.254:80, the nginx proxy on :81, Linux's VIP is 198.19.3.200:80.
#
# Rounds alternate the order of the set-ups; figures are medians. Env: FS_BENCH_NS (fsbp),
# FS_BENCH_SECONDS (3; --quick 2), FS_BENCH_ROUNDS (2; --quick 1), FS_PAPER_CSV (required),
# FS_PAPER_TAG (a label for the CPU set, fig17: "1cpu", "2cpu").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
part=${1:-}
shift || true
quick=0
[[ ${1:-} == --quick ]] && quick=1
secs=${FS_BENCH_SECONDS:-3}
rounds=${FS_BENCH_ROUNDS:-2}
[[ $quick -eq 1 ]] && secs=${FS_BENCH_SECONDS:-2} rounds=${FS_BENCH_ROUNDS:-1}
ns=${FS_BENCH_NS:-fsbp}
csv=${FS_PAPER_CSV:?FS_PAPER_CSV must name the output CSV}
tag=${FS_PAPER_TAG:-}
case $part in fig14 | fig16 | fig17) ;; *)
	echo "usage: bench/paper/bed.sh fig14|fig16|fig17 [--quick]" >&2
	exit 2
	;;
esac
for t in wrk nginx haproxy nft ip ethtool python3; do
	command -v "$t" >/dev/null || { echo "bench paper: $t not found (deploy/install-deps.sh)" >&2; exit 1; }
done
for b in flowmgr nfctl forward counter fw nat flowmon lb; do
	[[ -x $bin/$b ]] || { echo "bench paper: $bin/$b not built" >&2; exit 1; }
done
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
# shellcheck source=bench/lib/bed.sh
. "$top/bench/lib/bed.sh" # stop_fm, bench_teardown
fs_ns_check_prefix "$ns" || exit 2
for x in "$ns-a" "$ns-b" "$ns-r"; do
	if [[ -e /run/netns/$x ]]; then
		echo "bench paper: namespace $x exists: another run? set FS_BENCH_NS" >&2
		exit 1
	fi
done
"$top/deploy/hugepages.sh" >/dev/null

# The CPUs we may use: flowmgr's control and datapath lcores go on the first two (one if alone).
mapfile -t cpus < <(python3 -c 'import os; print("\n".join(map(str, sorted(os.sched_getaffinity(0)))))')
lcores="0@${cpus[0]},1@${cpus[1]:-${cpus[0]}}"

prefix=${ns}$$
run=$(mktemp -d /tmp/fsbench-paper.XXXXXX)
sock=$run/fm.sock
fm_pid=
srv=()
made=0
finish() {
	set +e
	stop_fm
	bench_teardown "$ns" "$made" "$ns-r"
}
trap finish EXIT

# --- test bed ----------------------------------------------------------------------------------
made=1
fs_ns_create "$ns"
client=198.18.0.33
ip -n "$ns-a" addr add "$client/24" dev eth0
ip -n "$ns-a" route replace 198.18.0.0/24 dev eth0 src "$client" # nat's inside: 198.18.0.32/27
for i in 11 12 13; do ip -n "$ns-b" addr add "198.18.0.$i/24" dev eth0; done
ip netns add "$ns-r"
ip link add eth1 netns "$ns-a" type veth peer name r0 netns "$ns-r"
ip link add eth1 netns "$ns-b" type veth peer name r1 netns "$ns-r"
ip -n "$ns-a" addr add 198.19.1.1/24 dev eth1
ip -n "$ns-r" addr add 198.19.1.254/24 dev r0
ip -n "$ns-r" addr add 198.19.2.254/24 dev r1
ip -n "$ns-b" addr add 198.19.2.2/24 dev eth1
for i in 11 12 13; do ip -n "$ns-b" addr add "198.19.2.$i/24" dev eth1; done
for x in "$ns-a eth1" "$ns-b eth1" "$ns-r r0" "$ns-r r1"; do
	# shellcheck disable=SC2086
	set -- $x
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
done
ip -n "$ns-r" link set lo up
ip -n "$ns-a" route add 198.19.2.0/24 via 198.19.1.254
ip -n "$ns-a" route add 198.19.3.0/24 via 198.19.1.254
ip -n "$ns-b" route add 198.19.1.0/24 via 198.19.2.254
ip netns exec "$ns-r" sysctl -q -w net.ipv4.ip_forward=1
ip netns exec "$ns-r" sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"
ip netns exec "$ns-a" sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"
for n in a r; do ip netns exec "$ns-$n" sysctl -q -w net.ipv4.tcp_tw_reuse=1; done

mkdir -p "$run/www" "$run/nginx/tmp"
chmod a+x "$run" "$run/nginx"
chmod 1777 "$run/nginx/tmp"
declare -A size=([1k]=1024 [8k]=8192 [64k]=65536 [1m]=1048576 [16m]=16777216)
for s in "${!size[@]}"; do head -c "${size[$s]}" /dev/urandom >"$run/www/$s.bin"; done
chmod -R a+rX "$run/www"
cat >"$run/nginx/origin.conf" <<NGX
worker_processes 1; pid $run/nginx/origin.pid; error_log $run/nginx/origin.err;
events { worker_connections 8192; }
http { access_log off; sendfile on; keepalive_timeout 0;
  client_body_temp_path $run/nginx/tmp; proxy_temp_path $run/nginx/tmp;
  fastcgi_temp_path $run/nginx/tmp; uwsgi_temp_path $run/nginx/tmp; scgi_temp_path $run/nginx/tmp;
  server { listen 8080 reuseport backlog=4096; root $run/www; } }
NGX
ip netns exec "$ns-b" nginx -c "$run/nginx/origin.conf" -g 'daemon off;' >"$run/origin.out" 2>&1 &
srv+=("$!")
sleep 0.5

# --- measurements ------------------------------------------------------------------------------
declare -A res
add() { # add KEY VALUE
	res[$1]="${res[$1]:-} $2"
	echo "    $1 $2"
}
# median: the middle value, the mean of the two middle ones for an even count
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# wrkrun URL CONNS -> "requests/s flow_completion_ms errors response_ms": the flow completion
# time (connect, request, response, close) is CONNS / requests/s (Little's law: wrk keeps CONNS
# connections busy); wrk's own latency starts after the connect (response_ms); errors: socket
# errors + non-2xx responses
wrkrun() {
	timeout $((${secs%.*} + 30)) ip netns exec "$ns-a" wrk -t 1 -c "$2" -d "${secs}s" --timeout 10s \
		-H "Connection: close" "$1" >"$run/wrk.txt" 2>&1 || true
	python3 - "$run/wrk.txt" "$2" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Requests/sec:\s+([\d.]+)", t)
lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", t)
ms = float(lat.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[lat.group(2)] if lat else float("nan")
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err += int(bad.group(1)) if bad else 0
rps = float(m.group(1)) if m else 0.0
print("%.1f %.3f %d %.3f" % (rps, int(sys.argv[2]) * 1e3 / rps if rps else float("nan"), err, ms))
PY
}
fm_start() { # fm_start YAML — flowmgr with its VNFs launched; returns once all run
	"$bin/flowmgr" -c "$1" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
		--lcores "$lcores" >"$run/fm.log" 2>&1 &
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
	[[ $up -eq 1 ]] || { cat "$run/fm.log" >&2; echo "bench paper: chain $1 did not start" >&2; exit 1; }
	sleep 0.5
}
lat_snap() { "$bin/nfctl" -s "$sock" --json stats >"$1"; }
# lat_pct A B -> "p50_us p99_us" of flowmgr's RX-to-TX histogram between two stats snapshots
lat_pct() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f))["counters"] for f in sys.argv[1:3])
h = sorted((int(k.split("_")[-1]), b[k] - a.get(k, 0)) for k in b if k.startswith("latency_ns_"))
tot = sum(v for _, v in h)
def pct(p):
    acc = 0
    for lo, v in h:
        acc += v
        if tot and acc >= p * tot:
            return 2 * lo / 1000.0
    return float("nan")
print("%.1f %.1f" % (pct(0.5), pct(0.99)))
PY
}
ports() {
	echo "ports:"
	echo "  - {name: p0, dev: \"net_af_packet0,iface=$ns-pa,framecnt=4096\"}"
	echo "  - {name: p1, dev: \"net_af_packet1,iface=$ns-pb,framecnt=4096\", reverse: true}"
	echo "mbufs: 65535"
	echo "sessions: 65536"
}
lb_vnf() {
	echo "  - name: lb"
	echo "    exec: lb"
	echo "    args: [\"--vip\", \"198.18.0.200:80\", \"--backend\", \"198.18.0.11:8080\","
	echo "           \"--backend\", \"198.18.0.12:8080\", \"--backend\", \"198.18.0.13:8080\", \"--policy\", \"rr\"]"
	echo "    session: \"5tuple\""
	echo "    scratchpad: 8"
	echo "    timeout_ms: 10000"
	echo "    policy: drop"
}
nat_vnf() {
	echo "  - name: nat"
	echo "    exec: nat"
	echo "    args: [\"--public\", \"198.18.0.100\", \"--ports\", \"20000-59999\", \"--inside\", \"198.18.0.32/27\"]"
	echo "    class: \"ip or arp\""
	echo "    session: \"5tuple\""
	echo "    scratchpad: 16"
	echo "    timeout_ms: 10000"
	echo "    flags: [bidir, rewrite]"
	echo "    policy: drop"
}
write_row() { # write_row FIGURE SETUP X METRIC KEY
	local m
	m=$(median "${res[$5]}")
	echo "$1,$2,$3,$4,$m,\"${res[$5]# }\"" >>"$csv"
}

# ============================================================================================
if [[ $part == fig14 ]]; then
	sizes=(1k 64k 1m 16m)
	[[ $quick -eq 1 ]] && sizes=(1k 1m)
	cat >"$run/haproxy.cfg" <<HAP
global
  maxconn 8000
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 198.19.1.254:80
  default_backend be
backend be
  balance roundrobin
  server s1 198.19.2.11:8080
  server s2 198.19.2.12:8080
  server s3 198.19.2.13:8080
HAP
	cat >"$run/nginx/proxy.conf" <<NGX
worker_processes 1; pid $run/nginx/proxy.pid; error_log $run/nginx/proxy.err;
events { worker_connections 8192; }
http { access_log off; keepalive_timeout 0;
  client_body_temp_path $run/nginx/tmp; proxy_temp_path $run/nginx/tmp;
  fastcgi_temp_path $run/nginx/tmp; uwsgi_temp_path $run/nginx/tmp; scgi_temp_path $run/nginx/tmp;
  upstream be { server 198.19.2.11:8080; server 198.19.2.12:8080; server 198.19.2.13:8080; }
  server { listen 198.19.1.254:81 reuseport backlog=4096; location / { proxy_pass http://be; } } }
NGX
	ip netns exec "$ns-r" haproxy -f "$run/haproxy.cfg" -db >"$run/haproxy.out" 2>&1 &
	srv+=("$!")
	ip netns exec "$ns-r" nginx -c "$run/nginx/proxy.conf" -g 'daemon off;' >"$run/proxy.out" 2>&1 &
	srv+=("$!")
	{ echo "name: paper-fig14-forward"; ports; echo "vnfs:"; echo "  - {name: v1, exec: forward, policy: drop}"; } >"$run/forward.yaml"
	{ echo "name: paper-fig14-lb"; ports; echo "vnfs:"; lb_vnf; } >"$run/lb.yaml"
	sleep 0.5
	echo "bench paper fig14: $rounds round(s) of ${secs} s per size; sizes ${sizes[*]}; wrk -c 32, Connection: close"
	setups=(forward lb haproxy nginx linux)
	for ((r = 1; r <= rounds; r++)); do
		order=("${setups[@]}")
		[[ $((r % 2)) -eq 0 ]] && order=(linux nginx haproxy lb forward)
		for s in "${order[@]}"; do
			case $s in
			forward)
				fm_start "$run/forward.yaml"
				url="http://198.18.0.2:8080"
				;;
			lb)
				fm_start "$run/lb.yaml"
				url="http://198.18.0.200"
				;;
			haproxy) url="http://198.19.1.254:80" ;;
			nginx) url="http://198.19.1.254:81" ;;
			linux) url="http://198.19.2.2:8080" ;;
			esac
			for z in "${sizes[@]}"; do
				read -r rps _ err _ < <(wrkrun "$url/$z.bin" 32)
				gb=$(python3 -c "import sys; print('%.4f' % (float(sys.argv[1]) * int(sys.argv[2]) * 8 / 1e9))" "$rps" "${size[$z]}")
				add "$s,$z,gbps" "$gb"
				add "$s,$z,rps" "$rps"
				[[ $err -eq 0 ]] || echo "      ($s $z: $err errors)"
			done
			stop_fm
		done
	done
	for s in "${setups[@]}"; do
		for z in "${sizes[@]}"; do
			write_row fig14 "$s" "${size[$z]}" goodput_gbps "$s,$z,gbps"
			write_row fig14 "$s" "${size[$z]}" rps "$s,$z,rps"
		done
	done
fi

# ============================================================================================
if [[ $part == fig16 ]]; then
	maxk=5
	ks=(1 2 3 4 5)
	[[ $quick -eq 1 ]] && ks=(1 3 5)
	counters() { # counters VARIANT K FILE
		local i
		{
			echo "name: paper-fig16"
			ports
			echo "vnfs:"
			for ((i = 1; i <= $2; i++)); do
				if [[ $1 == combined ]]; then
					echo "  - {name: v$i, exec: counter, session: \"5tuple\", scratchpad: 24, timeout_ms: 10000, isolation: direct, policy: drop}"
				else
					echo "  - {name: v$i, exec: counter, session: \"\", scratchpad: 24, timeout_ms: 10000, isolation: independent, policy: drop}"
				fi
			done
		} >"$3"
	}
	echo "bench paper fig16: $rounds round(s) of ${secs} s; K = ${ks[*]} (max $maxk); 8 KiB, wrk -c 8, Connection: close"
	for ((r = 1; r <= rounds; r++)); do
		read -r rps fct err _ < <(wrkrun "http://198.19.2.2:8080/8k.bin" 8)
		add "linux,0,fct" "$fct"
		add "linux,0,rps" "$rps"
		for k in "${ks[@]}"; do
			order=(combined independent)
			[[ $((r % 2)) -eq 0 ]] && order=(independent combined)
			for v in "${order[@]}"; do
				counters "$v" "$k" "$run/c.yaml"
				fm_start "$run/c.yaml"
				lat_snap "$run/a.json"
				read -r rps fct err _ < <(wrkrun "http://198.18.0.2:8080/8k.bin" 8)
				lat_snap "$run/b.json"
				read -r p50 p99 < <(lat_pct "$run/a.json" "$run/b.json")
				stop_fm
				add "$v,$k,fct" "$fct"
				add "$v,$k,rps" "$rps"
				add "$v,$k,p50" "$p50"
				add "$v,$k,p99" "$p99"
				[[ $err -eq 0 ]] || echo "      ($v K=$k: $err errors)"
			done
		done
	done
	write_row fig16 linux 0 fct_ms "linux,0,fct"
	write_row fig16 linux 0 rps "linux,0,rps"
	for v in combined independent; do
		for k in "${ks[@]}"; do
			write_row fig16 "$v" "$k" fct_ms "$v,$k,fct"
			write_row fig16 "$v" "$k" rps "$v,$k,rps"
			write_row fig16 "$v" "$k" lat_p50_us "$v,$k,p50"
			write_row fig16 "$v" "$k" lat_p99_us "$v,$k,p99"
		done
	done
fi

# ============================================================================================
if [[ $part == fig17 ]]; then
	ip netns exec "$ns-r" sysctl -q -w net.netfilter.nf_conntrack_acct=1 2>/dev/null || true
	{ echo "name: paper-fig17-nat"; ports; echo "vnfs:"; nat_vnf; } >"$run/nat.yaml"
	{
		echo "name: paper-fig17-natstats"
		ports
		echo "vnfs:"
		nat_vnf
		echo "  - {name: stats, exec: counter, class: \"ip\", session: \"5tuple\", scratchpad: 24, timeout_ms: 10000, policy: bypass}"
		echo "graph:"
		echo "  input: [nat]"
		echo "  nat:"
		echo "    - {match: \"arp\", to: output}"
		echo "    - stats"
		echo "  stats: [output]"
	} >"$run/natstats.yaml"
	# the shipped chain's ports are af_xdp; this bed's set-ups all run on af_packet ports
	sed -e 's/timeout_ms: 3000/timeout_ms: 10000/' \
		-e "s/net_af_xdp\([01]\),iface=fsc-p\([ab]\),start_queue=0,queue_count=1/net_af_packet\1,iface=$ns-p\2,framecnt=4096/" \
		-e 's/20000-29999/20000-59999/' \
		"$top/deploy/chains/nat-lb.yaml" >"$run/chain.yaml"
	# Linux: the same jobs in the router namespace (flushed and reloaded per set-up)
	linux_rules() { # linux_rules nat|natstats|chain
		ip netns exec "$ns-r" nft flush ruleset
		case $1 in
		nat | natstats)
			ip netns exec "$ns-r" nft -f - <<'NFT'
table ip fsbp {
	chain post { type nat hook postrouting priority srcnat; oifname "r1" masquerade; }
}
NFT
			;;
		chain)
			ip netns exec "$ns-r" nft -f - <<'NFT'
table ip fsbp {
	chain filt { type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr 198.19.1.0/24 ip daddr { 198.19.2.11, 198.19.2.12, 198.19.2.13 } tcp dport 8080 ct status dnat accept
	}
	chain pre { type nat hook prerouting priority dstnat;
		ip daddr 198.19.3.200 tcp dport 80 dnat to numgen inc mod 3 map { 0 : 198.19.2.11, 1 : 198.19.2.12, 2 : 198.19.2.13 } : 8080
	}
	chain post { type nat hook postrouting priority srcnat; oifname "r1" masquerade; }
}
NFT
			;;
		esac
	}
	echo "bench paper fig17 ($tag, CPUs ${cpus[*]}, lcores $lcores): $rounds round(s) of ${secs} s; 8 KiB, wrk -c 16, Connection: close"
	jobs=(nat natstats chain)
	for ((r = 1; r <= rounds; r++)); do
		for j in "${jobs[@]}"; do
			order=(ours linux)
			[[ $((r % 2)) -eq 0 ]] && order=(linux ours)
			for who in "${order[@]}"; do
				if [[ $who == ours ]]; then
					fm_start "$run/$j.yaml"
					url=http://198.18.0.2:8080/8k.bin
					[[ $j == chain ]] && url=http://198.18.0.200/8k.bin
				else
					linux_rules "$j"
					url=http://198.19.2.2:8080/8k.bin
					[[ $j == chain ]] && url=http://198.19.3.200/8k.bin
				fi
				read -r rps fct err _ < <(wrkrun "$url" 16)
				stop_fm
				add "$who,$j,rps" "$rps"
				add "$who,$j,fct" "$fct"
				[[ $err -eq 0 ]] || echo "      ($who $j: $err errors)"
			done
		done
	done
	ip netns exec "$ns-r" nft flush ruleset
	for who in ours linux; do
		for j in "${jobs[@]}"; do
			write_row "fig17" "${who}_$j" "$tag" rps "$who,$j,rps"
			write_row "fig17" "${who}_$j" "$tag" fct_ms "$who,$j,fct"
		done
	done
fi
echo "bench paper $part: rows appended to $csv"
