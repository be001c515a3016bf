#!/usr/bin/env bash
# End to end: the paper's Figure 2 chain running with real VNFs (deploy/chains/fig2-run.yaml,
# unchanged but for its ports): netflow = flowmon, http = httpfilter, lb = lb, between host a
# (clients) and host b (two nginx backends 198.18.0.11/12:80 behind the VIP 198.18.0.200:80, a
# UDP sink on 198.18.0.27:6970, a UDP echo server and nginx on 198.18.0.2:8080). Checks:
#   1. HTTP to the VIP passes httpfilter then lb: 6 downloads byte-exact, served round robin by
#      both backends (their access logs);
#   2. HTTP requests blocked by httpfilter (a Host rule and a URL rule) get the 403 page and
#      never reach a backend;
#   3. other TCP (port 8080) is dropped early by flowmgr: curl fails, drop_early_drop counts it;
#   4. UDP to 198.18.0.27:6970 goes netflow -> lb: the sink gets the datagrams, flowmon saw each
#      one, and its IPFIX record (after the 2 s idle timeout, decoded by tshark) counts exactly
#      the datagrams flowmon forwarded;
#   5. other UDP (an echo to 198.18.0.2:7000) and ICMP go through lb only (netflow and http see
#      none of them), both ways;
#   6. httpfilter's counters (its registry in `nfctl --json stats`) and lb's backends
#      (`nfctl cmd lb backends`).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_fig2_run fsz
# The hosts' addresses, the web servers, the IPFIX collector and flowmgr: the chain's demo
# topology (deploy/chains/fig2-run.demo, deploy/lib/topo.sh); the UDP servers are this test's.
# shellcheck source=deploy/lib/topo.sh
. "$top/deploy/lib/topo.sh"
topo_load "$top/deploy/chains/fig2-run.yaml"
topo_ns=$ns
vip=198.18.0.200
nfaddr=198.18.0.27
backends=()
for i in "${topo_backends[@]}"; do backends+=("${topo_web[i]%:*}"); done
E2E_FAIL_FILES=("$run/fail.txt")
: >"$run/fail.txt"
topo_addrs
nfctl() { "$bin/nfctl" -s "$sock" "$@"; }
vnf_counter() { # NAME FIELD
	nfctl --json vnfs | python3 -c '
import json, sys
print(next(v[sys.argv[2]] for v in json.load(sys.stdin)["vnfs"] if v["name"] == sys.argv[1]))' "$1" "$2"
}

topo_ipfix_start "$run" "$top"
topo_flowmgr "$bin" "$top/deploy/chains/fig2-run.yaml" "$sock" "$prefix" "$run/flowmgr.log" ||
	e2e_fail "the chain's VNFs did not attach"

# nginx: the backends (access logs web0, web1) and $b:8080 (web2)
mkdir -p "$run/www/admin" "$run/dl"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$run/www/blob.bin"
echo admin >"$run/www/admin/x.html"
topo_nginx "$run" "$run/www"
cat >"$run/udp.py" <<'PY'
import socket, sys
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(8)
n = 0
try:
    while True:
        data, peer = s.recvfrom(2048)
        n += 1
        if mode == "echo":
            s.sendto(data, peer)
except socket.timeout:
    pass
open(sys.argv[4], "w").write(str(n))
PY

