#!/usr/bin/env bash
# End to end: the load balancer VNF (nfs/lb): a virtual IP 198.18.0.200:80 over three backend
# servers (198.18.0.11-13:8080 on host b), clients on host a. The LB answers ARP for the VIP and
# resolves the backends itself. 30 downloads in a row: all byte-exact, spread round robin
# (10 ± 1 per backend, checked in each backend's own access log and in the LB's counters).
# Before them, host b sends unsolicited ARP replies that claim backend 0 is at a MAC nobody has
# (issue #17 finding 8): the LB must refuse them (arp_refused_unsolicited) and keep resolving
# the real backend, or a third of the downloads would go nowhere.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_lb fsl
vip=198.18.0.200
backends=(198.18.0.11 198.18.0.12 198.18.0.13)
E2E_FAIL_FILES=("$run/report")
for ip in "${backends[@]}"; do
	ip -n "$ns-b" addr add "$ip/24" dev eth0
done
cat >"$run/chain.yaml" <<YAML
name: lb-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - name: lb
    exec: lb
    args: ["--vip", "$vip:80", "--backend", "${backends[0]}:8080",
           "--backend", "${backends[1]}:8080", "--backend", "${backends[2]}:8080",
           "--policy", "rr", "--report", "$run/report"]
    session: "5tuple"
    scratchpad: 8
    timeout_ms: 5000
    policy: drop
YAML
e2e_flowmgr "$run/chain.yaml"
lb_pid=$(e2e_vnf_pid lb)

mkdir -p "$run/www"
head -c $((512 * 1024)) /dev/urandom >"$run/www/blob.bin"
for i in 0 1 2; do
	ip netns exec "$ns-b" python3 -m http.server 8080 --bind "${backends[i]}" \
		--directory "$run/www" >"$run/backend$i.log" 2>&1 &
	pids+=("$!")
done
sleep 1

# Unsolicited "198.18.0.11 is at 02:00:00:00:00:ee" to the LB, from the backends' side, before
# the LB ever asked (raw AF_PACKET frame: Ethernet + ARP reply).
ip netns exec "$ns-b" python3 - "${backends[0]}" "$vip" <<'PY'
import socket, sys
evil = bytes.fromhex("0200000000ee")
lb = bytes.fromhex("02000000fe02")
arp = (bytes.fromhex("0001080006040002") + evil + socket.inet_aton(sys.argv[1]) + lb +
       socket.inet_aton(sys.argv[2]))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(3):
    s.send(lb + evil + b"\x08\x06" + arp + bytes(18))
PY
refused=0
for _ in $(seq 50); do
	refused=$(e2e_report "$lb_pid" "$run/report" arp_refused_unsolicited)
	[[ ${refused:-0} -ge 3 ]] && break
	sleep 0.1
done
[[ ${refused:-0} -ge 3 ]] || e2e_fail "lb did not refuse the unsolicited ARP replies ($refused)"
echo "e2e_lb: $refused unsolicited ARP replies refused"

for i in $(seq 30); do
	fs_ns_exec "$ns" a curl -sS --fail --max-time 10 --retry 3 --retry-delay 0 \
		-o "$run/got.bin" "http://$vip/blob.bin" || e2e_fail "download $i through the VIP failed"
	cmp -s "$run/got.bin" "$run/www/blob.bin" || e2e_fail "download $i corrupted"
done
echo "e2e_lb: 30 downloads through $vip byte-exact"

e2e_report "$lb_pid" "$run/report" none >/dev/null
cat "$run/report"
for i in 0 1 2; do
	n=$(grep -c '"GET /blob.bin' "$run/backend$i.log" || true)
	echo "e2e_lb: backend ${backends[i]} served $n"
	[[ $n -ge 9 && $n -le 11 ]] || e2e_fail "backend $i served $n of 30 (round robin wants 10 ± 1)"
done
echo "e2e_lb: 1 passed, 0 failed"
