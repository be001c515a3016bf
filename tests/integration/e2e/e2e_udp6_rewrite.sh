#!/usr/bin/env bash
# End to end: the UDP context over IPv6 (issue #13 item 3). rewrite --udp replaces every "ATTACK"
# of a UDP session's stream (the concatenation of its datagrams' payloads, words cut across
# datagrams too) by a 20-byte string, between real Linux hosts with IPv6 addresses from
# fd00:6::/64 (unique-local, on this test's own veths only; neighbour discovery passes through
# flowmgr). A Python sender in host b sends 400 random datagrams with planted words over IPv6 UDP
# to host a (the last one ends in a prefix of the word, carried until the session's 2 s timeout);
# a Python receiver in host a collects them. Checked:
#   * the concatenation of the received payloads equals rw_offline of the sent one, byte for byte
#     (the carried prefix arrives after the timeout, in a datagram of its own, built from the
#     session's IPv6 headers);
#   * every datagram arrived and the receiving kernel accepted it (IPv6 UDP checksums are
#     mandatory: a bad one is dropped and counted in Udp6InCsumErrors, which stays 0): received =
#     sent + 1; rewrite counted the datagrams as UDP (nothing left alone, nothing malformed).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
export FS_NS_IPV6=1
e2e_init e2e_udp6_rewrite fs6c
a6=fd00:6::1
b6=fd00:6::2
E2E_FAIL_FILES=("$run/recv.log" "$run/send.log" "$run/rep")
rep_str='<ATTACK-WAS-HERE!!!>'
ip -n "$ns-a" addr add "$a6/64" dev eth0 nodad
ip -n "$ns-b" addr add "$b6/64" dev eth0 nodad
cat >"$run/chain.yaml" <<YAML
name: udp6-rewrite
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
vnfs:
  - name: rep
    exec: rewrite
    args: ["--replace", "ATTACK=$rep_str", "--udp", "--report", "$run/rep"]
    class: "ip6 and udp dst port 7003"
    session: "5tuple"
    scratchpad: 528
    timeout_ms: 2000
    policy: drop
graph:
  input: [rep, output]
  rep: [output]
YAML
e2e_flowmgr "$run/chain.yaml"

python3 - "$run" <<'PY'
import random, sys
run = sys.argv[1]
rnd = random.Random(6)
out = []
for _ in range(400):
    if rnd.random() < 0.25:  # a word cut into k pieces, each a datagram of its own
        k = rnd.randint(2, 6)
        cuts = sorted(rnd.sample(range(1, 6), k - 1))
        pieces = [b"ATTACK"[i:j] for i, j in zip([0] + cuts, cuts + [6])]
        out += pieces
        continue
    d = bytearray(rnd.choice(b"bcdefghijkl mnop-") for _ in range(rnd.randint(0, 1200)))
    for _ in range(rnd.randint(0, 3)):
        if len(d) > 6:
            p = rnd.randrange(len(d) - 6)
            d[p:p + 6] = b"ATTACK"
    out.append(bytes(d))
out.append(b"tail ATTAC")  # the stream ends in a prefix: carried until the timeout
with open(run + "/send.bin", "wb") as f:
    for d in out:
        f.write(len(d).to_bytes(2, "big") + d)
open(run + "/sent.bin", "wb").write(b"".join(out))
PY
"$bin/rw_offline" --replace "ATTACK=$rep_str" <"$run/sent.bin" >"$run/want.bin"

cat >"$run/recv.py" <<'PY'
import socket, sys, time
run, host, idle_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((host, 7003))
s.settimeout(0.2)
open(run + "/recv.ready", "w").close()
n, last, start = 0, time.time(), time.time()
with open(run + "/got.bin", "wb") as f:
    while time.time() - last < idle_s and time.time() - start < 90:
        try:
            d = s.recv(65535)
        except socket.timeout:
            continue
        f.write(d)
        n += 1
        last = time.time()
print(n)
PY
cat >"$run/send.py" <<'PY'
import socket, sys, time
host, path = sys.argv[1], sys.argv[2]
b = open(path, "rb").read()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
i = n = 0
while i < len(b):
    ln = int.from_bytes(b[i:i + 2], "big")
    s.sendto(b[i + 2:i + 2 + ln], (host, 7003))
    i += 2 + ln
    n += 1
    if n % 8 == 0:
        time.sleep(0.002)  # paced: UDP has no retransmission, nothing may overflow
print(n)
PY
csum_errors() {
	ip netns exec "$ns-a" nstat -az Udp6InCsumErrors | awk '$1 == "Udp6InCsumErrors" {print $2}'
}
csum0=$(csum_errors)
# neighbour discovery first (through flowmgr), so that no datagram waits on it
fs_ns_exec "$ns" b ping -6 -c 1 -W 5 "$a6" >/dev/null || e2e_fail "no IPv6 path between the hosts"
ip netns exec "$ns-a" python3 "$run/recv.py" "$run" "$a6" 6 >"$run/recv.log" 2>&1 &
rpid=$!
pids+=("$rpid")
for _ in $(seq 50); do [[ -e $run/recv.ready ]] && break; sleep 0.1; done
ip netns exec "$ns-b" python3 "$run/send.py" "$a6" "$run/send.bin" >"$run/send.log" 2>&1 ||
	e2e_fail "sender failed"
wait "$rpid" || e2e_fail "receiver failed"
sent=$(cat "$run/send.log")
got=$(cat "$run/recv.log")
csum=$(($(csum_errors) - csum0))
echo "e2e_udp6_rewrite: $sent datagrams sent, $got received, Udp6InCsumErrors $csum"
[[ $csum -eq 0 ]] || e2e_fail "the receiver dropped datagrams with bad checksums"
cmp -s "$run/got.bin" "$run/want.bin" ||
	e2e_fail "received stream ($(stat -c %s "$run/got.bin") bytes) differs from rw_offline's" \
		"($(stat -c %s "$run/want.bin"))"
[[ $got -eq $((sent + 1)) ]] || e2e_fail "received $got datagrams, want $sent + 1 (the flush)"
rw_pid=$(e2e_vnf_pid rep)
for c in udp_datagrams occurrences udp_timeout_flushes not_ipv4_tcp malformed errors carry_lost; do
	v=$(e2e_report "$rw_pid" "$run/rep" "$c")
	echo "e2e_udp6_rewrite: rewrite $c $v"
	case $c in
	udp_datagrams) [[ $v -eq $sent ]] || e2e_fail "rewrite saw $v of $sent datagrams" ;;
	occurrences) [[ $v -ge 100 ]] || e2e_fail "rewrite replaced only $v words" ;;
	udp_timeout_flushes) [[ $v -eq 1 ]] || e2e_fail "no flush at the timeout" ;;
	*) [[ $v -eq 0 ]] || e2e_fail "rewrite counted $v $c" ;;
	esac
done
echo "e2e_udp6_rewrite: the IPv6 UDP stream arrived byte-exact against rw_offline"
echo "e2e_udp6_rewrite: 1 passed, 0 failed"
