#!/usr/bin/env bash
# bench/run.sh nat — NAT and the NAT/LB service chain between real Linux hosts, in one run:
#
# 1. our nat (flowmgr + nfs/nat, af_packet ports) against the Linux kernel's nftables NAT
#    (masquerade in a router namespace), same two hosts, same servers, same offload settings
#    (TX checksum offload, hence TSO, off on every host veth), alternated FS_BENCH_ROUNDS times:
#      iperf3 goodput (one TCP stream, FS_BENCH_SECONDS), wrk requests/s for a 1 KB object
#      (32 connections) and a 1 MB object (8 connections), nginx on the server host;
# 2. the chain fw -> nat -> flowmon -> lb (deploy/chains/nat-lb.yaml) against the same chain with
#    every VNF in `isolation: independent` (each classifies every packet again in its own
#    rte_hash flow table), alternated: wrk 1 KB and 1 MB requests/s through the VIP to three
#    nginx backends.
# Ratios are of medians of the rounds. Writes bench/results/nat.csv (nat-af_xdp.csv with
# --ports af_xdp).
#
#   host a (198.18.0.33 inside; 198.19.1.1) ==fsb-pa== flowmgr ==fsb-pb== host b (198.18.0.2,
#   backends 198.18.0.11-13)   |  a:eth1 == router netns fsb-r (nftables masquerade) == b:eth1
#                                     198.19.1.254 / 198.19.2.254            198.19.2.2
# --ports af_xdp: flowmgr's ports are net_af_xdp (start_queue=0, queue_count=1) instead of
# net_af_packet (framecnt=4096); the nftables side is the same. --ports af_xdp --xdp: with
# `xdp: offload` on both ports (flowmgr's XDP program classifies the static levels in the kernel,
# docs/offload.md "XDP"; every class has a VNF here, so nothing is redirected in the kernel):
# nat-af_xdp-xdp.csv.
# Env: FS_BENCH_SECONDS (default 5), FS_BENCH_ROUNDS (default 3), FS_BENCH_NS (the netns/veth
# prefix, default fsb; the DPDK file prefix is NS + pid).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$FS_BUILD_DIR/bin
csv=${FS_BENCH_CSV:-$top/bench/results/nat.csv}
secs=${FS_BENCH_SECONDS:-5}
rounds=${FS_BENCH_ROUNDS:-3}
ports=af_packet
xdp=0
if [[ ${1:-} == --ports ]]; then
	ports=${2:-}
	shift 2 || true
fi
if [[ ${1:-} == --xdp ]]; then
	xdp=1
	shift
