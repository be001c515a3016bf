#!/usr/bin/env bash
# End to end over IPv6 (issue #13 item 3, Done-when 6): real Linux hosts with IPv6 addresses from
# fd00:6::/64 (unique-local, on this test's own veths only) through the chain
# fw -> lb -> rewrite -> flowmon:
#   * host a (fd00:6::1) downloads with curl from the VIP [fd00:6::100]:80 of the lb; the backends
#     are two nginx servers on host b ([fd00:6::11]:8080, [fd00:6::12]:8080). No static neighbour
#     entries: the lb answers neighbour solicitations for the VIP and solicits its backends;
#   * rewrite (--http, in_order/resize/bidir: flowmgr's TCP context over IPv6) replaces every
#     "ATTACK" of the response bodies by a 24-byte string: the file grows, the responses go out
#     chunked, segments beyond the MTU are split, SEQ/ACK are mapped; every download must equal the
#     offline transformation (rw_offline) byte for byte;
#   * fw allows ICMPv6 (neighbour discovery) and TCP from fd00:6::/120 to the VIP port 80 only:
#     a connection to another port of b is refused and counted (default_deny);
#   * 10 downloads through the VIP, byte-exact, spread round robin (5 per backend, each backend's
#     own access log);
#   * flowmon exports IPFIX records with its IPv6 template; tshark decodes them, and for every TCP
#     connection the records' packets and octets (both directions) equal what a capture on host
#     b's interface saw (tcpdump; octets = 40 + IPv6 payload length). flowmon sits after the
#     rewrite towards b and before it towards a, so it sees b's packets as b sent and received
#     them; retransmissions of data the chain already inspected go straight to the output
#     (flowmgr's replays, docs/streams.md) and are left out of the capture's side (tshark's
#     retransmission, spurious_retransmission, out_of_order; their number is printed).
# Reply direction: port p1 is `reverse: true`, so b's packets visit flowmon, lb, fw.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
export FS_NS_IPV6=1
e2e_init e2e_ipv6_chain fs6
a6=fd00:6::1
vip=fd00:6::100
backends=(fd00:6::11 fd00:6::12)
collector=127.0.0.1:4746
E2E_FAIL_FILES=("$run/fw.report" "$run/lb.report" "$run/rw.report" "$run/tshark.err"
	"$run/nginx-error.log")
long=CLASSIFIED-BY-FLOWSPLICE # 24 bytes for the 6 of each "ATTACK"
ip -n "$ns-a" addr add "$a6/64" dev eth0 nodad
for ip in "${backends[@]}"; do
	ip -n "$ns-b" addr add "$ip/64" dev eth0 nodad
