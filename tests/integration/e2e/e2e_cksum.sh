#!/usr/bin/env bash
# End to end: the cksum VNF (nfs/cksum, paper Fig. 10) behind the platform's TCP context, under
# reordering (fs_impair 3% both ways between host a and flowmgr), 1% loss on host a's ingress and
# 1% duplication on host b's egress. Ten concurrent raw TCP connections from host a to host b
# (a Python client and server written here) each upload and download random
# bytes of different sizes (8 B .. 12 MB, both directions): the client sends an 8-byte length N
# then its upload and shuts its side down; the server reads to the end, then sends N random bytes
# and closes. Every endpoint records the CRC-32 (zlib.crc32) and length of what it sent and
# received. Checks:
#   * every transfer arrived intact (receiver's CRC and length = sender's);
#   * cksum wrote exactly one line per direction of each connection, ended by its FIN, whose
#     bytes and crc equal the sender's length and zlib.crc32 — whatever the network did;
#   * the impairments happened (reordered, lost, duplicated > 0) and flowmgr held/replayed;
#   * `nfctl ports` shows the ports' checksum offload state; these virtual ports offer none, so the
#     segments flowmgr rewrote (replays, held segments) were summed by flowmgr's software path at TX
#     (flowmgr/tcp/fm_cksum.h) — intact transfers prove those checksums right.
# E2E_PORTS=af_xdp runs flowmgr's ports as net_af_xdp (e2e_cksum_afxdp.sh), else net_af_packet.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
# shellcheck source=tests/integration/e2e/impair_lib.sh
. "$(dirname "$0")/impair_lib.sh"
e2e_init "e2e_cksum${E2E_PORTS:+ ($E2E_PORTS)}" fsk
case ${E2E_PORTS:-af_packet} in
af_packet) dev0="net_af_packet0,iface=$ns-qb,framecnt=4096" dev1="net_af_packet1,iface=$ns-pb,framecnt=4096" ;;
af_xdp) dev0="net_af_xdp0,iface=$ns-qb,start_queue=0,queue_count=1" dev1="net_af_xdp1,iface=$ns-pb,start_queue=0,queue_count=1" ;;
*) e2e_fail "E2E_PORTS must be af_packet or af_xdp" ;;
esac
E2E_FAIL_FILES=("$run/stats" "$run/impair.log" "$run/tcp-progress.log" "$run/client.log"
	"$run/ss.txt")
cleanup_impair() {
	impair_path_remove "$ns"
	e2e_cleanup
}
trap cleanup_impair EXIT

impair_path "$ns" 3 11 "$run/impair.log" || e2e_fail "fs_impair did not start"
cat >"$run/chain.yaml" <<YAML
name: cksum-e2e
ports:
  - {name: p0, dev: "$dev0"}
  - {name: p1, dev: "$dev1"}
mbufs: 32767
sessions: 8192
vnfs:
  - name: cksum
    exec: cksum
    args: ["--out", "$run/cksum.txt", "--report", "$run/stats"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 64
    timeout_ms: 5000
    flags: [in_order]
    policy: drop
graph:
  input:
    - {match: "tcp", to: cksum}
    - output
  cksum: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
ck_pid=$(e2e_vnf_pid cksum)

cat >"$run/xfer.py" <<'PY'
import os, socket, struct, sys, threading, zlib

def recv_all(s):
    crc, n = 0, 0
    while True:
        b = s.recv(1 << 16)
        if not b:
            return crc, n
        crc, n = zlib.crc32(b, crc), n + len(b)

def send_random(s, n, crc=0):
    left = n
    while left:
        b = os.urandom(min(left, 1 << 16))
        s.sendall(b)
        crc, left = zlib.crc32(b, crc), left - len(b)
    return crc

def serve(addr, count, out):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, 9000))
    ls.listen(64)
    print("ready", flush=True)
    lines, lock = [], threading.Lock()
    threads = []
    for _ in range(count):
        sock, peer = ls.accept()
        class C: pass
        c = C(); c.sock = sock
        head = b""  # the first 8 bytes of the upload: how much to send back
        while len(head) < 8:
            b = sock.recv(8 - len(head))
            if not b:
                break
            head += b
        c.want = struct.unpack("!Q", head)[0]
        first_crc = zlib.crc32(head)
        def run(c=c, peer=peer, first_crc=first_crc, n0=len(head)):
            rcrc, rn = first_crc, n0
            while True:
                b = c.sock.recv(1 << 16)
                if not b:
                    break
                rcrc, rn = zlib.crc32(b, rcrc), rn + len(b)
            scrc = send_random(c.sock, c.want)
            c.sock.close()
            with lock:
                lines.append("%d up_rcvd %d %08x down_sent %d %08x" % (peer[1], rn, rcrc, c.want, scrc))
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    open(out, "w").write("\n".join(sorted(lines)) + "\n")

