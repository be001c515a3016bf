#!/usr/bin/env bash
# End to end: nfs/rewrite changes a TCP byte stream in the middle of real Linux connections, and
# flowmgr's TCP context does the sequence/ack book-keeping (docs/streams.md). For each of
#   mask     every "ATTACK" becomes "XXXXXX"                   (same length)
#   remove   every "ATTACK" disappears                          (shorter)
#   replace  every "ATTACK" becomes a 60-byte string            (longer: segments are split)
# a 50 MB download (HTTP/1.1, body delimited by the connection's close, so that a length change
# needs no HTTP context) and a 50 MB upload (raw TCP, sender closes) of a payload with ~5000
# planted "ATTACK"s are compared byte for byte with the same transformation done offline
# (rw_offline). Every run goes through the impaired network of e2e_stream_inorder.sh (fs_impair
# reordering both ways, 1% loss on host a's ingress, 1% duplication on host b's egress), and the
# connections must close cleanly (no connection reset: nstat TcpEstabResets unchanged on both hosts).
# The retransmissions of both hosts (nstat TcpRetransSegs) are compared with the same transfers
# through flowmgr with a pass-through chain under the same impairment (measured first): at most
# 2x (+ 20) the baseline's, the issue's bound (docs/streams.md, "Retransmissions").
#
# Environment: E2E_MODES (default "mask remove replace"), E2E_MB (50), E2E_IMPAIR (1; 0: no
# impairment), E2E_KEEP=1 keeps $run (nstat snapshots nstat-TAG-{0,1,2}, flowmgr counters
# stats-MODE.json), E2E_PCAP=1 also captures the TCP headers on both hosts (a-CHAIN.pcap,
# b-CHAIN.pcap), E2E_RETRANS_REPORT=1 only reports a retransmission count above the bound
# (diagnosis: it does not fail then). A transfer still running after 30 s leaves both hosts' ss -tin
# and flowmgr's counters in stuck-TAG.log (shown if it fails).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
# shellcheck source=tests/integration/e2e/impair_lib.sh
. "$(dirname "$0")/impair_lib.sh"
e2e_init e2e_stream_rewrite fsr
E2E_FAIL_FILES=("$run/impair.log" "$run/tcp-progress.log")
cleanup_impair() {
	impair_path_remove "$ns"
	e2e_cleanup
}
trap cleanup_impair EXIT
impair=${E2E_IMPAIR:-1}
mb=${E2E_MB:-50}

impair_path "$ns" $((impair ? 3 : 0)) 11 "$run/impair.log" || e2e_fail "fs_impair did not start"
if [[ $impair -eq 1 ]]; then
	impair_nft_loss "$ns-a" eth0 1 || e2e_fail "nft loss rule"
	impair_nft_dup "$ns-b" eth0 1 || e2e_fail "nft dup rule"
fi

