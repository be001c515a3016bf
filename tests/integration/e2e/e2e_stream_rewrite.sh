#!/usr/bin/env bash
# End to end: nfs/rewrite --http changes HTTP message bodies in the middle of real Linux
# connections; the HTTP context (nfsdk/http.h) fixes the framing and flowmgr's TCP context does the
# sequence/ack book-keeping (docs/streams.md). For each of
#   mask     every "ATTACK" becomes "XXXXXX"                   (same length)
#   remove   every "ATTACK" disappears                          (shorter)
#   replace  every "ATTACK" becomes a 60-byte string            (longer: segments are split)
# a 50 MB HTTP download (nginx serves a file with Content-Length; curl --compressed) and a 50 MB
# HTTP upload (curl -T: PUT with Content-Length and Expect: 100-continue, stored by nginx's dav
# module) of a payload with ~5000 planted "ATTACK"s: the body curl stored and the one nginx
# stored are compared byte for byte with the same transformation done offline (rw_offline). HEAD,
# GET and PUT share one keep-alive connection; a 1 MB HTTP/1.0 download follows (no chunked: it
# must come close-delimited when the size changes). The
# framing is checked too: curl saw Content-Length for mask and a chunked response for
# remove/replace, nginx got the upload with Content-Length (mask) or chunked, and nginx's log shows
# no Accept-Encoding (--strip-accept-encoding; the pass-through baseline shows curl's).
# Every run goes through the impaired network of e2e_stream_inorder.sh (fs_impair
# reordering both ways, 1% loss on host a's ingress, 1% duplication on host b's egress), and the
# connections must close cleanly (no connection reset: nstat TcpEstabResets unchanged on both hosts).
# rewrite's report must count the requests and responses seen, the re-framings and nothing
# malformed or unmatched. The retransmissions of both hosts (nstat TcpRetransSegs) are compared
# with the same transfers through flowmgr with a pass-through chain under the same impairment:
# E2E_ROUNDS rounds (default 3) of the baseline and each mode in turn, and each mode's median at
# most 2x (+ 20) the baseline's median (issue 7's bound; single runs vary too much for the
# baseline itself, docs/streams.md "Retransmissions").
#
# Environment: E2E_MODES (default "mask remove replace"), E2E_MB (50), E2E_IMPAIR (1; 0: no
# impairment), E2E_KEEP=1 keeps $run (nstat snapshots nstat-TAG-{0,1}, flowmgr counters
# stats-MODE.json), E2E_PCAP=1 also captures the TCP headers on both hosts (a-CHAIN-N.pcap,
# b-CHAIN-N.pcap, N counting the chains started: baseline 1, first mode 2, ...), E2E_ROUNDS (3), E2E_RETRANS_REPORT=1 only reports the retransmission bound.
# Transfers still running after 60 s leave both hosts' ss -tin
# and flowmgr's counters in stuck-TAG.log (shown if they fail).
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
# Server on host b: nginx (its own config, pid, logs and temp files in $run), serving down.bin with
# Content-Length and storing PUT bodies (dav) under /up/; gzip off. Its log records what the
# requests carried: Accept-Encoding, Transfer-Encoding and Content-Length.
mkdir -p "$run/www/up" "$run/nginx-tmp"
cp "$run/down.bin" "$run/www/down.bin"
head -c 1048576 "$run/down.bin" >"$run/www/small.bin"
cat >"$run/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/nginx-error.log info;
events { worker_connections 64; }
http {
    log_format fs '\$request_method \$uri \$status ae="\$http_accept_encoding"'
                  ' te="\$http_transfer_encoding" cl="\$http_content_length"'
                  ' c=\$connection r=\$connection_requests';
    access_log $run/nginx-access.log fs;
    client_body_temp_path $run/nginx-tmp/body;
    proxy_temp_path $run/nginx-tmp/proxy;
    fastcgi_temp_path $run/nginx-tmp/fastcgi;
    uwsgi_temp_path $run/nginx-tmp/uwsgi;
    scgi_temp_path $run/nginx-tmp/scgi;
    client_max_body_size 0;
    gzip off;
    default_type application/octet-stream;
    server {
        listen $b:8080;
        root $run/www;
        location /up/ { dav_methods PUT; create_full_put_path on; }
    }
}
EOF
ip netns exec "$ns-b" nginx -c "$run/nginx.conf" >"$run/nginx.out" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do
	ip netns exec "$ns-b" bash -c "echo >/dev/tcp/$b/8080" 2>/dev/null && break
	sleep 0.1
done
E2E_FAIL_FILES+=("$run/nginx-error.log")

