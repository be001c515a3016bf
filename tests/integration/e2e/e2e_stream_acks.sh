#!/usr/bin/env bash
# End to end (issue 13 item 5, docs/streams.md "Pure ACKs skip the chain"): a pure ACK of a
# connection on a stream path is not held behind a VNF that does not run. Through flowmgr and
# nfs/rewrite (in_order, resize, bidir; policy hold: a stopped VNF's packets wait in its ring),
# a real Linux connection from host a to host b exchanges data both ways (the VNF masks a word in
# each direction: checked), then the VNF is stopped (SIGSTOP) and host b's socket sends TCP
# keep-alives (pure ACKs: no payload, no SYN/FIN/RST) every second. Host a must receive one and
# host b must receive host a's answer (a pure ACK too) while the VNF is still stopped; before the
# fix every pure ACK went through the VNF's ring and none arrived until the VNF ran again. Then the
# VNF resumes and data still flows both ways, masked, byte-exact; flowmgr counted the ACKs it sent
# past the VNF (tcp_acks_direct) and ACKed nothing it had not sent (tcp_acks_unsent 0).
# No timed assertion: the VNF stays stopped until both ACKs are seen (at most 60 s, then FAIL).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_stream_acks fsst
port=8090

cat >"$run/chain.yaml" <<YAML
name: stream-acks
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=1024"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=1024"}
mbufs: 8191
vnfs:
  - name: v
    exec: rewrite
    args: ["--mask", "ATTACK"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 512
    timeout_ms: 60000
    flags: [in_order, resize, bidir]
    policy: hold
graph:
  input:
    - {match: "tcp", to: v}
    - output
  v: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
vpid=$(e2e_vnf_pid v)

# Host b: echoes each line with "ok: " in front; keep-alives every second once told to (a line
# "KEEPALIVE"), for the rest of the connection.
cat >"$run/srv.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
f = c.makefile("rb")
for line in f:
    if line.strip() == b"KEEPALIVE":
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 120)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.sendall(b"ok: " + line)
PY
ip netns exec "$ns-b" python3 "$run/srv.py" "$b" "$port" >"$run/srv.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do
	ip netns exec "$ns-b" ss -ltn | grep -q ":$port " && break
	sleep 0.1
done

# Host a: the client, driven through a FIFO (one line per step), prints what it reads.
mkfifo "$run/cli.in"
cat >"$run/cli.py" <<'PY'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
f = c.makefile("rb")
out = open(sys.argv[4], "ab", buffering=0)
for line in open(sys.argv[3], "rb"):
    c.sendall(line)
    out.write(f.readline())
c.close()
PY
ip netns exec "$ns-a" python3 "$run/cli.py" "$b" "$port" "$run/cli.in" "$run/cli.out" \
	>"$run/cli.log" 2>&1 &
pids+=("$!")
exec 3>"$run/cli.in"
wait_lines() { # wait_lines N — until the client has read N lines (at most 60 s)
	for _ in $(seq 600); do
		[[ $(wc -l <"$run/cli.out" 2>/dev/null || echo 0) -ge $1 ]] && return 0
		sleep 0.1
	done
	e2e_fail "the client read $(wc -l <"$run/cli.out" 2>/dev/null) of $1 lines"
}
: >"$run/cli.out"
echo "one ATTACK two" >&3
wait_lines 1
echo "KEEPALIVE" >&3
wait_lines 2

# The VNF stops; captures of the pure ACKs (TCP header only, no payload) each host then receives
# from the other (started after the stop: nothing that left before is counted).
kill -STOP "$vpid"
pure="tcp and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) == 0 and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0"
ip netns exec "$ns-a" tcpdump -i eth0 -n -l -c 1 "src host $b and src port $port and $pure" \
	>"$run/acks-a.txt" 2>/dev/null &
pids+=("$!")
ip netns exec "$ns-b" tcpdump -i eth0 -n -l -c 1 "src host $a and dst port $port and $pure" \
	>"$run/acks-b.txt" 2>/dev/null &
pids+=("$!")
stopped() { [[ $(awk '{print $3}' "/proc/$vpid/stat") == T ]]; }
for _ in $(seq 600); do
	[[ -s $run/acks-a.txt && -s $run/acks-b.txt ]] && break
	sleep 0.1
done
stopped || e2e_fail "the VNF did not stay stopped"
got_a=$(wc -l <"$run/acks-a.txt")
got_b=$(wc -l <"$run/acks-b.txt")
"$bin/nfctl" -s "$sock" --json stats >"$run/stats-stopped.json"
kill -CONT "$vpid"
[[ $got_a -ge 1 ]] || e2e_fail "no pure ACK of host b reached host a while the VNF was stopped"
[[ $got_b -ge 1 ]] || e2e_fail "no pure ACK of host a reached host b while the VNF was stopped"
echo "e2e_stream_acks: with the VNF stopped: host a got $(cat "$run/acks-a.txt")"
echo "e2e_stream_acks: with the VNF stopped: host b got $(cat "$run/acks-b.txt")"

# The VNF runs again: data both ways, masked.
echo "three ATTACK four" >&3
wait_lines 3
exec 3>&-
want=$'ok: one XXXXXX two\nok: KEEPALIVE\nok: three XXXXXX four'
[[ $(cat "$run/cli.out") == "$want" ]] || e2e_fail "the client read: $(cat "$run/cli.out")"
"$bin/nfctl" -s "$sock" --json stats >"$run/stats.json"
python3 - "$run/stats-stopped.json" "$run/stats.json" <<'PY' || e2e_fail "flowmgr's counters"
import json, sys
s0 = json.load(open(sys.argv[1]))["counters"]
s1 = json.load(open(sys.argv[2]))["counters"]
print("e2e_stream_acks: tcp_acks_direct %d with the VNF stopped, %d at the end; tcp_acks_unsent %d"
      % (s0.get("tcp_acks_direct", 0), s1.get("tcp_acks_direct", 0), s1.get("tcp_acks_unsent", 0)))
assert s0.get("tcp_acks_direct", 0) >= 2, "tcp_acks_direct below 2 while the VNF was stopped"
assert s1.get("tcp_acks_unsent", 0) == 0, "ACKs of bytes flowmgr had not sent"
PY
echo "e2e_stream_acks: 1 passed, 0 failed"