# Payloads: random bytes with ~5000 planted words (some back to back, some overlapping).
python3 - "$run/down.bin" "$run/up.bin" "$mb" <<'PY'
import os, random, sys
rnd = random.Random(7)
for path, seed in ((sys.argv[1], 1), (sys.argv[2], 2)):
    data = bytearray(os.urandom(int(sys.argv[3]) << 20))
    r = random.Random(seed)
    for _ in range(len(data) // 10000):
        pos = r.randrange(0, len(data) - 16)
        word = r.choice([b"ATTACK", b"ATTACK", b"ATTATTACK", b"ATTACKATTACK"])
        data[pos:pos + len(word)] = word
    open(path, "wb").write(data)
PY
# Servers on host b: a close-delimited HTTP download, a raw TCP sink for uploads.
cat >"$run/srv.py" <<'PY'
import socket, sys, threading
host, down, updir = sys.argv[1], sys.argv[2], sys.argv[3]
def http(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return c.close()
        req += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              b"Connection: close\r\n\r\n")
    with open(down, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            c.sendall(b)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
def sink(c, n):
    with open("%s/up%d.bin" % (updir, n), "wb") as f:
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            f.write(d)
    c.close()
def serve(port, fn):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    n = 0
    while True:
        c, _ = s.accept()
        n += 1
        threading.Thread(target=fn, args=(c,) if fn is http else (c, n), daemon=True).start()
threading.Thread(target=serve, args=(8080, http), daemon=True).start()
serve(9000, sink)
PY
mkdir -p "$run/up"
ip netns exec "$ns-b" python3 "$run/srv.py" "$b" "$run/down.bin" "$run/up" >"$run/srv.log" 2>&1 &
pids+=("$!")
cat >"$run/send.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 9000))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
PY

nstat_get() { # nstat_get SIDE COUNTER — absolute value
	ip netns exec "$ns-$1" nstat -az "$2" | awk -v k="$2" '$1 == k {print $2}'
}
# Resets of established connections (TcpEstabResets: a connection was aborted). RSTs a host
# sends in answer to a stray segment of a connection already closed (a duplicate the network
# delayed past the close) are not counted: they abort nothing.
counters() { # counters -> "retrans_a retrans_b resets_a resets_b"
	echo "$(nstat_get a TcpRetransSegs) $(nstat_get b TcpRetransSegs)" \
		"$(nstat_get a TcpEstabResets) $(nstat_get b TcpEstabResets)"
}

# chain FILE VNF ARGS... — a chain with one VNF on TCP
chain() {
	local file=$1 exec=$2 flags=$3
	shift 3
	{
		echo "name: stream-rewrite"
		echo "ports:"
		echo "  - {name: p0, dev: \"net_af_packet0,iface=$ns-qb,framecnt=4096\"}"
		echo "  - {name: p1, dev: \"net_af_packet1,iface=$ns-pb,framecnt=4096\"}"
		echo "mbufs: 65535"
		echo "vnfs:"
		echo "  - name: v"
		echo "    exec: $exec"
		printf '    args: ['
		local sep=""
		for a in "$@"; do
			printf '%s"%s"' "$sep" "$a"
			sep=", "
		done
		echo "]"
		echo "    class: \"tcp\""
		echo "    session: \"5tuple\""
		echo "    scratchpad: 512"
		echo "    timeout_ms: 5000"
		echo "    flags: [$flags]"
		echo "    policy: drop"
		echo "graph:"
		echo "  input:"
		echo "    - {match: \"tcp\", to: v}"
		echo "    - output"
		echo "  v: [output]"
	} >"$file"
}
fm_pid=
start() { # start CHAIN_FILE
	local n=${#pids[@]}
	e2e_flowmgr "$1"
	fm_pid=${pids[n]}
	: >"$run/tcp-progress.log"
	e2e_tcp_progress "$run/tcp-progress.log"
	if [[ ${E2E_PCAP:-0} -eq 1 ]]; then # diagnosis: TCP headers on both hosts, kept in $run
		local side
		for side in a b; do
			ip netns exec "$ns-$side" tcpdump -i eth0 -s 100 -w "$run/$side-$(basename "$1" .yaml).pcap" \
				tcp >/dev/null 2>&1 &
			pids+=("$!")
		done
	fi
	sleep 0.5
}
stop() {
	if [[ ${E2E_PCAP:-0} -eq 1 ]]; then
		fs_stop_pid "${pids[-1]}" 5
		unset 'pids[-1]'
		fs_stop_pid "${pids[-1]}" 5
		unset 'pids[-1]'
	fi
	fs_stop_pid "${pids[-1]}" 5 # the progress logger
	unset 'pids[-1]'
	fs_stop_pid "$fm_pid" 10
	fs_cleanup_dpdk "$prefix"
	unset 'pids[-1]'
}
snap() { # snap FILE — both hosts' nstat counters (kept with E2E_KEEP=1 for diagnosis)
	{
		ip netns exec "$ns-a" nstat -az | sed 's/^/a /'
		ip netns exec "$ns-b" nstat -az | sed 's/^/b /'
	} >"$1"
}
tcp_state() { # tcp_state FILE — both hosts' TCP state (ss -tin) and flowmgr's counters
	{
		for side in a b; do
			echo "host $side:"
			ip netns exec "$ns-$side" ss -tin
		done
		"$bin/nfctl" -s "$sock" stats
	} >"$1" 2>&1
}
# A transfer still running after 30 s is stuck (they take a few seconds): its state then is kept
# for diagnosis (shown if it fails).
watchdog() { # watchdog TAG — in the background; its pid in $wd
	(sleep 30 && tcp_state "$run/stuck-$1.log") &
	wd=$!
	E2E_FAIL_FILES+=("$run/stuck-$1.log")
}
unwatch() {
	kill "$wd" 2>/dev/null || true
	wait "$wd" 2>/dev/null || true
}
transfer() { # transfer TAG -> files $run/got-TAG.bin and $run/up/upN.bin
	snap "$run/nstat-$1-0"
	watchdog "$1-down"
	ip netns exec "$ns-a" curl -sS --fail --max-time 180 -o "$run/got-$1.bin" \
		"http://$b:8080/down.bin" || e2e_fail "$1: download failed"
	unwatch
	snap "$run/nstat-$1-1"
	watchdog "$1-up"
	local before
	before=$(find "$run/up" -name 'up*.bin' | wc -l)
	timeout 180 ip netns exec "$ns-a" python3 "$run/send.py" "$b" "$run/up.bin" ||
		e2e_fail "$1: upload failed"
	unwatch
	for _ in $(seq 50); do
		[[ $(find "$run/up" -name 'up*.bin' | wc -l) -gt $before ]] && break
		sleep 0.1
	done
	sleep 0.5
	snap "$run/nstat-$1-2"
	upfile="$run/up/up$((before + 1)).bin"
}

# Baseline: a pass-through chain (no TCP context), same network.
chain "$run/fwd.yaml" forward ""
start "$run/fwd.yaml"
read -r ra0 rb0 sa0 sb0 < <(counters)
transfer base
read -r ra1 rb1 sa1 sb1 < <(counters)
stop
cmp -s "$run/got-base.bin" "$run/down.bin" || e2e_fail "baseline download corrupt"
cmp -s "$upfile" "$run/up.bin" || e2e_fail "baseline upload corrupt"
base_rt=$((ra1 - ra0 + rb1 - rb0))
echo "e2e_stream_rewrite: baseline (pass-through chain): $((2 * mb)) MB byte-exact," \
	"$base_rt retransmissions"

long=$(printf 'L%.0s' $(seq 60))
for mode in ${E2E_MODES:-mask remove replace}; do
	case $mode in
	mask) args=(--mask ATTACK) ;;
	remove) args=(--remove ATTACK) ;;
	replace) args=(--replace "ATTACK=$long") ;;
	esac
	"$bin/rw_offline" "${args[@]}" <"$run/down.bin" >"$run/want-down.bin"
	"$bin/rw_offline" "${args[@]}" <"$run/up.bin" >"$run/want-up.bin"
	chain "$run/$mode.yaml" rewrite "in_order, resize" "${args[@]}" --report "$run/report"
	start "$run/$mode.yaml"
	read -r ra0 rb0 sa0 sb0 < <(counters)
	t0=$(date +%s.%N)
	transfer "$mode"
	t1=$(date +%s.%N)
	read -r ra1 rb1 sa1 sb1 < <(counters)
	"$bin/nfctl" -s "$sock" --json stats >"$run/stats-$mode.json"
	stop
	cmp -s "$run/got-$mode.bin" "$run/want-down.bin" ||
		e2e_fail "$mode: download differs from the offline transformation"
	cmp -s "$upfile" "$run/want-up.bin" ||
		e2e_fail "$mode: upload differs from the offline transformation"
	rt=$((ra1 - ra0 + rb1 - rb0))
	rst=$((sa1 - sa0 + sb1 - sb0))
	python3 - "$run/stats-$mode.json" "$mode" "$rt" "$base_rt" "$rst" \
		"$(stat -c %s "$run/want-down.bin")" "$(python3 -c "print('%.1f' % ($t1 - $t0))")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
