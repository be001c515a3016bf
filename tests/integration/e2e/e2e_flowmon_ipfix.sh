#!/usr/bin/env bash
# End to end: the flowmon VNF exports IPFIX (RFC 7011) records that a real decoder (tshark) reads,
# for real Linux TCP and UDP sessions between two hosts in network namespaces.
#   * chain: input -> flowmon -> output (ARP straight to output), 5tuple sessions, idle timeout
#     1 s, active timeout 2 s; the collector is a UDP socket on 127.0.0.1:4739 in the root
#     namespace that writes each datagram it receives into a pcap file, decoded by tshark;
#   * traffic: 3 curl downloads of 1 MB, one throttled download lasting > 2 s, a UDP exchange;
#   * checks, once every session has been released:
#     - the packet counts of all records add up to flowmon's rx counter (nfctl --json vnfs);
#     - bytes, exactly: every IPv4 packet between the hosts crosses flowmon, so the octets of the
#       records towards a host equal the IP octets that host's kernel received (IpExt InOctets in
#       /proc/net/netstat of its namespace, which also counts IP headers, as octetDeltaCount
#       does), and the same for packets (Ip InReceives);
#     - each curl download's server->client record(s) carry at least curl's size_download +
#       size_header octets;
#     - the throttled download has an active-timeout record (flowEndReason 2), and every session
#       ends with an idle-timeout record (flowEndReason 1).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
"$top/deploy/hugepages.sh" >/dev/null

ns=fsm
prefix=fsm$$
run=$(mktemp -d /tmp/fsm.XXXXXX)
sock=$run/fm.sock
collector=127.0.0.1:4739
pids=()
fail() {
	echo "e2e_flowmon_ipfix: FAILED: $*" >&2
	sed -n '1,100p' "$run/flowmgr.log" >&2 || true
	tail -n 5 "$run/tshark.err" "$run/collector.log" >&2 2>/dev/null || true
	echo "e2e_flowmon_ipfix: 0 passed, 1 failed"
	exit 1
}
cleanup() {
	set +e
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 5; done
	fs_ns_destroy "$ns"
	fs_cleanup_dpdk "$prefix"
	rm -rf "$run"
}
trap cleanup EXIT

# ip_counters SIDE — "InReceives InOctets" of host SIDE's IPv4 stack.
ip_counters() {
	# shellcheck disable=SC2016
	fs_ns_exec "$ns" "$1" awk '
		/^Ip: / && !ip { for (i = 2; i <= NF; i++) h[i] = $i; ip = 1; next }
		/^Ip: / { for (i = 2; i <= NF; i++) if (h[i] == "InReceives") r = $i }
		/^IpExt: / && !ext { for (i = 2; i <= NF; i++) g[i] = $i; ext = 1; next }
		/^IpExt: / { for (i = 2; i <= NF; i++) if (g[i] == "InOctets") o = $i }
		END { print r, o }' /proc/net/snmp /proc/net/netstat
}

# The collector (ipfix_collector.py): each datagram into a pcap that tshark decodes.
python3 "$(dirname "$0")/ipfix_collector.py" "$collector" "$run/ipfix.pcap" >"$run/collector.log" 2>&1 &
pids+=("$!")

fs_ns_create "$ns"
a=$(fs_ns_ip a)
b=$(fs_ns_ip b)
read -r a_pkts0 a_oct0 < <(ip_counters a)
read -r b_pkts0 b_oct0 < <(ip_counters b)

cat >"$run/chain.yaml" <<YAML
name: flowmon-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - {name: flowmon, exec: flowmon, args: ["--collector", "$collector", "--active-timeout-ms", "2000", "--domain", "7"], class: "ip", session: "5tuple", scratchpad: 96, timeout_ms: 1000}
graph:
  input:
    - {match: "arp", to: output}
    - flowmon
  flowmon: [output]
YAML
"$bin/flowmgr" -c "$run/chain.yaml" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
	--lcores 0@0,1@1 >"$run/flowmgr.log" 2>&1 &
