#!/usr/bin/env bash
# End to end: the httpfilter VNF (nfs/httpfilter) between curl on host a and nginx on host b.
# Rules: `block url-prefix /secret/`, `close url-prefix /kill/`, `block host *.blocked.test`.
# Checks:
#   1. an allowed URL downloads byte-exact (4 MB);
#   2. keep-alive: one curl fetches an allowed URL then a blocked one on the same connection:
#      the first is served by nginx, the second gets the 403 page;
#   3. a blocked Host and a blocked URL give curl HTTP 403 with the page;
#   4. the `close` rule gives curl a reset or an empty reply;
#   5. request heads cut into small segments (Python, TCP_NODELAY, 2 ms apart): a request line
#      one byte per segment blocked by its URL, a head 4 bytes per segment blocked by its Host,
#      and a head with an 800-byte header in 100-byte segments blocked by its Host, all answered
#      403 and nginx never sees any of them (httpfilter holds the undecided head's packets with
#      the platform hold, flowmgr pre-acknowledges them); allowed ones cut that way are served;
#      a head that needs more than the hold store's 32 packets (800-byte header in 8-byte
#      segments) gets the --default action (close: reset), nginx sees none of it;
#      a lost pro-active ACK (host a drops it) is sent again by flowmgr when the client (waiting
#      for it before it sends the rest) retransmits the held bytes: the 403 comes in well under
#      nfsdk's 2 s;
#      bytes that are not HTTP get the --default action (close: reset);
#   6. a POST whose body looks like a blocked request is passed to nginx (bodies are skipped);
#   7. nginx's access log shows the allowed requests and none of the blocked ones;
#   8. httpfilter's counters: requests blocked per action, split heads, hits per rule, held
#      packets and the pro-active ACKs nfsdk asked for.
# By default it all runs under fs_impair reordering (3% both ways), 1% loss on host a's ingress
# and 1% duplication on host b's egress; E2E_IMPAIR=0 runs it on a clean path.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
# shellcheck source=tests/integration/e2e/impair_lib.sh
. "$(dirname "$0")/impair_lib.sh"
e2e_init e2e_httpfilter fsx
E2E_FAIL_FILES=("$run/report" "$run/block.log" "$run/nginx/error.log")
impair=${E2E_IMPAIR:-1}
p0if=$ns-pa
if [[ $impair -eq 1 ]]; then
	cleanup_impair() {
		impair_path_remove "$ns"
		e2e_cleanup
	}
	trap cleanup_impair EXIT
	impair_path "$ns" 3 5 "$run/impair.log" || e2e_fail "fs_impair did not start"
	p0if=$ns-qb
fi

cat >"$run/rules.txt" <<'RULES'
# test rules (URL rules first: they decide as soon as the target ends, see nfs/httpfilter)
block url-prefix /secret/
close url-prefix /kill/
block host *.blocked.test
RULES
cat >"$run/chain.yaml" <<YAML
name: httpfilter-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$p0if,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
mbufs: 16383
sessions: 8192
vnfs:
  - name: httpfilter
    exec: httpfilter
    args: ["--rules", "$run/rules.txt", "--report", "$run/report", "--log", "$run/block.log"]
    class: "tcp port 80"
    session: "5tuple"
    scratchpad: 1024
    timeout_ms: 5000
    flags: [in_order, may_stall, resize, bidir]
    policy: drop
graph:
  input:
    - {match: "tcp port 80", to: httpfilter}
    - output
  httpfilter: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
hf_pid=$(e2e_vnf_pid httpfilter)