mode, rt, base, rst, size, secs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
print("e2e_stream_rewrite: %s: download (%d bytes) and upload byte-exact in %s s; "
      "%d resized, %d split, %d held, %d replayed; retransmissions %d (baseline %d), RST %d"
      % (mode, size, secs, c.get("tcp_resized_segments", 0), c.get("tcp_split_segments", 0),
         c.get("tcp_held", 0), c.get("tcp_replayed", 0), rt, base, rst))
print("  " + " ".join("%s=%d" % (k, v) for k, v in sorted(c.items()) if k.startswith("tcp_") and v))
PY
	[[ $rst -eq 0 ]] || e2e_fail "$mode: $rst resets: the connections did not close cleanly"
	# A replay waits for what entered the chain before it; none may wait in vain (this chain's
	# VNF drops nothing, so an expiry would be lost book-keeping).
	expired=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["counters"].get("tcp_replay_expired", 0))' "$run/stats-$mode.json")
	[[ $expired -eq 0 ]] || e2e_fail "$mode: $expired replays expired waiting for the chain"
	# Issue 7: at most 2x the baseline's retransmissions (+ 20 for tiny baselines).
	if [[ $rt -gt $((2 * base_rt + 20)) ]]; then
		[[ ${E2E_RETRANS_REPORT:-0} -eq 1 ]] ||
			e2e_fail "$mode: $rt retransmissions, more than 2x the baseline's $base_rt"
		echo "e2e_stream_rewrite: $mode: NOT MET: $rt retransmissions, more than 2x the" \
			"baseline's $base_rt (E2E_RETRANS_REPORT=1: reported only)"
	fi
done
echo "e2e_stream_rewrite: 1 passed, 0 failed"