nstat_get() { # nstat_get SIDE COUNTER — absolute value
	ip netns exec "$ns-$1" nstat -az "$2" | awk -v k="$2" '$1 == k {print $2}'
}
# Resets of established connections (TcpEstabResets: a connection was aborted). RSTs a host
# sends in answer to a stray segment of a connection already closed (a duplicate the network
# delayed past the close) are not counted: they abort nothing.
# Also, for the retransmission figures: the packets the 1% loss rule dropped on host a's ingress
# (each costs the download's sender a retransmission) and the duplicates host a received
# (TCPDSACKOldSent: data it already had).
counters() { # counters -> "retrans_a retrans_b resets_a resets_b lost_a dups_a"
	echo "$(nstat_get a TcpRetransSegs) $(nstat_get b TcpRetransSegs)" \
		"$(nstat_get a TcpEstabResets) $(nstat_get b TcpEstabResets)" \
		"$( ((impair)) && impair_nft_count "$ns-a" loss eth0 || echo 0)" \
		"$(nstat_get a TcpExtTCPDSACKOldSent)"
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
pcap_no=0
start() { # start CHAIN_FILE
	local n=${#pids[@]}
	e2e_flowmgr "$1"
	fm_pid=${pids[n]}
	: >"$run/tcp-progress.log"
	e2e_tcp_progress "$run/tcp-progress.log"
	if [[ ${E2E_PCAP:-0} -eq 1 ]]; then # diagnosis: TCP headers on both hosts, kept in $run
		local side
		pcap_no=$((pcap_no + 1))
		for side in a b; do
			ip netns exec "$ns-$side" tcpdump -i eth0 -s 100 \
				-w "$run/$side-$(basename "$1" .yaml)-$pcap_no.pcap" \
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
# Transfers still running after 60 s are stuck (they take a few seconds): their state then is kept
# for diagnosis (shown if they fail).
watchdog() { # watchdog TAG — in the background; its pid in $wd
	(sleep 60 && tcp_state "$run/stuck-$1.log") &
	wd=$!
	E2E_FAIL_FILES+=("$run/stuck-$1.log")
}
unwatch() {
	kill "$wd" 2>/dev/null || true
	wait "$wd" 2>/dev/null || true
}
transfer() { # transfer TAG -> $run/got-TAG.bin (+ headers), $run/www/up/TAG.bin, nginx log lines
	: >"$run/nginx-access.log"
	snap "$run/nstat-$1-0"
	watchdog "$1"
	# one keep-alive connection: HEAD (a Content-Length and no body), GET, PUT (Expect: 100-continue)
	ip netns exec "$ns-a" curl -sS --fail --max-time 180 -I -o "$run/head-$1.txt" \
		"http://$b:8080/down.bin" --next -sS --fail --max-time 180 --compressed \
		-D "$run/hdr-$1.txt" -o "$run/got-$1.bin" "http://$b:8080/down.bin" \
		--next -sS --fail --max-time 180 -T "$run/up.bin" -o /dev/null \
		"http://$b:8080/up/$1.bin" || e2e_fail "$1: HEAD, download or upload failed"
	# HTTP/1.0 (no chunked): 1 MB
	ip netns exec "$ns-a" curl -sS --fail --max-time 60 --http1.0 -D "$run/hdr10-$1.txt" \
		-o "$run/got10-$1.bin" "http://$b:8080/small.bin" || e2e_fail "$1: HTTP/1.0 download failed"
	unwatch
	snap "$run/nstat-$1-1"
	upfile="$run/www/up/$1.bin"
	sleep 0.5
	cp "$run/nginx-access.log" "$run/access-$1.log"
	# the first three on one connection, in order
	python3 - "$run/access-$1.log" <<'PY' || e2e_fail "$1: HEAD, GET, PUT not on one connection"
import re, sys
l = [re.search(r"^(\S+) .* c=(\d+) r=(\d+)$", x) for x in open(sys.argv[1])][:3]
assert [m.group(1) for m in l] == ["HEAD", "GET", "PUT"], l
assert len({m.group(2) for m in l}) == 1 and [m.group(3) for m in l] == ["1", "2", "3"], l
PY
}
# has_line FILE REGEX — grep -Eqi, for the framing checks
has_line() { grep -Eqi "$2" "$1"; }

# Baseline: a pass-through chain (no TCP context), same network.
chain "$run/fwd.yaml" forward ""
baseline_round() { # baseline_round R — appends its retransmissions to $run/rt-base
	local tag=base$1
	start "$run/fwd.yaml"
	read -r ra0 rb0 sa0 sb0 la0 da0 < <(counters)
	transfer "$tag"
	read -r ra1 rb1 sa1 sb1 la1 da1 < <(counters)
	stop
	cmp -s "$run/got-$tag.bin" "$run/down.bin" || e2e_fail "baseline download corrupt"
	cmp -s "$upfile" "$run/up.bin" || e2e_fail "baseline upload corrupt"
	cmp -s "$run/got10-$tag.bin" "$run/www/small.bin" || e2e_fail "baseline HTTP/1.0 download corrupt"
	# without the HTTP context nginx sees curl's Accept-Encoding (the check below can fail)
	has_line "$run/access-$tag.log" '^GET /down.bin 200 ae="[^"-]' ||
		e2e_fail "baseline: nginx did not log curl's Accept-Encoding"
	base_rt=$((ra1 - ra0 + rb1 - rb0))
	echo "$base_rt" >>"$run/rt-base"
	echo "e2e_stream_rewrite: round $1: baseline (pass-through chain): $((2 * mb)) MB byte-exact," \
		"$base_rt retransmissions ($((la1 - la0)) packets lost on a's ingress," \
		"$((da1 - da0)) duplicates received by a)"
}


long=$(printf 'L%.0s' $(seq 60))
mode_round() { # mode_round MODE R — appends its retransmissions to $run/rt-MODE
	local mode=$1 tag=$1$2
	case $mode in
	mask) args=(--mask ATTACK) ;;
	remove) args=(--remove ATTACK) ;;
	replace) args=(--replace "ATTACK=$long") ;;
	esac
	"$bin/rw_offline" "${args[@]}" <"$run/down.bin" >"$run/want-down.bin"
	"$bin/rw_offline" "${args[@]}" <"$run/up.bin" >"$run/want-up.bin"
	"$bin/rw_offline" "${args[@]}" <"$run/www/small.bin" >"$run/want-small.bin"
	chain "$run/$mode.yaml" rewrite "in_order, resize, bidir" "${args[@]}" --http \
		--strip-accept-encoding --report "$run/report-$mode"
	rm -f "$run/report-$mode"
	start "$run/$mode.yaml"
	read -r ra0 rb0 sa0 sb0 la0 da0 < <(counters)
	t0=$(date +%s.%N)
	transfer "$tag"
	t1=$(date +%s.%N)
	read -r ra1 rb1 sa1 sb1 la1 da1 < <(counters)
	"$bin/nfctl" -s "$sock" --json stats >"$run/stats-$tag.json"
	stop
	cmp -s "$run/got-$tag.bin" "$run/want-down.bin" ||
		e2e_fail "$mode: download differs from the offline transformation"
	cmp -s "$upfile" "$run/want-up.bin" ||
		e2e_fail "$mode: upload differs from the offline transformation"
	cmp -s "$run/got10-$tag.bin" "$run/want-small.bin" ||
		e2e_fail "$mode: HTTP/1.0 download differs from the offline transformation"
	# framing: what curl saw, what nginx got
	has_line "$run/head-$tag.txt" "^Content-Length: $(stat -c %s "$run/down.bin")" ||
		e2e_fail "$mode: the HEAD response lost its Content-Length"
	has_line "$run/access-$tag.log" '^GET /down.bin 200 ae="-"' ||
		e2e_fail "$mode: Accept-Encoding reached nginx: $(cat "$run/access-$tag.log")"
	if [[ $mode == mask ]]; then
		has_line "$run/hdr-$tag.txt" "^Content-Length: $(stat -c %s "$run/down.bin")" ||
			e2e_fail "$mode: the download lost its Content-Length"
		has_line "$run/access-$tag.log" "^PUT /up/$tag.bin 201 .* te=\"-\" cl=\"[0-9]+\"" ||
			e2e_fail "$mode: the upload did not keep its Content-Length"
		has_line "$run/hdr10-$tag.txt" '^Content-Length: 1048576' ||
			e2e_fail "$mode: the HTTP/1.0 download lost its Content-Length"
	else
		has_line "$run/hdr-$tag.txt" '^Transfer-Encoding: chunked' ||
			e2e_fail "$mode: the download is not chunked"
		! has_line "$run/hdr-$tag.txt" '^Content-Length' ||
			e2e_fail "$mode: the download kept a Content-Length"
		has_line "$run/access-$tag.log" "^PUT /up/$tag.bin 201 .* te=\"chunked\" cl=\"-\"" ||
			e2e_fail "$mode: the upload was not re-framed as chunked"
		if ! has_line "$run/hdr10-$tag.txt" '^Connection: close' ||
			has_line "$run/hdr10-$tag.txt" '^(Content-Length|Transfer-Encoding)'; then
			e2e_fail "$mode: the HTTP/1.0 download is not close-delimited"
		fi
	fi
	# the HTTP context's counters (rewrite's report, written when it exits): 4 requests (HEAD,
	# GET, PUT, the HTTP/1.0 GET) and 5 responses (one is the 100 Continue), nothing unmatched
	for _ in $(seq 50); do grep -q '^http_pass_bytes ' "$run/report-$mode" 2>/dev/null && break; sleep 0.1; done
	rep() { awk -v k="$1" '$1 == k {print $2}' "$run/report-$mode"; }
	want_re=$([[ $mode == mask ]] && echo 0 || echo 2)
	want_cf=$([[ $mode == mask ]] && echo 0 || echo 1)
	got="$(rep http_requests) $(rep http_responses) $(rep http_interim_responses)"
	got+=" $(rep http_accept_encoding_stripped) $(rep http_cl_to_chunked) $(rep http_close_fallback)"
	got+=" $(rep http_unmatched_responses) $(rep http_malformed) $(rep http_errors)"
	got+=" $(rep http_flush_lost) $(rep streams_bypassed)"
	[[ $got == "4 5 1 1 $want_re $want_cf 0 0 0 0 0" ]] ||
		e2e_fail "$mode: HTTP counters (requests responses interim ae_stripped cl_to_chunked" \
			"close_fallback unmatched malformed errors flush_lost bypassed): $got"
	rt=$((ra1 - ra0 + rb1 - rb0))
	rst=$((sa1 - sa0 + sb1 - sb0))
	python3 - "$run/stats-$tag.json" "$mode" "$rt" "$base_rt" "$rst" \
		"$(stat -c %s "$run/want-down.bin")" "$(python3 -c "print('%.1f' % ($t1 - $t0))")" "$2" \
		"$((la1 - la0))" "$((da1 - da0))" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
mode, rt, base, rst, size, secs, rnd = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
print("e2e_stream_rewrite: round %s: %s: HTTP download (%d bytes) and upload byte-exact in %s s; "
      "%d resized, %d split, %d held, %d replayed; retransmissions %d (baseline %d), RST %d"
      % (rnd, mode, size, secs, c.get("tcp_resized_segments", 0), c.get("tcp_split_segments", 0),
         c.get("tcp_held", 0), c.get("tcp_replayed", 0), rt, base, rst))
print("  %s packets lost on a's ingress, %s duplicates received by a" % (sys.argv[9], sys.argv[10]))
print("  " + " ".join("%s=%d" % (k, v) for k, v in sorted(c.items()) if k.startswith("tcp_") and v))
PY
	[[ $rst -eq 0 ]] || e2e_fail "$mode: $rst resets: the connections did not close cleanly"
	# A replay waits for what entered the chain before it, at most 200 ms (then it is dropped and
	# the sender retransmits): reported, not failed — a VNF descheduled that long on a loaded
	# machine makes it happen once in a few runs (the transfer is still checked byte for byte).
	expired=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["counters"].get("tcp_replay_expired", 0))' "$run/stats-$tag.json")
	[[ $expired -eq 0 ]] || echo "e2e_stream_rewrite: $mode: $expired replays expired waiting for the chain"
	echo "$rt" >>"$run/rt-$mode"
}