mkdir -p "$run/www/secret" "$run/www/kill" "$run/nginx"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$run/www/ok.bin"
echo "small page" >"$run/www/small.txt"
echo "secret" >"$run/www/secret/x.html"
echo "kill" >"$run/www/kill/x.html"
chmod -R a+rX "$run"
cat >"$run/nginx/nginx.conf" <<NGINX
worker_processes 1; pid $run/nginx/nginx.pid; error_log $run/nginx/error.log;
events { worker_connections 256; }
http { sendfile on; client_body_temp_path $run/nginx; proxy_temp_path $run/nginx;
  fastcgi_temp_path $run/nginx; uwsgi_temp_path $run/nginx; scgi_temp_path $run/nginx;
  log_format req '\$request \$status';
  server { listen $b:80; root $run/www; access_log $run/nginx/access.log req; keepalive_timeout 30; }
}
NGINX
ip netns exec "$ns-b" nginx -c "$run/nginx/nginx.conf" -g 'daemon off;' >"$run/nginx/stdout" 2>&1 &
pids+=("$!")
sleep 0.5
if [[ $impair -eq 1 ]]; then
	impair_nft_loss "$ns-a" eth0 1 || e2e_fail "nft loss rule"
	impair_nft_dup "$ns-b" eth0 1 || e2e_fail "nft dup rule"
fi

curl_a() { fs_ns_exec "$ns" a curl -sS --max-time 10 "$@"; }

# 1. allowed download (the first try also waits for ARP and nginx)
ok=0
for _ in $(seq 20); do
	if curl_a --fail -o "$run/got.bin" "http://$b/ok.bin" 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.3
done
[[ $ok -eq 1 ]] || e2e_fail "allowed download failed"
cmp -s "$run/got.bin" "$run/www/ok.bin" || e2e_fail "allowed download not byte-exact"
echo "e2e_httpfilter: allowed 4 MB download byte-exact"

# 2. keep-alive: allowed then blocked on one connection
out=$(curl_a -v -o "$run/ka1.txt" "http://$b/small.txt" -o "$run/ka2.txt" \
	"http://$b/secret/x.html?keepalive=1" 2>&1) || true
cmp -s "$run/ka1.txt" "$run/www/small.txt" || e2e_fail "keep-alive: first request not served"
grep -q "Re-using existing connection" <<<"$out" || e2e_fail "keep-alive: curl did not reuse the connection: $out"
grep -q "403 Forbidden" "$run/ka2.txt" || e2e_fail "keep-alive: second request not answered 403"
echo "e2e_httpfilter: keep-alive: allowed request served, the next one on the connection blocked"

# 3. blocked host, blocked URL
for what in host url; do
	if [[ $what == host ]]; then
		args=(-H "Host: www.Blocked.test" "http://$b/small.txt?blockedhost=1")
	else
		args=("http://$b/secret/x.html")
	fi
	code=$(curl_a -o "$run/$what.html" -w '%{http_code}' "${args[@]}") || e2e_fail "blocked $what: curl failed"
	[[ $code == 403 ]] || e2e_fail "blocked $what: HTTP $code"
	grep -q "<h1>403 Forbidden</h1>" "$run/$what.html" || e2e_fail "blocked $what: no 403 page"
done
echo "e2e_httpfilter: blocked host and blocked URL answered 403 with the page"

# 4. close action
set +e
curl_a -o /dev/null "http://$b/kill/x.html" 2>"$run/kill.err"
rc=$?
set -e
[[ $rc -eq 52 || $rc -eq 56 ]] || e2e_fail "close rule: curl exit $rc ($(cat "$run/kill.err")), want 52 or 56"
echo "e2e_httpfilter: close rule: curl exit $rc ($(tr -d '\n' <"$run/kill.err"))"