pids+=("$!")
up=0
for _ in $(seq 100); do
	up=$("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null |
		python3 -c 'import json,sys; print(sum(v["state"]=="running" for v in json.load(sys.stdin)["vnfs"]))' \
			2>/dev/null || echo 0)
	[[ $up -eq 1 ]] && break
	sleep 0.1
done
[[ $up -eq 1 ]] || fail "flowmon did not attach"

mkdir -p "$run/www"
head -c $((1024 * 1024)) /dev/urandom >"$run/www/blob.bin"
ip netns exec "$ns-b" python3 -m http.server 80 --bind "$b" --directory "$run/www" \
	>"$run/http.log" 2>&1 &
pids+=("$!")
cat >"$run/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6970))
s.settimeout(30)
try:
    while True:
        d, peer = s.recvfrom(2048)
        s.sendto(d, peer)
except socket.timeout:
    pass
PY
ip netns exec "$ns-b" python3 "$run/udp_echo.py" "$b" &
pids+=("$!")
sleep 1

# Downloads: curl prints "local_port size_download size_header" for each.
: >"$run/curl.txt"
fetch() {
	fs_ns_exec "$ns" a curl -sS --fail --max-time 30 "$@" -o "$run/got.bin" \
		-w '%{local_port} %{size_download} %{size_header}\n' "http://$b/blob.bin" >>"$run/curl.txt"
	cmp -s "$run/got.bin" "$run/www/blob.bin"
}
ok=0
for _ in $(seq 20); do
	if fetch; then
		ok=1
		break
	fi
	sleep 0.5
done
[[ $ok -eq 1 ]] || fail "first download failed"
fetch || fail "download 2 failed or corrupt"
fetch || fail "download 3 failed or corrupt"
# A small receive buffer on host a, so that curl's rate limit paces the sender on the wire too
# (with the default autotuned buffer the whole megabyte may cross flowmon in a burst).
ip netns exec "$ns-a" sysctl -q -w net.ipv4.tcp_rmem="4096 16384 32768"
fetch --limit-rate 300k || fail "throttled download failed or corrupt"
slow_port=$(tail -n 1 "$run/curl.txt" | cut -d' ' -f1)
echo "e2e_flowmon_ipfix: 4 downloads byte-exact (the last throttled, client port $slow_port)"

fs_ns_exec "$ns" a python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
got = 0
for i in range(20):
    s.sendto(b'q' * 200, ('$b', 6970))
    try:
        s.recv(2048); got += 1
    except socket.timeout:
        pass
sys.exit(0 if got == 20 else 1)" || fail "UDP exchange lost datagrams"
echo "e2e_flowmon_ipfix: UDP exchange 20/20"

# Wait for every session to be released (idle timeout 1 s) and its record to be exported.
decode() {
	tshark -r "$run/ipfix.pcap" -d udp.port==4739,cflow -Y "cflow.srcaddr" -T fields \
		-E separator=' ' -E occurrence=a -E aggregator=, \
		-e cflow.srcaddr -e cflow.dstaddr -e cflow.srcport -e cflow.dstport -e cflow.protocol \
		-e cflow.packets -e cflow.octets -e cflow.flow_end_reason -e cflow.tcpflags \
		2>"$run/tshark.err" >"$run/records.txt"
}
rx=-1
total=-2
for _ in $(seq 30); do
	sleep 1
	rx=$("$bin/nfctl" -s "$sock" --json vnfs |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["vnfs"][0]["rx_pkts"])')
	decode || continue
	total=$(python3 - "$run/records.txt" <<'PY'
import sys
n = 0
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 6:
        n += sum(int(x) for x in f[5].split(","))
print(n)
PY
)
	[[ $total -eq $rx ]] && break
done
[[ $total -eq $rx ]] || fail "records count $total packets, flowmon received $rx"
read -r a_pkts1 a_oct1 < <(ip_counters a)
read -r b_pkts1 b_oct1 < <(ip_counters b)

python3 - "$run/records.txt" "$run/curl.txt" "$a" "$b" "$slow_port" \
	"$((a_pkts1 - a_pkts0))" "$((a_oct1 - a_oct0))" "$((b_pkts1 - b_pkts0))" \
	"$((b_oct1 - b_oct0))" <<'PY' || fail "IPFIX records do not match the traffic"
