#!/usr/bin/env bash
# End to end: the platform TCP context under loss, duplication and reordering. A VNF that
# declares `in_order` (nfs/tcpcheck: every TCP payload byte of a direction must arrive exactly
# once and in order) sits between two Linux hosts; the
# link from host a to flowmgr goes through tests/tools/fs_impair (reordering both ways), host a
# loses 1% of what it receives (nftables numgen on its ingress) and host b duplicates 1% of what
# it sends (nftables dup on its egress). Checks:
#   * 50 MB download (b -> a) and 20 MB upload (a -> b) byte-exact (sha256), closed cleanly;
#   * the VNF saw every stream byte once and in order (its checker's violation count is 0) even
#     though the network reordered, lost and duplicated packets (fs_impair's and nft's counters,
#     and flowmgr's tcp_held / tcp_replayed counters, are > 0).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
# shellcheck source=tests/integration/e2e/impair_lib.sh
. "$(dirname "$0")/impair_lib.sh"
e2e_init e2e_stream_inorder fso
E2E_FAIL_FILES=("$run/report" "$run/impair.log" "$run/tcp-progress.log")
cleanup_impair() {
	impair_path_remove "$ns"
	e2e_cleanup
}
trap cleanup_impair EXIT

impair=${E2E_IMPAIR:-1} # 0: no impairment (a baseline)
impair_path "$ns" $((impair ? 3 : 0)) 7 "$run/impair.log" || e2e_fail "fs_impair did not start"

cat >"$run/chain.yaml" <<YAML
name: stream-inorder
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-qb,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
mbufs: 32767
vnfs:
  - name: fwd
    exec: tcpcheck
    args: ["--report", "$run/report"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 16
    timeout_ms: 5000
    flags: [in_order]
    policy: drop
graph:
  input:
    - {match: "tcp", to: fwd}
    - output
  fwd: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
fwd_pid=$(e2e_vnf_pid fwd)

mkdir -p "$run/www"
head -c $((${E2E_MB:-50} * 1024 * 1024)) /dev/urandom >"$run/www/big.bin"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$run/up.bin"
cat >"$run/srv.py" <<'PY'
import http.server, sys, os
class H(http.server.SimpleHTTPRequestHandler):
    def do_PUT(self):
        n = int(self.headers["Content-Length"])
        left, out = n, open(os.path.join(sys.argv[2], "put.bin"), "wb")
        while left:
            b = self.rfile.read(min(left, 1 << 20))
            if not b:
                break
            out.write(b)
            left -= len(b)
        out.close()
        self.send_response(201 if left == 0 else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer((sys.argv[1], 8080), H).serve_forever()
PY
ip netns exec "$ns-b" python3 "$run/srv.py" "$b" "$run/www" >"$run/srv.log" 2>&1 &
pids+=("$!")
sleep 1

if [[ $impair -eq 1 ]]; then
	impair_nft_loss "$ns-a" eth0 1 || e2e_fail "nft loss rule"
	impair_nft_dup "$ns-b" eth0 1 || e2e_fail "nft dup rule"
fi
e2e_tcp_progress "$run/tcp-progress.log"

t0=$(date +%s.%N)
fs_ns_exec "$ns" a curl -sS --fail --max-time 120 -o "$run/got.bin" "http://$b:8080/big.bin" ||
	e2e_fail "download failed"
t1=$(date +%s.%N)
cmp -s "$run/got.bin" "$run/www/big.bin" || e2e_fail "download corrupt"
fs_ns_exec "$ns" a curl -sS --fail --max-time 120 -T "$run/up.bin" "http://$b:8080/put.bin" ||
	e2e_fail "upload failed"
cmp -s "$run/www/put.bin" "$run/up.bin" || e2e_fail "upload corrupt"
t2=$(date +%s.%N)
echo "e2e_stream_inorder: ${E2E_MB:-50} MB download in $(python3 -c "print('%.1f' % ($t1 - $t0))") s and" \
	"20 MB upload in $(python3 -c "print('%.1f' % ($t2 - $t1))") s, byte-exact"

lost=0 dups=0
if [[ $impair -eq 1 ]]; then
	lost=$(impair_nft_count "$ns-a" loss eth0)
	dups=$(impair_nft_count "$ns-b" dup eth0)
fi
e2e_report "$fwd_pid" "$run/report" none >/dev/null
viol=$(awk '$1 == "order_violations" {print $2}' "$run/report")
bytes=$(awk '$1 == "stream_bytes" {print $2}' "$run/report")
held=$(e2e_counter tcp_held)
replayed=$(e2e_counter tcp_replayed)
trimmed=$(e2e_counter tcp_trimmed)
impair_bridge_stop >/dev/null 2>&1
reord=$(($(impair_stat ab_reordered) + $(impair_stat ba_reordered)))
echo "e2e_stream_inorder: network: $reord reordered, $lost lost, $dups duplicated;" \
	"flowmgr: $held held, $replayed replayed, $trimmed trimmed; the VNF saw $bytes stream" \
	"bytes, $viol out of order"
[[ $viol -eq 0 ]] || e2e_fail "the in_order VNF saw $viol bytes out of order or twice"
[[ $bytes -ge $(((${E2E_MB:-50} + 20) * 1024 * 1024)) ]] || e2e_fail "the VNF saw only $bytes stream bytes"
if [[ $impair -eq 1 ]]; then
	[[ $reord -gt 0 && $lost -gt 0 && $dups -gt 0 ]] || e2e_fail "the impairments did not happen"
	[[ $held -gt 0 && $replayed -gt 0 ]] || e2e_fail "the TCP context never held or replayed"
fi
echo "e2e_stream_inorder: 1 passed, 0 failed"
