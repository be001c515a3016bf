#!/usr/bin/env bash
# End to end: the paper's Figure 2 chain shape classified once by flowmgr, with real Linux hosts.
# VNFs are `forward` processes standing in for NetFlow, the HTTP filter and the LB (the real VNFs
# come with their issues); what is checked is the combined classification in the datapath:
#   * HTTP (tcp port 80) goes httpfilter -> lb, byte-exact download;
#   * other TCP (port 8080) is dropped early by flowmgr: the connection fails, counted;
#   * UDP to 198.18.0.2:6970 goes netflow -> lb; other traffic (ICMP) goes to lb only;
#   * ARP is forwarded untouched (its own edge), so no static neighbour entries are needed.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_fig2 fsf
cat >"$run/chain.yaml" <<YAML
name: fig2-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - {name: netflow, exec: forward, class: "udp and dst host $b and dst port 6970", session: "5tuple", scratchpad: 24}
  - {name: httpfilter, exec: forward, class: "tcp port 80", session: "5tuple", scratchpad: 36}
  - {name: lb, exec: forward, session: "5tuple", scratchpad: 16}
graph:
  input:
    - {match: "arp", to: output}
    - {match: "udp and dst host $b and dst port 6970", to: netflow}
    - {match: "tcp port 80", to: httpfilter}
    - {match: "tcp", to: drop}
    - lb
  netflow: [lb]
  httpfilter: [lb]
  lb: [output]
YAML
e2e_flowmgr "$run/chain.yaml"

mkdir -p "$run/www"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$run/www/blob.bin"
for port in 80 8080; do
	ip netns exec "$ns-b" python3 -m http.server "$port" --bind "$b" --directory "$run/www" \
		>"$run/http$port.log" 2>&1 &
	pids+=("$!")
done
cat >"$run/udp_sink.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6970))
s.settimeout(5)
n = 0
try:
    while n < int(sys.argv[2]):
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
open(sys.argv[3], "w").write(str(n))
PY
ip netns exec "$ns-b" python3 "$run/udp_sink.py" "$b" 200 "$run/udp.count" &
udp_pid=$!
pids+=("$udp_pid")
sleep 1

# HTTP through httpfilter -> lb
ok=0
for _ in $(seq 20); do
	if fs_ns_exec "$ns" a curl -sS --fail --max-time 20 -o "$run/got.bin" "http://$b/blob.bin"; then
		ok=1
		break
	fi
	sleep 0.5
done
[[ $ok -eq 1 ]] || e2e_fail "HTTP download on port 80 failed"
[[ $(sha256sum <"$run/got.bin") == $(sha256sum <"$run/www/blob.bin") ]] || e2e_fail "corrupt download"
echo "e2e_fig2: port 80 download byte-exact"

# Other TCP: dropped early
if fs_ns_exec "$ns" a curl -sS --max-time 3 -o /dev/null "http://$b:8080/blob.bin" 2>/dev/null; then
	e2e_fail "TCP to port 8080 got through a chain that drops other TCP"
fi
echo "e2e_fig2: port 8080 refused by early drop"

# UDP 6970 through netflow -> lb
fs_ns_exec "$ns" a python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b'x' * 100, ('$b', 6970)); time.sleep(0.002)"
wait "$udp_pid" || true
got=$(cat "$run/udp.count")
[[ $got -ge 190 ]] || e2e_fail "only $got of 200 UDP datagrams arrived"
echo "e2e_fig2: $got/200 UDP datagrams to port 6970 arrived"

# ICMP: lb only
fs_ns_exec "$ns" a ping -c 5 -i 0.2 -W 1 "$b" >/dev/null || e2e_fail "ping failed"

"$bin/nfctl" -s "$sock" --json stats >"$run/stats.json"
python3 - "$run/stats.json" <<'PY' || e2e_fail "counters do not match the classes"
import json, sys
st = json.load(open(sys.argv[1]))
v = {x["name"]: x for x in st["vnfs"]}
c = st["counters"]
print("e2e_fig2: rx netflow=%d httpfilter=%d lb=%d, early drops=%d" % (
    v["netflow"]["rx_pkts"], v["httpfilter"]["rx_pkts"], v["lb"]["rx_pkts"], c["drop_early_drop"]))
assert v["netflow"]["rx_pkts"] >= 190, "netflow saw the UDP 6970 datagrams"
assert v["httpfilter"]["rx_pkts"] >= 2000, "httpfilter saw the HTTP transfer"
# lb sees everything netflow and httpfilter forwarded, plus ICMP (5 requests + 5 replies)
assert v["lb"]["rx_pkts"] >= v["netflow"]["tx_pkts"] + v["httpfilter"]["tx_pkts"] + 10
assert c["drop_early_drop"] >= 1, "port 8080 SYNs were dropped early"
for name in v:
    assert v[name]["drop_pkts"] == 0 and v[name]["state"] == "running", name
PY
"$bin/nfctl" -s "$sock" tree >"$run/tree.txt"
grep -q "sessions" "$run/tree.txt" || e2e_fail "nfctl tree printed nothing useful"
echo "e2e_fig2_classes: 1 passed, 0 failed"