def client(addr, sizes, out):
    lines, lock = [], threading.Lock()
    def one(up, down):
        s = socket.create_connection((addr, 9000), timeout=120)
        port = s.getsockname()[1]
        head = struct.pack("!Q", down)
        s.sendall(head)
        scrc = send_random(s, up, zlib.crc32(head))
        s.shutdown(socket.SHUT_WR)
        rcrc, rn = recv_all(s)
        s.close()
        with lock:
            lines.append("%d up_sent %d %08x down_rcvd %d %08x" % (port, up + 8, scrc, rn, rcrc))
    threads = [threading.Thread(target=one, args=sz) for sz in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    open(out, "w").write("\n".join(sorted(lines)) + "\n")

if sys.argv[1] == "server":
    serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
else:
    sizes = [tuple(map(int, x.split(":"))) for x in sys.argv[4:]]
    client(sys.argv[2], sizes, sys.argv[3])
PY
sizes=(0:0 1000:12000000 12000000:1000 3000000:3000000 65536:1 1:65536 777777:5555555
	5555555:777777 200000:8000000 8000000:200000)
ip netns exec "$ns-b" python3 "$run/xfer.py" server "$b" "${#sizes[@]}" "$run/server.txt" \
	>"$run/server.log" 2>&1 &
srv_pid=$!
pids+=("$srv_pid")
for _ in $(seq 50); do grep -q ready "$run/server.log" 2>/dev/null && break; sleep 0.1; done
impair_nft_loss "$ns-a" eth0 1 || e2e_fail "nft loss rule"
impair_nft_dup "$ns-b" eth0 1 || e2e_fail "nft dup rule"
e2e_tcp_progress "$run/tcp-progress.log"
# ARP first (the client's first SYN must not wait for it under loss)
fs_ns_exec "$ns" a ping -c 3 -i 0.2 -W 1 "$b" >/dev/null 2>&1 || true
t0=$(date +%s.%N)
fs_ns_exec "$ns" a timeout 300 python3 "$run/xfer.py" client "$b" "$run/client.txt" "${sizes[@]}" \
	>"$run/client.log" 2>&1 || {
	# what the stuck sockets were doing (congestion control, pacing, backoff)
	for h in a b; do fs_ns_exec "$ns" "$h" ss -tino >>"$run/ss.txt" 2>&1; done
	e2e_fail "the transfers failed"
}
t1=$(date +%s.%N)
wait "$srv_pid" || e2e_fail "the server failed: $(cat "$run/server.log")"
echo "e2e_cksum: ${#sizes[@]} concurrent connections, $(awk '{s += $3 + $6} END {print s}' \
	"$run/client.txt") bytes in $(python3 -c "print('%.1f' % ($t1 - $t0))") s"

lost=$(impair_nft_count "$ns-a" loss eth0)
dups=$(impair_nft_count "$ns-b" dup eth0)
held=$(e2e_counter tcp_held)
replayed=$(e2e_counter tcp_replayed)
sleep 0.5
e2e_report "$ck_pid" "$run/stats" none >/dev/null
impair_bridge_stop >/dev/null 2>&1
reord=$(($(impair_stat ab_reordered) + $(impair_stat ba_reordered)))
echo "e2e_cksum: network: $reord reordered, $lost lost, $dups duplicated; flowmgr: $held held," \
	"$replayed replayed; cksum: $(awk '$1 == "stream_bytes" {print $2}' "$run/stats") stream bytes"

python3 - "$run/client.txt" "$run/server.txt" "$run/cksum.txt" "$a" "$b" <<'PY' || e2e_fail "checksums differ"
import re, sys
cl = {int(l.split()[0]): l.split() for l in open(sys.argv[1]) if l.strip()}
sv = {int(l.split()[0]): l.split() for l in open(sys.argv[2]) if l.strip()}
a, b = sys.argv[4], sys.argv[5]
got = {}
for l in open(sys.argv[3]):
    m = re.match(r"cksum (\S+):(\d+) -> (\S+):(\d+) dir=(\S+) bytes=(\d+) crc=0x([0-9a-f]{8}) end=(\S+)$", l.strip())
    if not m:
        continue
    key = (m.group(1), int(m.group(2)), m.group(3), int(m.group(4)))
    got.setdefault(key, []).append((m.group(5), int(m.group(6)), m.group(7), m.group(8)))
bad = 0
for port, c in sorted(cl.items()):
    s = sv.get(port)
    up_n, up_crc, down_n, down_crc = int(c[2]), c[3], int(c[5]), c[6]
    if s is None or int(s[2]) != up_n or s[3] != up_crc or int(s[5]) != down_n or s[6] != down_crc:
        print("port %d: transfer corrupt: client %s server %s" % (port, c, s)); bad += 1; continue
    for key, role, n, crc in (((a, port, b, 9000), "orig", up_n, up_crc),
                              ((b, 9000, a, port), "reply", down_n, down_crc)):
        lines = got.get(key, [])
        if lines != [(role, n, crc, "fin")]:
            print("%s: cksum reported %s, want %s" % (key, lines, [(role, n, crc, "fin")])); bad += 1
if len(cl) != 10 or len(sv) != 10:
    print("client saw %d connections, server %d" % (len(cl), len(sv))); bad += 1
print("e2e_cksum: %d directions checked, %d wrong" % (2 * len(cl), bad))
sys.exit(1 if bad else 0)
PY
[[ $reord -gt 0 && $lost -gt 0 && $dups -gt 0 ]] || e2e_fail "the impairments did not happen"
[[ $held -gt 0 && $replayed -gt 0 ]] || e2e_fail "the TCP context never held or replayed"
[[ $(awk '$1 == "seq_gaps" {print $2}' "$run/stats") -eq 0 ]] || e2e_fail "cksum saw sequence gaps"
"$bin/nfctl" -s "$sock" ports >"$run/ports" || e2e_fail "nfctl ports"
grep -c "checksum offload rx off tx off" "$run/ports" | grep -qx 2 ||
	e2e_fail "nfctl ports: $(cat "$run/ports")"
# the rewritten segments (replays at least) asked TX checksums; none went to a device
read -r dev sw < <(awk '/tx checksums flowmgr asked:/ {d += $5; s += $9} END {print d + 0, s + 0}' \
	"$run/ports")
[[ $dev -eq 0 && $sw -gt 0 ]] ||
	e2e_fail "TX checksums: $dev by a device, $sw in software (want 0 and some: $replayed replays)"
echo "$E2E_NAME: ports: $(grep -o 'checksum offload rx [a-z]* tx [a-z]*' "$run/ports" | sort -u):" \
	"$sw segments flowmgr rewrote summed in software at TX, 0 by a device"
echo "$E2E_NAME: 1 passed, 0 failed"