fi
if [[ $# -ne 0 || ($ports != af_packet && $ports != af_xdp) || ($xdp -eq 1 && $ports != af_xdp) ]]; then
	echo "usage: bench/run.sh nat [--ports af_packet|af_xdp [--xdp]]" >&2
	exit 2
fi
[[ $ports == af_packet ]] || csv=${csv%.csv}-$ports.csv
[[ $xdp -eq 0 ]] || csv=${csv%.csv}-xdp.csv
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
# shellcheck source=bench/lib/bed.sh
. "$top/bench/lib/bed.sh" # stop_fm, bench_teardown
"$top/deploy/hugepages.sh" >/dev/null

ns=${FS_BENCH_NS:-fsb}
fs_ns_check_prefix "$ns" || exit 2
prefix=$ns$$
run=$(mktemp -d /tmp/fsbench-nat.XXXXXX)
sock=$run/fm.sock
fm_pid=
srv=()
cleanup() {
	set +e
	stop_fm
}
finish() {
	cleanup
	bench_teardown "$ns" 1 "$ns-r"
}
trap finish EXIT

# --- test bed ------------------------------------------------------------------------------
fs_ns_create "$ns"
b=$(fs_ns_ip b)
client=198.18.0.33
pub=198.18.0.100
ip -n "$ns-a" addr add "$client/24" dev eth0
# the client's connections leave from the inside address (the NAT translates 198.18.0.32/27)
ip -n "$ns-a" route replace 198.18.0.0/24 dev eth0 src "$client"
for ip in 198.18.0.11 198.18.0.12 198.18.0.13; do ip -n "$ns-b" addr add "$ip/24" dev eth0; done
ip netns add "$ns-r"
ip link add eth1 netns "$ns-a" type veth peer name r0 netns "$ns-r"
ip link add eth1 netns "$ns-b" type veth peer name r1 netns "$ns-r"
ip -n "$ns-a" addr add 198.19.1.1/24 dev eth1
ip -n "$ns-r" addr add 198.19.1.254/24 dev r0
ip -n "$ns-r" addr add 198.19.2.254/24 dev r1
ip -n "$ns-b" addr add 198.19.2.2/24 dev eth1
for x in "$ns-a eth1" "$ns-b eth1" "$ns-r r0" "$ns-r r1"; do
	read -r n i <<<"$x"
	ip -n "$n" link set "$i" up
	ip netns exec "$n" ethtool -K "$i" tx off >/dev/null
done
ip -n "$ns-r" link set lo up
ip -n "$ns-a" route add 198.19.2.0/24 via 198.19.1.254
ip netns exec "$ns-r" sysctl -q -w net.ipv4.ip_forward=1
ip netns exec "$ns-r" nft -f - <<'NFT'
table ip fsbnat {
	chain post { type nat hook postrouting priority srcnat; oifname "r1" masquerade; }
}
NFT

mkdir -p "$run/www" "$run/nginx"
head -c 1024 /dev/urandom >"$run/www/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$run/www/1m.bin"
chmod -R a+rX "$run"
cat >"$run/nginx/nginx.conf" <<NGX
worker_processes 1; pid $run/nginx/nginx.pid; error_log $run/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; sendfile on; keepalive_requests 1000000;
  client_body_temp_path $run/nginx; proxy_temp_path $run/nginx; fastcgi_temp_path $run/nginx;
  uwsgi_temp_path $run/nginx; scgi_temp_path $run/nginx;
  server { listen 80; listen 8080; root $run/www; } }
NGX
ip netns exec "$ns-b" nginx -c "$run/nginx/nginx.conf" -g 'daemon off;' >"$run/nginx.out" 2>&1 &
srv+=("$!")
ip netns exec "$ns-b" iperf3 -s -p 5201 >"$run/iperf3-s.log" 2>&1 &
srv+=("$!")
sleep 1

# --- flowmgr chains ----------------------------------------------------------------------------
devargs() { # devargs N IFACE — flowmgr's port N on IFACE, of the chosen type
	case $ports in
	af_packet) echo "net_af_packet$1,iface=$2,framecnt=4096" ;;
	af_xdp) echo "net_af_xdp$1,iface=$2,start_queue=0,queue_count=1" ;;
	esac
}
start_chain() { # start_chain YAML
	"$bin/flowmgr" -c "$1" --port "p0=$(devargs 0 "$ns-pa")" \
		--port "p1=$(devargs 1 "$ns-pb")" -s "$sock" --wait-vnfs \
		--launch -- --file-prefix "$prefix" --lcores 0@0,1@1 >"$run/fm.log" 2>&1 &
	fm_pid=$!
	local up=0
	for _ in $(seq 150); do
		up=$("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(int(all(x["state"] == "running" for x in v)))' 2>/dev/null || echo 0)
		[[ $up -eq 1 ]] && break
		sleep 0.1
	done
	[[ $up -eq 1 ]] || { cat "$run/fm.log" >&2; echo "bench nat: chain did not start" >&2; exit 1; }
	sleep 0.5
}
cat >"$run/nat.yaml" <<YAML
name: bench-nat
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb", reverse: true}
mbufs: 32767
vnfs:
  - name: nat
    exec: nat
    args: ["--public", "$pub", "--ports", "20000-59999", "--inside", "198.18.0.32/27"]
    class: "ip or arp"
    session: "5tuple"
    scratchpad: 16
    timeout_ms: 10000
    flags: [bidir, rewrite]
    policy: drop
YAML
# The chain as shipped, and the same chain with every VNF classifying on its own.
sed 's/timeout_ms: 3000/timeout_ms: 10000/' "$top/deploy/chains/nat-lb.yaml" >"$run/chain.yaml"
if [[ $xdp -eq 1 ]]; then # `xdp: offload` needs an af_xdp dev in the file (--port overrides it)
	sed -i -e "s|dev: \"net_af_packet\([01]\),iface=\([^\"]*\)\"|dev: \"net_af_xdp\1,iface=\2\"|" \
		-e 's/^\(  - {name: p[01], .*\)}$/\1, xdp: offload}/' "$run/nat.yaml" "$run/chain.yaml"
	if ! grep -q 'xdp: offload' "$run/nat.yaml" || ! grep -q 'xdp: offload' "$run/chain.yaml"; then
		echo "bench nat: could not set xdp: offload on the ports" >&2
		exit 1
	fi
fi
sed -e 's/session: "5tuple"/session: ""\n    isolation: independent/' \
	-e '/flags: \[bidir\]/d' -e 's/flags: \[bidir, rewrite\]/flags: [rewrite]/' \
	"$run/chain.yaml" >"$run/chain-indep.yaml"

# --- measurements ----------------------------------------------------------------------------
iperf() { # iperf SERVER_IP -> Gbit/s
	timeout $((secs + 20)) ip netns exec "$ns-a" iperf3 -c "$1" -p 5201 -t "$secs" \
		--connect-timeout 5000 -J >"$run/iperf.json" 2>&1 || {
		echo 0
		return
	}
	python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$run/iperf.json"
}
wrkrps() { # wrkrps URL CONNECTIONS -> requests/s (0 if any request failed)
	timeout $((secs + 20)) ip netns exec "$ns-a" wrk -t 2 -c "$2" -d "${secs}s" --timeout 5s "$1" \
		>"$run/wrk.txt" 2>&1 || true
	python3 - "$run/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Requests/sec:\s+([\d.]+)", t)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*timeout (\d+)", t)
print("%.0f" % float(m.group(1)) if m and not (bad and any(g and int(g) for g in bad.groups())) else 0)
PY
}
declare -A res
add() {
	res[$1]="${res[$1]:-} $2"
	echo "    $1 $2"
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "bench nat: $ports ports$([[ $xdp -eq 0 ]] || echo " + XDP offload"), $rounds rounds of ${secs} s, alternated; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; r++)); do
	start_chain "$run/nat.yaml"
	add "flowsplice_nat,iperf3_gbps" "$(iperf "$b")"
	add "flowsplice_nat,wrk_1k_rps" "$(wrkrps "http://$b/1k.bin" 32)"
	add "flowsplice_nat,wrk_1m_rps" "$(wrkrps "http://$b/1m.bin" 8)"
	if [[ $xdp -eq 1 ]]; then # the offload saw the traffic (nfctl stats)
		echo "    xdp: $("$bin/nfctl" -s "$sock" stats | awk '/^counters/ {c = 1; next}
			c && $1 ~ /^xdp_(user_classified|user_unclassified|redirect|drop|meta_class|meta_none)$/ {
			printf "%s %s ", $1, $2}')"
	fi
	cleanup
	add "nftables_nat,iperf3_gbps" "$(iperf 198.19.2.2)"
	add "nftables_nat,wrk_1k_rps" "$(wrkrps "http://198.19.2.2/1k.bin" 32)"
	add "nftables_nat,wrk_1m_rps" "$(wrkrps "http://198.19.2.2/1m.bin" 8)"
	for v in chain chain-indep; do
		start_chain "$run/$v.yaml"
		label=chain_combined
		[[ $v == chain-indep ]] && label=chain_independent
		add "$label,wrk_1k_rps" "$(wrkrps "http://198.18.0.200/1k.bin" 32)"
		add "$label,wrk_1m_rps" "$(wrkrps "http://198.18.0.200/1m.bin" 8)"
		cleanup
	done
	echo "  round $r done"
done

echo "setup,metric,median,rounds" >"$csv"
printf '%-18s %-12s %10s   %s\n' setup metric median rounds
for k in flowsplice_nat,iperf3_gbps nftables_nat,iperf3_gbps flowsplice_nat,wrk_1k_rps \
	nftables_nat,wrk_1k_rps flowsplice_nat,wrk_1m_rps nftables_nat,wrk_1m_rps \
	chain_combined,wrk_1k_rps chain_independent,wrk_1k_rps chain_combined,wrk_1m_rps \
	chain_independent,wrk_1m_rps; do
	m=$(median "${res[$k]}")
	res[$k,med]=$m
	echo "$k,$m,\"${res[$k]# }\"" >>"$csv"
	printf '%-18s %-12s %10s   %s\n' "${k%%,*}" "${k##*,}" "$m" "${res[$k]# }"
done
echo
echo "ratios (medians, same run):"
for m in iperf3_gbps wrk_1k_rps wrk_1m_rps; do
	python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print('  flowsplice nat / nftables nat, %-12s %s' % (sys.argv[3], '%.2fx' % (a/b) if b else 'n/a'))" \
		"${res[flowsplice_nat,$m,med]}" "${res[nftables_nat,$m,med]}" "$m"
	python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print('ratio,flowsplice_nat/nftables_nat,%s,%s' % (sys.argv[3], '%.3f' % (a/b) if b else 'nan'))" \
		"${res[flowsplice_nat,$m,med]}" "${res[nftables_nat,$m,med]}" "$m" >>"$csv"
done
for m in wrk_1k_rps wrk_1m_rps; do
	python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print('  chain combined / independent, %-12s %s' % (sys.argv[3], '%.2fx' % (a/b) if b else 'n/a'))" \
		"${res[chain_combined,$m,med]}" "${res[chain_independent,$m,med]}" "$m"
	python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print('ratio,chain_combined/chain_independent,%s,%s' % (sys.argv[3], '%.3f' % (a/b) if b else 'nan'))" \
		"${res[chain_combined,$m,med]}" "${res[chain_independent,$m,med]}" "$m" >>"$csv"
done
echo "ports $ports$([[ $xdp -eq 0 ]] || echo " + xdp: offload"); load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written to $csv"
