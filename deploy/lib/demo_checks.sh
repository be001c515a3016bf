# shellcheck shell=bash disable=SC2154 # topo_* and the caller's variables
# deploy/lib/demo_checks.sh — the traffic, checks, views and summary of deploy/demo.sh, on the
# topology of deploy/lib/topo.sh. Uses the caller's $bin, $sock, $ns, $top and `nfctl`.
#
# Every check appends one line "NAME<TAB>ok|FAILED<TAB>DETAIL" to RUN/checks.tsv; the summary
# (RUN/summary.json) is made from it, from the clients' curl reports (RUN/curlK.txt), from the
# samples taken while the traffic ran (RUN/samples.csv: seconds, Mbit/s, request latency in ms,
# downloads done) and from `nfctl --json stats` right after the traffic (RUN/stats.json). VNF
# counters come from nfctl only (stats, cmd), never from the VNFs' report files; the ids alerts
# are the ids' standard output (flowmgr's log, since flowmgr launched it).

# demo_check_result NAME ok|FAILED DETAIL — records a check and prints it.
demo_check_result() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$run/checks.tsv"
	printf 'check %-10s %s  %s\n' "$1" "$2" "$3"
}

# demo_files WWW SIZE_MB — the served files: blob.bin (random), page.html (text carrying the word
# the rewrite VNF replaces).
demo_files() {
	local www=$1
	mkdir -p "$www"
	head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$www/blob.bin"
	{
		echo "<html><body><h1>A page about middleboxes</h1>"
		for i in $(seq 200); do
			echo "<p>Line $i: MiddleClick runs stateful network functions as one chain.</p>"
		done
		echo "</body></html>"
	} >"$www/page.html"
}

# _demo_curl_a SRC CURL_ARGS... — curl on host a from address SRC.
_demo_curl_a() {
	local src=$1
	shift
	ip netns exec "$ns-a" curl -sS --interface "$src" "$@"
}