import collections, sys
recs, curl, a, b, slow = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
a_pkts, a_oct, b_pkts, b_oct = map(int, sys.argv[6:10])
rows = []
for line in open(recs):
    f = line.split()
    cols = [c.split(",") for c in f]  # several records per message: aggregated per field
    for i in range(len(cols[0])):
        rows.append(dict(src=cols[0][i], dst=cols[1][i], sport=int(cols[2][i]),
                         dport=int(cols[3][i]), proto=int(cols[4][i]), pkts=int(cols[5][i]),
                         octets=int(cols[6][i]), reason=int(cols[7][i])))
flows = collections.defaultdict(lambda: dict(pkts=0, octets=0, reasons=[]))
for r in rows:
    fl = flows[(r["src"], r["dst"], r["sport"], r["dport"], r["proto"])]
    fl["pkts"] += r["pkts"]
    fl["octets"] += r["octets"]
    fl["reasons"].append(r["reason"])
print("e2e_flowmon_ipfix: %d records, %d flows" % (len(rows), len(flows)))
to_a = [f for k, f in flows.items() if k[1] == a]
to_b = [f for k, f in flows.items() if k[1] == b]
got = (sum(f["pkts"] for f in to_a), sum(f["octets"] for f in to_a))
print("e2e_flowmon_ipfix: to %s: records %d pkts %d octets, kernel %d pkts %d octets"
      % (a, got[0], got[1], a_pkts, a_oct))
assert got == (a_pkts, a_oct), "b->a totals differ from host a's IP counters"
got = (sum(f["pkts"] for f in to_b), sum(f["octets"] for f in to_b))
print("e2e_flowmon_ipfix: to %s: records %d pkts %d octets, kernel %d pkts %d octets"
      % (b, got[0], got[1], b_pkts, b_oct))
assert got == (b_pkts, b_oct), "a->b totals differ from host b's IP counters"
for line in open(curl):
    port, size, hdr = map(int, line.split())
    down = flows.get((b, a, 80, port, 6))
    up = flows.get((a, b, port, 80, 6))
    assert down and up, "no records for the download from client port %d" % port
    print("e2e_flowmon_ipfix: download port %d: %d octets down (curl %d body + %d headers), "
          "reasons %s" % (port, down["octets"], size, hdr, down["reasons"]))
    assert down["octets"] >= size + hdr, "server->client octets below what curl received"
    if port == slow:
        assert 2 in down["reasons"], "no active-timeout record for the throttled download"
udp = [k for k in flows if k[4] == 17 and 6970 in (k[2], k[3])]
assert len(udp) == 2, "UDP exchange: %d flows, expected 2" % len(udp)
for k in udp:
    assert flows[k]["pkts"] == 20 and flows[k]["octets"] == 20 * 228, (k, flows[k])
for k, f in flows.items():
    assert f["reasons"][-1] == 1, "flow %s did not end with an idle-timeout record" % (k,)
PY
# Message headers: observation domain 7, sequence = data records sent before the message.
tshark -r "$run/ipfix.pcap" -d udp.port==4739,cflow -T fields -E separator=' ' -E occurrence=a \
	-E aggregator=, -e cflow.od_id -e cflow.sequence -e cflow.srcaddr \
	2>>"$run/tshark.err" >"$run/headers.txt"
python3 - "$run/headers.txt" <<'PY' || fail "bad IPFIX message headers"
import sys
seq = msgs = 0
for line in open(sys.argv[1]):
    f = line.split()
    assert f[0] == "7" and int(f[1]) == seq, (line, seq)
    seq += len(f[2].split(",")) if len(f) > 2 else 0
    msgs += 1
print("e2e_flowmon_ipfix: %d messages, sequence numbers and domain id consistent" % msgs)
PY
echo "e2e_flowmon_ipfix: packets in records = flowmon rx = $rx"
echo "e2e_flowmon_ipfix: 1 passed, 0 failed"
