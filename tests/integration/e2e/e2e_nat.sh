#!/usr/bin/env bash
# End to end: the NAT VNF (nfs/nat) between an inside host (a, 198.18.0.1) and an outside server
# (b, 198.18.0.2), public address 198.18.0.100 (answered to ARP by the NAT itself):
#   * TCP (HTTP download, byte-exact), UDP request/response and ping work, and b sees only the
#     public address;
#   * a connection initiated from outside to the public address is refused;
#   * with the pool (8 ports) exhausted, excess new sessions are refused and counted while an
#     established download continues byte-exact;
#   * after the sessions' timeouts every port is back in the pool;
#   * IPv6 (no NAT66): the hosts' IPv6 (fd00:6e::/64 on the test's own veths) never crosses the
#     NAT untranslated: ping -6 fails and the frames are counted (ipv6_dropped).
set -euo pipefail
export FS_NS_IPV6=1 # IPv6 on in the hosts: step 6
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_nat fsn
pub=198.18.0.100
E2E_FAIL_FILES=("$run/report")
cat >"$run/chain.yaml" <<YAML
name: nat-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - name: nat
    exec: nat
    args: ["--public", "$pub", "--ports", "20000-20007", "--inside", "$a/32",
           "--report", "$run/report"]
    session: "5tuple"
    scratchpad: 16
    timeout_ms: 1500
    policy: drop
YAML
e2e_flowmgr "$run/chain.yaml"
nat_pid=$(e2e_vnf_pid nat)
sleep 0.5

mkdir -p "$run/www"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$run/www/blob.bin"
ip netns exec "$ns-b" python3 -m http.server 8080 --bind "$b" --directory "$run/www" \
	>"$run/http.log" 2>&1 &
pids+=("$!")
cat >"$run/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5353))
seen = open(sys.argv[2], "a")
while True:
    data, peer = s.recvfrom(2048)
    seen.write(peer[0] + "\n"); seen.flush()
    s.sendto(data, peer)
PY
ip netns exec "$ns-b" python3 "$run/udp_echo.py" "$b" "$run/udp_peers" &
pids+=("$!")
cat >"$run/udp_client.py" <<'PY'
import socket, sys, time
n, got, socks = int(sys.argv[2]), 0, []
for i in range(n):  # n sessions (distinct source ports), all open at once
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    s.sendto(b"ping %d" % i, (sys.argv[1], 5353))
    socks.append(s)
for s in socks:
    try:
        s.recv(2048)
        got += 1
    except socket.timeout:
        pass
print(got)
PY
sleep 1

# 1. TCP through the NAT; the server sees the public address only
fs_ns_exec "$ns" a curl -sS --fail --max-time 20 -o "$run/got.bin" "http://$b:8080/blob.bin" ||
	e2e_fail "download through the NAT failed"
cmp -s "$run/got.bin" "$run/www/blob.bin" || e2e_fail "download corrupted"
grep -q "^$pub " "$run/http.log" || e2e_fail "the server did not see the public address"
if grep -q "^$a " "$run/http.log"; then e2e_fail "the server saw the inside address"; fi
echo "e2e_nat: download byte-exact, server saw $pub"

# 2. UDP request/response and ping
got=$(fs_ns_exec "$ns" a python3 "$run/udp_client.py" "$b" 3)
[[ $got -eq 3 ]] || e2e_fail "UDP: $got/3 replies"
[[ $(sort -u "$run/udp_peers") == "$pub" ]] || e2e_fail "UDP server saw $(sort -u "$run/udp_peers")"
fs_ns_exec "$ns" a ping -c 3 -i 0.2 -W 1 "$b" >/dev/null || e2e_fail "ping through the NAT failed"
echo "e2e_nat: UDP 3/3 and ping through the NAT"

# 3. unsolicited from outside
if fs_ns_exec "$ns" b curl -sS --max-time 2 -o /dev/null "http://$pub:20003/" 2>/dev/null; then
	e2e_fail "an outside connection to the public address got through"
fi
[[ $(e2e_report "$nat_pid" "$run/report" unsolicited) -ge 1 ]] || e2e_fail "unsolicited packets not counted"
echo "e2e_nat: connection from outside refused"

# 4. every port back in the pool after the timeouts
for _ in $(seq 100); do [[ $(e2e_report "$nat_pid" "$run/report" ports_in_use) -eq 0 ]] && break; sleep 0.2; done
[[ $(e2e_report "$nat_pid" "$run/report" ports_in_use) -eq 0 ]] || e2e_fail "ports not returned: $(e2e_report "$nat_pid" "$run/report" ports_in_use) in use"
released=$(e2e_report "$nat_pid" "$run/report" released)
echo "e2e_nat: all ports back in the pool ($released released)"

# 5. exhaustion: a slow download holds one port; 10 new UDP sessions for the 7 left
fs_ns_exec "$ns" a curl -sS --fail --max-time 30 --limit-rate 600k -o "$run/slow.bin" \
	"http://$b:8080/blob.bin" &
slow=$!
sleep 0.5
refused0=$(e2e_report "$nat_pid" "$run/report" refused)
got=$(fs_ns_exec "$ns" a python3 "$run/udp_client.py" "$b" 10)
wait "$slow" || e2e_fail "the established download failed during exhaustion"
cmp -s "$run/slow.bin" "$run/www/blob.bin" || e2e_fail "the established download was corrupted"
refused=$(($(e2e_report "$nat_pid" "$run/report" refused) - refused0))
echo "e2e_nat: pool exhausted: $got/10 new sessions served, $refused refused; download intact"
[[ $got -eq 7 && $refused -eq 3 ]] || e2e_fail "expected 7 served and 3 refused"

# 6. IPv6: dropped and counted, never passed untranslated (neighbour discovery included)
ip -n "$ns-a" addr add fd00:6e::1/64 dev eth0 nodad
ip -n "$ns-b" addr add fd00:6e::2/64 dev eth0 nodad
if fs_ns_exec "$ns" a ping -6 -c 2 -i 0.3 -W 1 fd00:6e::2 >/dev/null 2>&1; then
	e2e_fail "IPv6 crossed the NAT untranslated"
fi
v6=$(e2e_report "$nat_pid" "$run/report" ipv6_dropped)
[[ $v6 -ge 1 ]] || e2e_fail "IPv6 frames not counted (ipv6_dropped $v6)"
echo "e2e_nat: IPv6 dropped ($v6 frames), not passed untranslated"
echo "e2e_nat: 1 passed, 0 failed"