# demo_warmup RUN — one successful download per backend (the LB and the NAT resolve their
# neighbours on the first sessions); fails after 10 tries of one of them.
demo_warmup() {
	local run=$1 n=${#topo_backends[@]} i ok
	[[ $n -gt 0 ]] || n=1
	[[ -n $topo_url ]] || n=0
	for ((i = 0; i < n; i++)); do
		ok=0
		for _ in $(seq 10); do
			if _demo_curl_a "${topo_clients[0]}" --fail --max-time 5 -o "$run/warm.bin" \
				"$topo_url/blob.bin?warm=$i" 2>/dev/null; then
				ok=1
				break
			fi
			sleep 0.3
		done
		[[ $ok -eq 1 ]] || { echo "demo: warm-up download $i failed" >&2; return 1; }
	done
	echo "warm-up: $n download(s) through the chain"
}

# demo_sampler RUN TOTAL — in the background, inside host a: every 0.25 s, the throughput
# flowmgr's ports sent (nfctl reaches flowmgr's socket from any namespace), the latency of a
# request through the chain (a small HTTP download with curl from the first client: connection,
# request and response through every VNF; or, without topo_url, one UDP echo) and the downloads
# done, into RUN/samples.csv, and a progress line on standard error, until RUN/stop exists.
# Returns once the first sample is written.
demo_sampler() {
	echo "probe" >"$run/www/small.txt"
	ip netns exec "$ns-a" python3 - "$run" "$2" "$bin/nfctl" "$sock" "${topo_clients[0]}" \
		"${topo_url:+$topo_url/small.txt?probe}" "$topo_udp_echo" <<'PY' &
import glob, json, os, socket, subprocess, sys, time
run, total, nfctl, sock, src, url, echo = sys.argv[1:8]
tty = sys.stderr.isatty()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((src, 0))
udp.settimeout(1)
def tx_bytes():
    try:
        out = subprocess.run([nfctl, "-s", sock, "--json", "stats"], capture_output=True,
                             timeout=2).stdout
        return sum(p["tx_bytes"] for p in json.loads(out)["ports"])
    except Exception:
        return None
def latency_ms():
    try:
        if not url:
            t = time.time()
            udp.sendto(b"probe", (echo.split(":")[0], int(echo.split(":")[1])))
            udp.recv(2048)
            return (time.time() - t) * 1000
        r = subprocess.run(["curl", "-s", "--fail", "--max-time", "1", "--interface", src,
                            "-o", "/dev/null", "-w", "%{time_total}", url],
                           capture_output=True, text=True, timeout=2)
        return float(r.stdout) * 1000 if r.returncode == 0 else None
    except Exception:
        return None
t0, last_t, last_b, n = time.time(), time.time(), tx_bytes(), 0
with open(run + "/samples.csv", "w") as f:
    f.write("# seconds mbit_s latency_ms done\n")
    while not os.path.exists(run + "/stop"):
        if n:
            time.sleep(0.25)
        now, b, lat = time.time(), tx_bytes(), latency_ms()
        done = sum(sum(1 for _ in open(p)) for p in glob.glob(run + "/curl*.txt"))
        mbit = 0
        if b is not None and last_b is not None:
            mbit = (b - last_b) * 8 / (now - last_t) / 1e6
        last_t, last_b, n = now, b, n + 1
        f.write("%.2f %.1f %s %d\n" % (now - t0, mbit, "%.3f" % lat if lat is not None else "NaN",
                                       done))
        f.flush()
        line = "  %5.1f s  downloads %d/%s  %7.1f Mbit/s  latency %s" % (
            now - t0, done, total, mbit, "%.1f ms" % lat if lat is not None else "failed")
        if tty:
            sys.stderr.write("\r" + line + "   ")
        elif n % 8 == 1:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
if tty:
    sys.stderr.write("\n")
PY
	echo "$!" >"$run/sampler.pid"
	pids+=("$(cat "$run/sampler.pid")")
	for _ in $(seq 50); do
		[[ -f $run/samples.csv && $(wc -l <"$run/samples.csv") -ge 2 ]] && break
		sleep 0.1
	done
}

# demo_traffic_run RUN SIZE_MB PER_CLIENT — every client downloads PER_CLIENT copies of blob.bin,
# two at a time, the clients starting 0.5 s apart (the throughput climbs as they join); then the
# page for the rewrite check and the request the ids alerts on. Writes the
# start and end times to RUN/times.
demo_traffic_run() {
	local run=$1 per=$3 k i args cpids=() rc=0
	mkdir -p "$run/dl"
	[[ -n $topo_url ]] || per=0
	demo_sampler "$run" $((${#topo_clients[@]} * per))
	date +%s.%N >"$run/times"
	for k in "${!topo_clients[@]}"; do
		[[ $per -gt 0 ]] || break
		args=()
		for ((i = 0; i < per; i++)); do
			args+=(-o "$run/dl/c${k}_$i.bin" "$topo_url/blob.bin?c=$k&n=$i")
		done
		[[ $k -eq 0 ]] || sleep 0.5
		# One TCP connection per download (no keep-alive): the LB balances connections.
		_demo_curl_a "${topo_clients[k]}" --fail --max-time 120 --parallel --parallel-max 2 \
			--parallel-immediate -H 'Connection: close' -w '%{http_code} %{size_download} %{time_total} %{local_ip} %{local_port}\n' \
			"${args[@]}" >"$run/curl$k.txt" 2>"$run/curl$k.err" &
		cpids+=("$!")
	done
	for k in "${cpids[@]}"; do wait "$k" || rc=1; done
	date +%s.%N >>"$run/times"
	if [[ " ${topo_checks[*]} " == *" rewrite "* ]]; then
		_demo_curl_a "${topo_clients[0]}" --fail --max-time 10 -o "$run/page.got" \
			"$topo_url/page.html" || rc=1
	fi
	if [[ " ${topo_checks[*]} " == *" ids "* ]]; then
		# A 404 from the backend: what matters is that the request crossed the ids.
		_demo_curl_a "${topo_clients[1 % ${#topo_clients[@]}]}" --max-time 10 --path-as-is \
			-o /dev/null "$topo_url/cgi-bin/../../etc/passwd" || rc=1
	fi
	[[ -z $topo_udp_echo ]] || demo_udp_echo "$run" || rc=1
	sleep 1
	: >"$run/stop"
	wait "$(cat "$run/sampler.pid")" 2>/dev/null || true
	nfctl --json stats >"$run/stats.json"
	[[ " ${topo_checks[*]} " != *" nat "* ]] || nfctl cmd nat mappings >"$run/nat.txt" || true
	[[ ${#topo_backends[@]} -eq 0 ]] || nfctl cmd lb backends >"$run/lb.txt" || true
	[[ $rc -eq 0 ]] || cat "$run"/curl*.err >&2
	return 0
}

# demo_udp_echo RUN — 20 datagrams from the first client to topo_udp_echo, counting the echoes
# into RUN/udp.got.
demo_udp_echo() {
	ip netns exec "$ns-a" python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('${topo_clients[0]}', 0))
s.settimeout(1)
got = 0
for i in range(20):
    s.sendto(b'q%d' % i * 50, ('${topo_udp_echo%:*}', ${topo_udp_echo#*:}))
    try:
        got += s.recv(2048) == b'q%d' % i * 50
    except socket.timeout:
        pass
open('$1/udp.got', 'w').write(str(got))"
}

# demo_ipfix_records RUN — flowmon's IPFIX records decoded by tshark, one per line:
# "SRC:SPORT -> DST:DPORT proto P packets N octets N" (RUN/ipfix.txt).
demo_ipfix_records() {
	tshark -r "$1/ipfix.pcap" -d "udp.port==${topo_ipfix#*:},cflow" -Y cflow.srcaddr -T fields \
		-E separator=' ' -E occurrence=a -E aggregator=, -e cflow.srcaddr -e cflow.dstaddr \
		-e cflow.srcport -e cflow.dstport -e cflow.protocol -e cflow.packets -e cflow.octets \
		2>/dev/null | awk '{n = split($1, s, ","); split($2, d, ","); split($3, sp, ",");
		split($4, dp, ","); split($5, p, ","); split($6, k, ","); split($7, o, ",");
		for (i = 1; i <= n; i++) printf "%s:%s -> %s:%s proto %s packets %s octets %s\n",
			s[i], sp[i], d[i], dp[i], p[i], k[i], o[i]}' >"$1/ipfix.txt"
}

# demo_checks_run RUN SIZE_MB — every check of this chain (topo_checks), then the companion's.
demo_checks_run() {
	local run=$1 want ok=0 total bad n line i
	: >"$run/checks.tsv"
	want=$(sha256sum <"$run/www/blob.bin" | cut -d' ' -f1)
	total=$(find "$run/dl" -name '*.bin' | wc -l)
	for f in "$run"/dl/*.bin; do
		if [[ -f $f && $(sha256sum <"$f" | cut -d' ' -f1) == "$want" ]]; then ok=$((ok + 1)); fi
	done
	n=$({ cat "$run"/curl[0-9]*.txt 2>/dev/null || true; } | wc -l)
	if [[ -z $topo_url ]]; then
		: # no downloads in this topology
	elif [[ $ok -eq $total && $n -eq $total && $total -gt 0 ]]; then
		demo_check_result downloads ok "$ok of $n downloads of $2 MB byte-exact (sha256)"
	else
		demo_check_result downloads FAILED "$ok of $n downloads byte-exact ($total files)"
	fi
	_demo_check_users "$run"
	_demo_check_xdp "$run"
	for c in "${topo_checks[@]}"; do "_demo_check_$c" "$run"; done
	if declare -F demo_check >/dev/null; then demo_check "$run"; fi
	return 0
}

# Least privilege (docs/security.md): flowmgr and every VNF run as the service user
# (FS_SERVICE_USER, default flowsplice), not root. Shows their `ps` lines (RUN/ps.txt).
_demo_check_users() {
	local run=$1 user=${FS_SERVICE_USER:-flowsplice} pids wrong=() p u
	mapfile -t pids < <({
		nfctl --json status
		nfctl --json vnfs
	} | python3 -c '
import json, sys
dec = json.JSONDecoder()
text = sys.stdin.read()
objs, i = [], 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    objs.append(obj)
# flowmgr first (status: its pid), then each VNF once
pids = [o["pid"] for o in objs if "uptime_ms" in o]
for o in objs:
    pids += [v["pid"] for v in o.get("vnfs", []) if v.get("pid", 0) > 0]
print("\n".join(str(p) for p in dict.fromkeys(pids)))')
	ps -o user:12,pid,ppid,args -p "$(
		IFS=,
		echo "${pids[*]}"
	)" | cut -c1-150 | tee "$run/ps.txt"
	for p in "${pids[@]}"; do
		u=$(ps -o user= -p "$p" | tr -d ' ')
		[[ $u == "$user" ]] || wrong+=("pid $p runs as ${u:-?}")
	done
	if [[ ${#pids[@]} -ge 2 && ${#wrong[@]} -eq 0 ]]; then
		demo_check_result service_user ok "flowmgr and its $((${#pids[@]} - 1)) VNF(s) run as $user (ps)"
	else
		demo_check_result service_user FAILED "not all as $user: ${wrong[*]:-no processes found}"
	fi
}

# XDP offload (ports with `xdp: offload`, docs/offload.md "XDP"): flowmgr's program is on the
# ports (nfctl offload: "program N on IFACE (bpf_link)"), it saw the traffic (frames handed to
# user space, RUN/stats.json right after the traffic), every frame the worker received from it
# carried its metadata and no metadata write failed; the worker cannot have received more than
# the program handed up. RUN/xdp.txt: the XDP counters and ports (demo_show). No check when no
# port has the offload (e.g. --ports af_packet).
_demo_check_xdp() {
	local run=$1 detail
	nfctl offload 2>/dev/null | grep -E '^port .*: program .*bpf_link' >"$run/xdp_ports.txt" || true
	[[ -s $run/xdp_ports.txt ]] || return 0
	if detail=$(python3 - "$run/stats.json" "$(wc -l <"$run/xdp_ports.txt")" "$run/xdp.txt" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
x = {k: v for k, v in c.items() if k.startswith("xdp_")}
with open(sys.argv[3], "w") as f:
    for k, v in x.items():
        f.write("%s %d\n" % (k, v))
up = c["xdp_user_classified"] + c["xdp_user_unclassified"]
seen = c["xdp_meta_class"] + c["xdp_meta_none"]
print("%s port(s): %d frames to user space (%d classified in the kernel, %d not), %d dropped, "
      "%d redirected in the kernel; the worker read the class of %d, metadata missing %d, "
      "failed %d" % (sys.argv[2], up, c["xdp_user_classified"], c["xdp_user_unclassified"],
                     c["xdp_drop"], c["xdp_redirect"], seen, c["xdp_meta_missing"],
                     c["xdp_meta_failed"]))
ok = up > 0 and 0 < seen <= up and c["xdp_meta_missing"] == 0 and c["xdp_meta_failed"] == 0
sys.exit(0 if ok else 1)
PY
	); then
		demo_check_result xdp ok "$detail"
	else
		demo_check_result xdp FAILED "${detail:-no XDP counters in nfctl stats}"
	fi
}

# Round robin: each backend served its share of the HTTP requests through the VIP (downloads,
# warm-ups, latency probes), +-1.
_demo_check_spread() {
	local run=$1 nb=${#topo_backends[@]} total=0 lo hi counts=() bad=0 i n
	for i in "${topo_backends[@]}"; do
		n=$(topo_served "$run" "$i" 'GET ')
		counts+=("${topo_web[i]}=$n")
		total=$((total + n))
	done
	lo=$((total / nb - 1))
	hi=$(((total + nb - 1) / nb + 1))
	for i in "${topo_backends[@]}"; do
		n=$(topo_served "$run" "$i" 'GET ')
		[[ $n -ge $lo && $n -le $hi ]] || bad=1
	done
	if [[ $bad -eq 0 && $total -gt 0 ]]; then
		demo_check_result spread ok "lb spread $total HTTP requests: ${counts[*]}"
	else
		demo_check_result spread FAILED "uneven: ${counts[*]}"
	fi
}

# The NAT held a mapping per live session right after the traffic.
_demo_check_nat() {
	local n
	n=$(grep -c . "$1/nat.txt" 2>/dev/null || true)
	if [[ $n -gt 0 ]] && ! grep -q "no mappings" "$1/nat.txt"; then
		demo_check_result nat ok "$n NAT mappings right after the traffic (nfctl cmd nat mappings)"
	else
		demo_check_result nat FAILED "no NAT mapping: $(cat "$1/nat.txt" 2>/dev/null)"
	fi
}

# flowmon exported its records once the sessions timed out (a few seconds after the traffic):
# one per direction of every TCP connection of the downloads (curl reuses a connection for
# several downloads: counted by local address and port), or with topo_ipfix_flows=udp (flowmon
# sees only the UDP echo's requests) one record of the 20 requests to topo_udp_echo.
_demo_check_ipfix() {
	local run=$1 n=0 want got=0 what
	if [[ ${topo_ipfix_flows:-tcp} == udp ]]; then
		want=20
		what="packets to $topo_udp_echo"
	else
		want=$((2 * $(awk '{print $4, $5}' "$run"/curl[0-9]*.txt | sort -u | wc -l)))
		what="TCP records (2 per connection of the downloads: $((want / 2)))"
	fi
	for i in $(seq 60); do
		demo_ipfix_records "$run"
		if [[ ${topo_ipfix_flows:-tcp} == udp ]]; then
			got=$(awk -v d="$topo_udp_echo" '$2 == "->" && $3 == d && $5 == 17 {s += $7}
				END {print s + 0}' "$run/ipfix.txt")
		else
			got=$(grep -c "proto 6 " "$run/ipfix.txt" || true)
		fi
		[[ $got -ge $want ]] && break
		sleep 0.5
	done
	n=$(wc -l <"$run/ipfix.txt")
	if [[ $got -ge $want ]]; then
		demo_check_result ipfix ok "$n IPFIX records from flowmon decoded by tshark: $got $what"
	else
		demo_check_result ipfix FAILED "$n IPFIX records: $got $what, want $want"
	fi
}

# The ids alerted on the request for /etc/passwd (its alert lines go to flowmgr's log).
_demo_check_ids() {
	local line=
	for _ in $(seq 20); do
		line=$(grep -m1 'sid=1001 ' "$1/flowmgr.log" || true)
		[[ -n $line ]] && break
		sleep 0.1
	done
	if [[ -n $line ]]; then
		demo_check_result ids ok "alert: ${line#* }"
	else
		demo_check_result ids FAILED "no ids alert for the /etc/passwd request"
	fi
}

# The page arrived with every "MiddleClick" rewritten to "FlowSplice".
_demo_check_rewrite() {
	local run=$1 n
	sed 's/MiddleClick/FlowSplice/g' "$run/www/page.html" >"$run/page.want"
	n=$(grep -o FlowSplice "$run/page.got" 2>/dev/null | wc -l)
	if cmp -s "$run/page.want" "$run/page.got"; then
		demo_check_result rewrite ok "$n words rewritten in page.html: $(sed -n 2p "$run/page.got")"
	else
		demo_check_result rewrite FAILED "page.html is not the rewritten page ($n FlowSplice)"
	fi
}

# UDP request/response through the chain; behind a NAT, the server saw the public address.
_demo_check_udp_echo() {
	local got peers
	got=$(cat "$1/udp.got" 2>/dev/null || echo 0)
	peers=$(cut -d: -f1 "$1/udp_peers.txt" | sort -u | tr '\n' ' ')
	if [[ $got -ge 18 ]]; then
		demo_check_result udp_echo ok "$got/20 UDP echoes to $topo_udp_echo (server saw ${peers% })"
	else
		demo_check_result udp_echo FAILED "$got/20 UDP echoes to $topo_udp_echo"
	fi
}

# demo_show RUN — what the VNFs did, from nfctl and the checks' evidence.
demo_show() {
	local run=$1
	if [[ -s $run/xdp.txt ]]; then
		say "XDP offload: flowmgr's program on the af_xdp ports (nfctl offload; nfctl stats xdp_*)"
		cat "$run/xdp_ports.txt"
		column -c 100 "$run/xdp.txt"
	fi
	if [[ -s $run/lb.txt ]]; then
		say "LB spread (nfctl cmd lb backends)"
		cat "$run/lb.txt"
	fi
	if [[ -s $run/nat.txt ]]; then
		say "NAT mappings right after the traffic (nfctl cmd nat mappings, first 8)"
		head -n 8 "$run/nat.txt"
	fi
	if [[ -s $run/ipfix.txt ]]; then
		say "IPFIX records decoded (tshark; $(wc -l <"$run/ipfix.txt") records, first 8)"
		head -n 8 "$run/ipfix.txt"
	fi
	if grep -q 'sid=' "$run/flowmgr.log"; then
		say "ids alerts"
		grep 'sid=' "$run/flowmgr.log" | head -n 4
	fi
	if [[ -s $run/page.got ]]; then
		say "the received page.html (the backend sent \"MiddleClick\", rewrite made it \"FlowSplice\")"
		sed -n 2,3p "$run/page.got"
	fi
}

# demo_summary RUN CHAIN_NAME — the summary as JSON (see the top of this file for the sources).
demo_summary() {
	python3 - "$1" "$2" "${demo_plot_file:-}" <<'PY'
import glob, json, statistics, sys
run, name, plot = sys.argv[1:4]
t0, t1 = (float(x) for x in open(run + "/times").read().split()[:2])
codes, nbytes = [], 0
for f in sorted(glob.glob(run + "/curl[0-9]*.txt")):
    for line in open(f):
        code, size = line.split()[:2]
        codes.append(code)
        nbytes += int(float(size))
checks = {}
for line in open(run + "/checks.tsv"):
    c, res, detail = line.rstrip("\n").split("\t", 2)
    checks[c] = {"ok": res == "ok", "detail": detail}
lat = []
for line in open(run + "/samples.csv"):
    if not line.startswith("#") and line.split()[2] != "NaN":
        lat.append(float(line.split()[2]))
st = json.load(open(run + "/stats.json"))
secs = max(t1 - t0, 1e-6)
print(json.dumps({
    "chain": name,
    "ok": all(c["ok"] for c in checks.values()),
    "downloads": {"done": sum(c == "200" for c in codes), "total": len(codes), "bytes": nbytes,
                  "seconds": round(secs, 2), "mbit_s": round(nbytes * 8 / secs / 1e6, 1)},
    "http_latency_ms": {"samples": len(lat),
                        "median": round(statistics.median(lat), 2) if lat else None,
                        "max": round(max(lat), 2) if lat else None},
    "checks": checks,
    "vnfs": [{k: v.get(k) for k in ("name", "state", "rx_pkts", "tx_pkts", "drop_pkts")}
             for v in st["vnfs"]],
    "ports": [{k: p.get(k) for k in ("name", "rx_pkts", "tx_pkts", "rx_bytes", "tx_bytes")}
              for p in st["ports"]],
    "plot": plot or None,
}, indent=2))
PY
}

# demo_table SUMMARY_JSON — the summary as a short table.
demo_table() {
	python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
d, r = s["downloads"], s["http_latency_ms"]
print("  %-10s %s" % ("chain", s["chain"]))
if d["total"]:
    print("  %-10s %d/%d, %.1f MB in %.2f s = %.1f Mbit/s" % ("downloads", d["done"], d["total"],
          d["bytes"] / 2**20, d["seconds"], d["mbit_s"]))
if r["samples"]:
    print("  %-10s median %.1f ms, max %.1f ms (%d requests through the chain during the run)"
          % ("latency", r["median"], r["max"], r["samples"]))
print("  %-10s %s" % ("VNF", "     rx_pkts     tx_pkts   drop_pkts"))
for v in s["vnfs"]:
    print("  %-10s %12d %11d %11d" % (v["name"], v["rx_pkts"], v["tx_pkts"], v["drop_pkts"]))
print("  %-10s %s" % ("checks", ", ".join("%s %s" % (k, "ok" if c["ok"] else "FAILED")
                                          for k, c in s["checks"].items())))
if s["plot"]:
    print("  %-10s %s" % ("plot", s["plot"]))
PY
}

# demo_all_passed SUMMARY_JSON — prints the verdict; non-zero if a check failed.
demo_all_passed() {
	if python3 -c 'import json, sys; sys.exit(not json.load(open(sys.argv[1]))["ok"])' "$1"; then
		echo
		echo "demo: OK: every check passed"
	else
		echo "demo: FAILED: $(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(", ".join(k for k, c in s["checks"].items() if not c["ok"]))' "$1")" >&2
		return 1
	fi
}

# demo_plot RUN FILE — throughput and request latency over the run (RUN/samples.csv), an SVG.
demo_plot() {
	gnuplot <<GP
set terminal svg size 900,500 dynamic background rgb 'white'
set output '$2'
set title "FlowSplice demo: $name"
set xlabel 'seconds'
set ylabel 'Mbit/s (sent by flowmgr)'
set y2label 'HTTP request latency through the chain (ms)'
set ytics nomirror
set y2tics
set grid
set datafile missing 'NaN'
plot '$1/samples.csv' using 1:2 with lines lw 2 title 'throughput', \
     '' using 1:3 axes x1y2 with linespoints pt 7 ps 0.4 title 'latency'
GP
	demo_plot_file=$2
	echo "plot: $2 (throughput and latency over the run)"
}

# demo_leftovers NS PREFIX PID... — what a demo run left behind, on one line (empty: nothing):
# its namespaces, veths, processes (those given and any with PREFIX on their command line),
# hugepage files, DPDK runtime directory, XDP programs on its veths.
demo_leftovers() {
	local ns=$1 prefix=$2 left=() p
	shift 2
	for p in "$ns-a" "$ns-b"; do [[ ! -e /run/netns/$p ]] || left+=("netns $p"); done
	for p in "$ns-pa" "$ns-pb"; do
		if ip link show dev "$p" >/dev/null 2>&1; then
			left+=("link $p")
			ip link show dev "$p" | grep -q xdp && left+=("xdp on $p")
		fi
	done
	for p in "$@"; do _fs_pid_alive "$p" && left+=("pid $p"); done
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} != "$$" ]] || continue
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "--file-prefix $prefix " &&
			_fs_pid_alive "${p#/proc/}" && left+=("pid ${p#/proc/}")
	done
	compgen -G "/dev/hugepages/${prefix}map_*" >/dev/null && left+=("hugepage files ${prefix}map_*")
	compgen -G "/dev/hugepages/*/${prefix}map_*" >/dev/null && left+=("hugepage files */${prefix}map_*")
	[[ ! -e /var/run/dpdk/$prefix ]] || left+=("/var/run/dpdk/$prefix")
	echo "${left[*]}"
}