done
cat >"$run/chain.yaml" <<YAML
name: ipv6-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb", reverse: true}
vnfs:
  - name: fw
    exec: fw
    args: ["--report", "$run/fw.report",
           "--rule", "allow icmp6",
           "--rule", "allow ip6 and tcp and src net fd00:6::/120 and dst host $vip and dst port 80"]
    class: "ip6"
    session: "5tuple"
    timeout_ms: 30000
    flags: [bidir]
    policy: drop
  - name: lb
    exec: lb
    args: ["--vip", "[$vip]:80", "--backend", "[${backends[0]}]:8080",
           "--backend", "[${backends[1]}]:8080", "--policy", "rr", "--report", "$run/lb.report"]
    class: "ip6"
    session: "5tuple"
    scratchpad: 8
    timeout_ms: 5000
    flags: [rewrite]
    policy: drop
  - name: rw
    exec: rewrite
    args: ["--replace", "ATTACK=$long", "--http", "--report", "$run/rw.report"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 512
    timeout_ms: 5000
    flags: [in_order, resize, bidir]
    policy: drop
  - name: flowmon
    exec: flowmon
    args: ["--collector", "$collector", "--active-timeout-ms", "60000", "--domain", "6"]
    class: "ip6"
    session: "5tuple"
    scratchpad: 96
    timeout_ms: 1000
graph:
  input:
    - {match: "arp", to: output}
    - fw
  fw: [lb]
  lb:
    - {match: "tcp", to: rw}
    - flowmon
  rw: [flowmon]
  flowmon: [output]
YAML

python3 "$(dirname "$0")/ipfix_collector.py" "$collector" "$run/ipfix.pcap" >"$run/collector.log" 2>&1 &
pids+=("$!")
e2e_flowmgr "$run/chain.yaml"
fw_pid=$(e2e_vnf_pid fw)
lb_pid=$(e2e_vnf_pid lb)

# The file: 512 KiB of random bytes with 200 planted "ATTACK"s; what a must read: rw_offline's.
mkdir -p "$run/www" "$run/nginx-tmp"
python3 - "$run/www/blob.bin" <<'PY'
import os, random, sys
r = random.Random(6)
data = bytearray(os.urandom(512 * 1024))
for _ in range(200):
    i = r.randrange(len(data) - 6)
    data[i:i + 6] = b"ATTACK"
open(sys.argv[1], "wb").write(data)
PY
"$bin/rw_offline" --replace "ATTACK=$long" <"$run/www/blob.bin" >"$run/want.bin"
cmp -s "$run/www/blob.bin" "$run/want.bin" && e2e_fail "rw_offline changed nothing"
# nginx on host b: one server per backend address, each with its own access log
{
	cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/nginx-error.log info;
events { worker_connections 64; }
http {
    client_body_temp_path $run/nginx-tmp/body;
    proxy_temp_path $run/nginx-tmp/proxy;
    fastcgi_temp_path $run/nginx-tmp/fastcgi;
    uwsgi_temp_path $run/nginx-tmp/uwsgi;
    scgi_temp_path $run/nginx-tmp/scgi;
    gzip off;
    default_type application/octet-stream;
EOF
	for i in 0 1; do
		echo "    server { listen [${backends[i]}]:8080; root $run/www;"
		echo "             access_log $run/backend$i.log; }"
	done
	echo "}"
} >"$run/nginx.conf"
ip netns exec "$ns-b" nginx -c "$run/nginx.conf" >"$run/nginx.out" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do
	ip netns exec "$ns-b" bash -c "echo >/dev/tcp/${backends[1]}/8080" 2>/dev/null && break
	sleep 0.1
done
ip netns exec "$ns-b" tcpdump -i eth0 -U -n -s 200 -w "$run/b.pcap" "ip6 and tcp" \
	>"$run/tcpdump.log" 2>&1 &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
sleep 1

# 1. downloads through the VIP (the first SYN of the first one waits for the backend's address)
for i in $(seq 10); do
	fs_ns_exec "$ns" a curl -g -sS --fail --max-time 10 --retry 3 --retry-delay 0 \
		-o "$run/got.bin" "http://[$vip]/blob.bin" || e2e_fail "download $i through the VIP failed"
	cmp -s "$run/got.bin" "$run/want.bin" ||
		e2e_fail "download $i differs from the offline transformation"
done
rw_pid=$(e2e_vnf_pid rw)
occ=$(e2e_report "$rw_pid" "$run/rw.report" occurrences)
[[ $occ -ge 2000 ]] || e2e_fail "rewrite replaced $occ words (10 x 200 planted)"
unmanaged=$(e2e_report "$rw_pid" "$run/rw.report" not_ipv4_tcp)
[[ $unmanaged -eq 0 ]] || e2e_fail "rewrite left $unmanaged IPv6 TCP packets alone"
resized=$(e2e_counter tcp_resized_segments)
split=$(e2e_counter tcp_split_segments)
[[ $resized -ge 1 && $split -ge 1 ]] ||
	e2e_fail "flowmgr's TCP context resized $resized and split $split IPv6 segments"
echo "e2e_ipv6_chain: TCP context over IPv6: $resized segments resized, $split split," \
	"$(e2e_counter tcp_replayed) replayed"
echo "e2e_ipv6_chain: 10 downloads through [$vip]:80 byte-exact against the rewritten file" \
	"($occ words replaced, $(stat -c %s "$run/want.bin") bytes each)"
for i in 0 1; do
	n=$(grep -c '"GET /blob.bin' "$run/backend$i.log" || true)
	echo "e2e_ipv6_chain: backend ${backends[i]} served $n"
	[[ $n -eq 5 ]] || e2e_fail "round robin: backend ${backends[i]} served $n of 10"
done
nd=$(e2e_report "$lb_pid" "$run/lb.report" nd_answered)
learnt=$(e2e_report "$lb_pid" "$run/lb.report" arp_replies)
[[ $nd -ge 1 && $learnt -ge 2 ]] || e2e_fail "lb: $nd solicitations answered, $learnt backends learnt"
echo "e2e_ipv6_chain: lb answered $nd solicitations for the VIP, learnt $learnt advertisements"

# 2. the firewall: TCP to a port no rule allows is refused and counted
deny0=$(e2e_report "$fw_pid" "$run/fw.report" default_deny)
if fs_ns_exec "$ns" a curl -g -sS --max-time 3 -o /dev/null "http://[${backends[0]}]:8080/" \
	2>/dev/null; then
	e2e_fail "fw let a connection to [${backends[0]}]:8080 through"
fi
deny=$(($(e2e_report "$fw_pid" "$run/fw.report" default_deny) - deny0))
[[ $deny -ge 1 ]] || e2e_fail "fw did not count the refused IPv6 session"
echo "e2e_ipv6_chain: fw refused the connection to [${backends[0]}]:8080 ($deny sessions)"
# ... also from the port the last download to the same backend used (regression: the kernel picked
# one in CI; fw's record of that session is keyed by the backend's replies, which carried these
# addresses and ports): the ended session is reopened and decided anew (fw_tcp_reopens()), not
# taken for the old one (its SYNs were counted invalid)
lport=$(tshark -r "$run/b.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 &&
	ipv6.dst == ${backends[0]}" -T fields -e tcp.srcport 2>>"$run/tshark.err" | tail -1)
[[ -n $lport ]] || e2e_fail "no SYN to [${backends[0]}]:8080 in b's capture"
range=$(ip netns exec "$ns-a" sysctl -n net.ipv4.ip_local_port_range)
ip netns exec "$ns-a" sysctl -qw net.ipv4.ip_local_port_range="$lport $lport"
deny0=$(e2e_report "$fw_pid" "$run/fw.report" default_deny)
reopen0=$(e2e_report "$fw_pid" "$run/fw.report" reopened)
if fs_ns_exec "$ns" a curl -g -sS --max-time 3 -o /dev/null "http://[${backends[0]}]:8080/" \
	2>/dev/null; then
	e2e_fail "fw let a connection from port $lport to [${backends[0]}]:8080 through"
fi
ip netns exec "$ns-a" sysctl -qw net.ipv4.ip_local_port_range="$range"
deny=$(($(e2e_report "$fw_pid" "$run/fw.report" default_deny) - deny0))
reopen=$(($(e2e_report "$fw_pid" "$run/fw.report" reopened) - reopen0))
[[ $deny -eq 1 && $reopen -eq 1 ]] ||
	e2e_fail "from port $lport: fw reopened $reopen ended sessions, refused $deny (want 1, 1)"
echo "e2e_ipv6_chain: fw reopened the ended session of port $lport and refused it too"

# 3. IPFIX: wait for every session's record (idle timeout 1 s), compare with b's capture
sleep 3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
# tshark names some retransmissions otherwise: of data a had acknowledged already, a spurious
# retransmission; one sent within its out-of-order threshold (a fast retransmission a fraction of a
# millisecond after the duplicate ACK, under load), out-of-order. On b's own interface, where
# segments leave in order, both are retransmissions and flowmgr replays them like any other.
rtx_filter='tcp.analysis.retransmission || tcp.analysis.spurious_retransmission ||
	tcp.analysis.out_of_order'
tshark -r "$run/b.pcap" -Y "!($rtx_filter)" -T fields -E separator=' ' \
	-e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport -e ipv6.plen \
	2>"$run/tshark.err" >"$run/capture.txt"
rtx=$(tshark -r "$run/b.pcap" -Y "$rtx_filter" 2>>"$run/tshark.err" | wc -l)
echo "e2e_ipv6_chain: $rtx retransmissions in b's capture (replayed by flowmgr past the chain)"
ok=0
for _ in $(seq 20); do
	tshark -r "$run/ipfix.pcap" -d "udp.port==${collector##*:},cflow" -Y "cflow.srcaddrv6" \
		-T fields -E separator=' ' -E occurrence=a -E aggregator=, \
		-e cflow.srcaddrv6 -e cflow.dstaddrv6 -e cflow.srcport -e cflow.dstport \
		-e cflow.protocol -e cflow.packets -e cflow.octets \
		2>>"$run/tshark.err" >"$run/records.txt" || true
	if python3 - "$run/records.txt" "$run/capture.txt" "$a6" >"$run/compare.txt" 2>&1 <<'PY'; then
import collections, sys
recs, cap, a6 = sys.argv[1], sys.argv[2], sys.argv[3]
got = collections.Counter()
gotoct = collections.Counter()
for line in open(recs):
    cols = [c.split(",") for c in line.split()]
    if len(cols) < 7:
        continue
    for i in range(len(cols[0])):
        if int(cols[4][i]) != 6:
            continue
        k = (cols[0][i], cols[1][i], int(cols[2][i]), int(cols[3][i]))
        got[k] += int(cols[5][i])
        gotoct[k] += int(cols[6][i])
want = collections.Counter()
wantoct = collections.Counter()
for line in open(cap):
    f = line.split()
    if len(f) < 5:
        continue
    k = (f[0], f[1], int(f[2]), int(f[3]))
    want[k] += 1
    wantoct[k] += 40 + int(f[4])
conns = {k for k in want if k[0] == a6 and k[3] == 8080}
print("%d TCP flows captured (%d connections), %d in IPFIX" % (len(want), len(conns), len(got)))
bad = [(k, want[k], got.get(k, 0), wantoct[k], gotoct.get(k, 0))
       for k in set(want) | set(got) if want[k] != got[k] or wantoct[k] != gotoct[k]]
for b in sorted(bad)[:10]:
    print("flow %s: capture %d pkts, IPFIX %d pkts; capture %d octets, IPFIX %d octets" % b)
sys.exit(0 if not bad and len(conns) >= 10 else 1)
PY
		ok=1
		break
	fi
	sleep 1
done
cat "$run/compare.txt"
[[ $ok -eq 1 ]] || e2e_fail "IPFIX records do not match the capture on host b"
echo "e2e_ipv6_chain: IPFIX IPv6 records (decoded by tshark) match the capture packet for packet"
echo "e2e_ipv6_chain: 1 passed, 0 failed"