# Rounds: the baseline and each mode in turn, E2E_ROUNDS times (default 3), every transfer checked
# byte for byte. Retransmission counts under this impairment vary a lot from one run to the next
# for the baseline too (bursts of hundreds within 20 ms, docs/streams.md "Retransmissions"), so
# issue 7's bound compares medians over the rounds: each mode's median at most 2x (+ 20) the
# baseline's median. E2E_RETRANS_REPORT=1 only reports it.
for r in $(seq "${E2E_ROUNDS:-3}"); do
	baseline_round "$r"
	for mode in ${E2E_MODES:-mask remove replace}; do mode_round "$mode" "$r"; done
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
base_med=$(median "$run/rt-base")
for mode in ${E2E_MODES:-mask remove replace}; do
	med=$(median "$run/rt-$mode")
	echo "e2e_stream_rewrite: $mode: retransmissions per round $(paste -sd/ "$run/rt-$mode")," \
		"median $med; baseline $(paste -sd/ "$run/rt-base"), median $base_med" \
		"($(python3 -c "print('%.2f' % ($med / max($base_med, 1)))")x)"
	if [[ $med -gt $((2 * base_med + 20)) ]]; then
		[[ ${E2E_RETRANS_REPORT:-0} -eq 1 ]] ||
			e2e_fail "$mode: median $med retransmissions, more than 2x the baseline's $base_med"
		echo "e2e_stream_rewrite: $mode: NOT MET (E2E_RETRANS_REPORT=1)"
	fi
done
echo "e2e_stream_rewrite: 1 passed, 0 failed"