# 5. request heads one byte per segment
cat >"$run/slow.py" <<'PY'
import socket, sys, time
host, path = sys.argv[1], sys.argv[2]
vhost = sys.argv[3] if len(sys.argv) > 3 else host
pad = int(sys.argv[4]) if len(sys.argv) > 4 else 0  # bytes of an extra header
step = int(sys.argv[5]) if len(sys.argv) > 5 else 1  # bytes per segment
s = socket.create_connection((host, 80), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = ("GET %s HTTP/1.1\r\nUser-Agent: slow\r\nX-Pad: %s\r\nHost: %s\r\nConnection: close\r\n\r\n"
       % (path, "p" * pad, vhost)).encode()
data = b""
try:
    for i in range(0, len(req), step):
        s.send(req[i:i + step])
        time.sleep(0.002)
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except (ConnectionResetError, BrokenPipeError):
    if not data:
        data = b"RESET"
except socket.timeout:
    pass
print(data.split(b"\r\n", 1)[0].decode(errors="replace"))
PY
slow() { fs_ns_exec "$ns" a python3 "$run/slow.py" "$b" "$@"; }
line=$(slow /secret/split.html "$b" 0 1)
[[ $line == "HTTP/1.1 403 Forbidden" ]] || e2e_fail "byte-by-byte blocked URL: status line '$line'"
line=$(slow "/small.txt?splithost=1" www.blocked.test 0 4)
[[ $line == "HTTP/1.1 403 Forbidden" ]] || e2e_fail "4-byte segments, blocked host: status line '$line'"
line=$(slow /small.txt "$b" 0 4)
[[ $line == "HTTP/1.1 200 OK" ]] || e2e_fail "4-byte segments, allowed request: status line '$line'"
echo "e2e_httpfilter: heads in 1- and 4-byte segments: blocked URL and host 403, allowed one 200"
# an 800-byte header in 100-byte segments (10 packets: the old 512-byte hold could not)
line=$(slow "/small.txt?midhost=1" www.blocked.test 800 100)
[[ $line == "HTTP/1.1 403 Forbidden" ]] || e2e_fail "long head in 100-byte segments, blocked host: status line '$line'"
line=$(slow "/small.txt?midok=1" ok.test 800 100)
[[ $line == "HTTP/1.1 200 OK" ]] || e2e_fail "long head in 100-byte segments, allowed: status line '$line'"
echo "e2e_httpfilter: 900-byte heads in 100-byte segments: blocked host 403, allowed one 200"
# a head needing more than the hold store's 32 packets: --default (close), either way
line=$(slow "/small.txt?bighost=1" www.blocked.test 800 8)
[[ $line == RESET ]] || e2e_fail "head beyond the hold, blocked host: status line '$line', want a reset"
line=$(slow "/small.txt?bigok=1" ok.test 800 8)
[[ $line == RESET ]] || e2e_fail "head beyond the hold, allowed host: status line '$line', want a reset"
echo "e2e_httpfilter: heads beyond the hold store (800-byte header in 8-byte segments) reset (--default close)"
# a lost pro-active ACK: a client sends "GET /sec", then the rest only once that is acknowledged
# (its send queue empty: nothing for its retransmission to carry along); host a drops the first
# pure ACK to its port (the pre-ACK); the client's retransmission of "GET /sec" (held by
# httpfilter, never sent on) makes flowmgr send the pre-ACK again. Known flaw: on a loaded machine
# about one attempt in 15 is answered only by nfsdk's 2 s release (the repeat did not happen; not
# understood yet, docs/streams.md): a second attempt on another port is made then, and both slow
# fails the test.
cat >"$run/nagle.py" <<'PY'
import fcntl, socket, struct, sys, termios, time
host, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
s.settimeout(10)
s.connect((host, 80))
req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode()
t0 = time.time()
s.send(req[:8])
while time.time() - t0 < 5:  # unacknowledged bytes in the send queue
    if struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0] == 0:
        break
    time.sleep(0.005)