# 1. HTTP through httpfilter -> lb. Warm-up: one download per backend (lb resolves each
# backend's MAC address on its first session; the first tries may fail meanwhile).
ok=0
for _ in $(seq 30); do
	if fs_ns_exec "$ns" a curl -sS --fail --max-time 5 -o /dev/null "http://$vip/blob.bin" 2>/dev/null; then
		ok=$((ok + 1))
		[[ $ok -lt ${#backends[@]} ]] || break
	fi
	sleep 0.3
done
[[ $ok -eq ${#backends[@]} ]] || e2e_fail "$ok warm-up downloads through the VIP"
for i in $(seq 6); do
	fs_ns_exec "$ns" a curl -sS --fail --max-time 20 -o "$run/dl/$i.bin" "http://$vip/blob.bin?n=$i" ||
		e2e_fail "download $i failed"
	cmp -s "$run/dl/$i.bin" "$run/www/blob.bin" || e2e_fail "download $i not byte-exact"
done
n0=$(grep -c "blob.bin?n=" "$run/nginx/web0.log" || true)
n1=$(grep -c "blob.bin?n=" "$run/nginx/web1.log" || true)
[[ $n0 -eq 3 && $n1 -eq 3 ]] || e2e_fail "round robin: backends served $n0 and $n1 of 6 downloads"
echo "e2e_fig2_run: 6 downloads through http -> lb byte-exact, backends served $n0 + $n1"

# 2. blocked by httpfilter
code=$(fs_ns_exec "$ns" a curl -sS --max-time 10 -o "$run/b1.html" -w '%{http_code}' \
	-H "Host: www.blocked.test" "http://$vip/blob.bin?blocked=host") || e2e_fail "blocked host: curl failed"
[[ $code == 403 ]] || e2e_fail "blocked host: HTTP $code"
grep -q "403 Forbidden" "$run/b1.html" || e2e_fail "blocked host: no 403 page"
code=$(fs_ns_exec "$ns" a curl -sS --max-time 10 -o "$run/b2.html" -w '%{http_code}' \
	"http://$vip/admin/x.html?blocked=url") || e2e_fail "blocked URL: curl failed"
[[ $code == 403 ]] || e2e_fail "blocked URL: HTTP $code"
grep -q "403 Forbidden" "$run/b2.html" || e2e_fail "blocked URL: no 403 page"
sleep 0.3
if grep -q "blocked=" "$run/nginx/web0.log" "$run/nginx/web1.log"; then
	e2e_fail "a backend saw a blocked request"
fi
echo "e2e_fig2_run: blocked Host and URL answered 403 by httpfilter, no backend saw them"

# 3. other TCP: dropped early
early0=$(e2e_counter drop_early_drop)
if fs_ns_exec "$ns" a curl -sS --max-time 3 -o /dev/null "http://$b:8080/blob.bin" 2>/dev/null; then
	e2e_fail "TCP to port 8080 got through"
fi
early1=$(e2e_counter drop_early_drop)
[[ $early1 -gt $early0 ]] || e2e_fail "no early drop counted for port 8080"
[[ ! -s $run/nginx/web2.log ]] || e2e_fail "nginx on 8080 served a request"
echo "e2e_fig2_run: TCP to port 8080 dropped early ($((early1 - early0)) SYNs)"

# 4. UDP to the netflow address, 5. other UDP and ICMP
# (the servers stop 8 s after their last datagram: started here, after the HTTP steps)
ip netns exec "$ns-b" python3 "$run/udp.py" sink "$nfaddr" 6970 "$run/sink.count" &
sink_pid=$!
pids+=("$sink_pid")
ip netns exec "$ns-b" python3 "$run/udp.py" echo "$b" 7000 "$run/echo.count" &
echo_pid=$!
pids+=("$echo_pid")
sleep 0.5
http_rx0=$(vnf_counter http rx_pkts)
fs_ns_exec "$ns" a python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.settimeout(2)
got = 0
for i in range(200):
    s.sendto(b'n' * 100, ('$nfaddr', 6970))
    if i % 4 == 0:
        e.sendto(b'e' * 64, ('$b', 7000))
        try:
            e.recv(2048); got += 1
        except socket.timeout:
            pass
    time.sleep(0.002)
open('$run/echo.got', 'w').write(str(got))"
fs_ns_exec "$ns" a ping -c 5 -i 0.2 -W 1 "$b" >/dev/null || e2e_fail "ping through lb failed"
wait "$sink_pid" "$echo_pid" || true
sunk=$(cat "$run/sink.count")
echoed=$(cat "$run/echo.got")
nf_rx=$(vnf_counter netflow rx_pkts)
nf_tx=$(vnf_counter netflow tx_pkts)
[[ $sunk -ge 195 ]] || e2e_fail "only $sunk of 200 datagrams to $nfaddr:6970 arrived"
[[ $nf_rx -eq 200 ]] || e2e_fail "flowmon saw $nf_rx datagrams, want 200 (no other traffic is its class)"
[[ $echoed -ge 48 ]] || e2e_fail "only $echoed of 50 UDP echoes came back through lb"
[[ $(vnf_counter http rx_pkts) -eq $http_rx0 ]] || e2e_fail "httpfilter saw UDP or ICMP"
echo "e2e_fig2_run: UDP to $nfaddr:6970: $nf_rx through flowmon, $sunk arrived; UDP echo $echoed/50" \
	"and ping through lb only"

# flowmon's record: exported when the session is released (2 s idle timeout)
for _ in $(seq 100); do
	tshark -r "$run/ipfix.pcap" -d udp.port==4741,cflow -Y "cflow.dstport == 6970" -T fields \
		-E separator=' ' -E occurrence=a -E aggregator=, -e cflow.srcaddr -e cflow.dstaddr \
		-e cflow.dstport -e cflow.packets 2>/dev/null >"$run/records.txt" || true
	[[ -s $run/records.txt ]] && break
	sleep 0.2
done
cp "$run/records.txt" "$run/fail.txt"
recs=$(awk -v d="$nfaddr" '{n = split($2, ds, ","); split($4, ps, ",");
	for (i = 1; i <= n; i++) if (ds[i] == d) s += ps[i]} END {print s + 0}' "$run/records.txt")
[[ $recs -eq $nf_tx ]] || e2e_fail "IPFIX records count $recs packets to $nfaddr:6970, flowmon forwarded $nf_tx"
echo "e2e_fig2_run: flowmon's IPFIX record: $recs packets to $nfaddr:6970"

# 6. counters of the VNFs
nfctl --json stats | python3 -c '
import json, sys
for k, v in json.load(sys.stdin)["vnf_counters"]["http"].items():
    print(k, v)' >"$run/http.stats"
nfctl cmd lb backends >"$run/lb.txt"
cat "$run/http.stats" "$run/lb.txt" >"$run/fail.txt"
hs() { awk -v k="$1" '$1 == k {print $2}' "$run/http.stats"; }
[[ $(hs blocked_403) -eq 2 && $(hs rule_1_hits) -eq 1 && $(hs rule_2_hits) -eq 1 ]] ||
	e2e_fail "httpfilter counters"
[[ $(hs allowed) -ge 7 ]] || e2e_fail "httpfilter allowed $(hs allowed) requests, want >= 7"
echo "e2e_fig2_run: httpfilter: $(hs requests) requests, $(hs allowed) allowed, $(hs blocked_403) 403;" \
	"lb: $(tr '\n' ' ' <"$run/lb.txt")"
echo "e2e_fig2_run: 1 passed, 0 failed"