s.send(req[8:])
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print("%s|%.2f" % (data.split(b"\r\n", 1)[0].decode(errors="replace"), time.time() - t0))
PY
lost_preack() { # lost_preack PORT -> $out "STATUS|SECONDS"; fails unless exactly the pre-ACK was dropped
	_impair_install "$ns-a" eth0 preack ingress \
		"meta protocol ip tcp sport 80 tcp dport $1 tcp flags == ack ip length 52 limit rate 1/hour burst 1 packets counter drop" ||
		e2e_fail "nft rule dropping the pre-ACK"
	local dropped
	out=$(fs_ns_exec "$ns" a python3 "$run/nagle.py" "$b" /secret/nagle.html "$1")
	dropped=$(ip netns exec "$ns-a" nft list chain netdev "$IMPAIR_TABLE" preack_eth0 |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	ip netns exec "$ns-a" nft delete chain netdev "$IMPAIR_TABLE" preack_eth0
	[[ $dropped -eq 1 ]] || e2e_fail "lost pre-ACK: the rule dropped $dropped packets, want 1"
	[[ ${out%|*} == "HTTP/1.1 403 Forbidden" ]] || e2e_fail "lost pre-ACK: status line '${out%|*}'"
}
retried=0
lost_preack 40123
if ! awk -v t="${out#*|}" 'BEGIN {exit !(t < 1.8)}'; then
	echo "e2e_httpfilter: lost pre-ACK: first attempt answered after ${out#*|} s (nfsdk's release): again"
	retried=1
	lost_preack 40124
	awk -v t="${out#*|}" 'BEGIN {exit !(t < 1.8)}' ||
		e2e_fail "lost pre-ACK: answered after ${out#*|} s twice (the head waited for nfsdk's 2 s release)"
fi
echo "e2e_httpfilter: lost pre-ACK: sent again on the client's retransmission, 403 after ${out#*|} s"
# not HTTP on port 80: the --default action (close)
set +e
out=$(fs_ns_exec "$ns" a python3 -c "
import socket
s = socket.create_connection(('$b', 80), timeout=5)
s.sendall(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')
try:
    print(len(s.recv(100)))
except ConnectionResetError:
    print('reset')" 2>&1)
set -e
[[ $out == reset ]] || e2e_fail "non-HTTP bytes on port 80: '$out', want a reset"
echo "e2e_httpfilter: non-HTTP bytes on port 80 reset (--default close)"

# 6. a body that looks like a blocked request
printf 'GET /secret/x.html HTTP/1.1\r\nHost: www.blocked.test\r\n\r\n%.0s' $(seq 200) >"$run/body.txt"
code=$(curl_a -o /dev/null -w '%{http_code}' --data-binary @"$run/body.txt" "http://$b/small.txt?post=1") || true
[[ $code == 405 ]] || e2e_fail "POST with a request-like body: HTTP $code, want nginx's 405"
echo "e2e_httpfilter: POST whose body looks like blocked requests reached nginx (405)"

# 7. nginx's access log
sleep 0.5
for want in "GET /ok.bin" "GET /small.txt HTTP" "POST /small.txt?post=1"; do
	grep -qF "$want" "$run/nginx/access.log" || e2e_fail "access log lacks '$want'"
done
grep -q "GET /small.txt?midok=1 HTTP/1.1 200" "$run/nginx/access.log" || e2e_fail "long allowed head not served"
for bad in secret kill blockedhost keepalive splithost midhost bighost bigok nagle; do
	if grep -q "$bad" "$run/nginx/access.log"; then
		e2e_fail "nginx saw a blocked request ($bad): $(grep "$bad" "$run/nginx/access.log")"
	fi
done
echo "e2e_httpfilter: nginx's access log has the allowed requests, none of the blocked ones"
# every blocked connection was reset at nginx's end too (the 403's RST in place maps to nginx's
# next expected byte; a close is flowmgr's RST): nothing left established on port 80
for _ in $(seq 20); do
	est=$(ip netns exec "$ns-b" ss -Htn state established '( sport = :80 )' | wc -l)
	[[ $est -eq 0 ]] && break
	sleep 0.2
done
[[ $est -eq 0 ]] || e2e_fail "nginx still has $est connections: $(ip netns exec "$ns-b" ss -tn state established)"
echo "e2e_httpfilter: no connection left established at nginx"

# 8. counters
e2e_report "$hf_pid" "$run/report" none >/dev/null
r() { awk -v k="$1" '$1 == k {print $2}' "$run/report"; }
echo "e2e_httpfilter: httpfilter: requests $(r requests), allowed $(r allowed)," \
	"403 $(r blocked_403), close $(r blocked_close), split heads $(r split_heads)," \
	"rule hits $(r rule_1_hits)/$(r rule_2_hits)/$(r rule_3_hits), held packets $(r held_pkts)," \
	"pre-ACK requests $(r nfsdk_hold_preack_requests), heads released $(r held_released)," \
	"held packets of blocked heads $(r held_dropped), hold lapsed $(r hold_lapsed)"
[[ $(r blocked_403) -eq $((7 + retried)) ]] || e2e_fail "blocked_403 $(r blocked_403), want $((7 + retried))"
[[ $(r blocked_close) -eq 4 ]] || e2e_fail "blocked_close $(r blocked_close), want 4 (rule, --default x 3)"
[[ $(r rule_1_hits) -eq $((4 + retried)) && $(r rule_2_hits) -eq 1 && $(r rule_3_hits) -eq 3 ]] ||
	e2e_fail "rule hits $(r rule_1_hits)/$(r rule_2_hits)/$(r rule_3_hits), want 4/1/3"
[[ $(r split_heads) -ge 6 ]] || e2e_fail "split_heads $(r split_heads), want >= 6"
[[ $(r held_released) -ge 2 ]] || e2e_fail "held_released $(r held_released): the allowed split heads were not held"
[[ $(r held_pkts) -ge 80 ]] || e2e_fail "held_pkts $(r held_pkts), want >= 80"
[[ $(r nfsdk_hold_preack_requests) -ge 80 ]] ||
	e2e_fail "pro-active ACK requests $(r nfsdk_hold_preack_requests), want >= 80"
[[ $(r hold_overflow) -eq 2 ]] || e2e_fail "hold_overflow $(r hold_overflow), want 2"
[[ $(r hold_full) -eq 0 && $(r nfsdk_hold_full) -eq 0 ]] ||
	e2e_fail "hold store full: $(r hold_full) / $(r nfsdk_hold_full)"
[[ $(r default_actions) -eq 1 && $(r err_syntax) -eq 1 ]] ||
	e2e_fail "default actions $(r default_actions), syntax errors $(r err_syntax), want 1 and 1"
# flowmgr: pro-active ACKs for the held packets, RSTs of the closes (flowmgr's own counters)
tcpc=$("$bin/nfctl" -s "$sock" --json stats | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % (k, v) for k, v in c.items() if k.startswith("tcp_") and v))')
echo "e2e_httpfilter: flowmgr: $tcpc"
tc() { tr ' ' '\n' <<<"$tcpc" | awk -F= -v k="$1" '$1 == k {v = $2} END {print v + 0}'; }
[[ $(tc tcp_preacks_sent) -ge 80 ]] || e2e_fail "flowmgr sent $(tc tcp_preacks_sent) pro-active ACKs, want >= 80"
[[ $(tc tcp_close_rsts) -ge 8 ]] || e2e_fail "flowmgr sent $(tc tcp_close_rsts) close RSTs, want >= 8 (4 closes)"
[[ $(tc tcp_preacks_repeated) -ge 1 ]] || e2e_fail "flowmgr repeated no pre-ACK"
[[ $(r hold_lapsed) -eq $retried ]] || e2e_fail "hold_lapsed $(r hold_lapsed): nfsdk let held heads go"
[[ $(tc tcp_requests_bad) -eq 0 ]] || e2e_fail "flowmgr refused $(tc tcp_requests_bad) stream requests"
[[ $(wc -l <"$run/block.log") -eq 8 ]] || e2e_fail "block log: $(wc -l <"$run/block.log") lines, want 8"
if [[ $impair -eq 1 ]]; then # the impairments happened
	lost=$(impair_nft_count "$ns-a" loss eth0)
	dups=$(impair_nft_count "$ns-b" dup eth0)
	impair_bridge_stop >/dev/null 2>&1
	reord=$(($(impair_stat ab_reordered) + $(impair_stat ba_reordered)))
	echo "e2e_httpfilter: network: $reord reordered, $lost lost, $dups duplicated"
	[[ $reord -gt 0 && $lost -gt 0 && $dups -gt 0 ]] || e2e_fail "impairment: $reord reordered, $lost lost, $dups duplicated"
fi
echo "e2e_httpfilter: 1 passed, 0 failed"
