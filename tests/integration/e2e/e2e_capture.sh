#!/usr/bin/env bash
# End to end: `nfctl capture VNF FILE` (flowmgr/fm_capture.h) on a chain where ICMP goes to VNF
# "ica" and UDP to VNF "uda" (two forward VNFs), between two namespace hosts. Checks:
#   * ica's input during 30 pings is exactly the 60 ICMP packets of its class (30 requests from a,
#     30 replies from b, every sequence number once), on interface "ica:in", marked inbound, and
#     nothing else — read back by tshark;
#   * uda's output with --filter "udp dst port 9001" while host a sends 30 datagrams to each of
#     ports 9000 and 9001: exactly the 30 to port 9001 (payload numbers 0..29), marked outbound;
#   * one capture at a time: a second one is refused (exit 1, the reason), as is an unknown VNF;
#     the refused one does not disturb the running one.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_capture fsj
E2E_FAIL_FILES=("$run/cap1.log" "$run/cap2.log" "$run/check.log")

cat >"$run/chain.yaml" <<YAML
name: capture-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - {name: ica, exec: forward, class: "icmp"}
  - {name: uda, exec: forward, class: "udp"}
graph:
  input:
    - {match: "icmp", to: ica}
    - {match: "udp", to: uda}
    - output
  ica: [output]
  uda: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
# ARP first, so that the capture below holds only ICMP
fs_ns_exec "$ns" a ping -q -c 2 -i 0.2 -W 1 "$b" >/dev/null 2>&1 || e2e_fail "no path a -> b"

"$bin/nfctl" -s "$sock" capture ica "$run/ica.pcapng" --count 60 --seconds 30 \
	>"$run/cap1.log" 2>&1 &
cap1=$!
sleep 1
"$bin/nfctl" -s "$sock" capture uda "$run/busy.pcapng" --count 1 >"$run/busy.log" 2>&1 &&
	e2e_fail "a second capture was accepted while one runs" || busy_rc=$?
"$bin/nfctl" -s "$sock" capture nosuch "$run/x.pcapng" --count 1 >"$run/nosuch.log" 2>&1 &&
	e2e_fail "a capture of an unknown VNF was accepted" || nosuch_rc=$?
fs_ns_exec "$ns" a ping -q -c 30 -i 0.02 -W 1 "$b" >"$run/ping.log" 2>&1 || e2e_fail "ping failed"
wait "$cap1" || e2e_fail "nfctl capture ica failed: $(cat "$run/cap1.log")"

# a UDP sink on b (no ICMP port-unreachable back), then 30 datagrams to each of 9000 and 9001
fs_ns_exec "$ns" b python3 -c '
import socket, time
ss = []
for p in (9000, 9001):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", p)); ss.append(s)
time.sleep(30)' &
sink=$!
pids+=("$sink")
"$bin/nfctl" -s "$sock" capture uda "$run/uda.pcapng" --dir out --filter "udp dst port 9001" \
	--count 30 --seconds 30 >"$run/cap2.log" 2>&1 &
cap2=$!
sleep 1
fs_ns_exec "$ns" a python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(30):
    for p in (9000, 9001):
        s.sendto(b"n=%d" % i, (sys.argv[1], p))
    time.sleep(0.01)' "$b"
wait "$cap2" || e2e_fail "nfctl capture uda failed: $(cat "$run/cap2.log")"

fields=(-T fields -e frame.interface_name -e frame.packet_flags_direction -e ip.src -e ip.dst
	-e icmp.type -e icmp.seq -e udp.dstport -e data.data)
tshark -r "$run/ica.pcapng" "${fields[@]}" >"$run/ica.txt" 2>"$run/tshark.log" ||
	e2e_fail "tshark cannot read ica.pcapng: $(cat "$run/tshark.log")"
tshark -r "$run/uda.pcapng" "${fields[@]}" >"$run/uda.txt" 2>>"$run/tshark.log" ||
	e2e_fail "tshark cannot read uda.pcapng: $(cat "$run/tshark.log")"

python3 - "$run" "$a" "$b" "$busy_rc" "$nosuch_rc" >"$run/check.log" 2>&1 <<'PY' || e2e_fail "captures differ from the VNFs' traffic"
import sys
run, a, b, busy_rc, nosuch_rc = sys.argv[1:6]
fail = []
def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fail.append(what)
rows = lambda f: [l.split("\t") for l in open(f).read().splitlines()]
ica, uda = rows(f"{run}/ica.txt"), rows(f"{run}/uda.txt")
check(f"ica: 60 packets captured (got {len(ica)})", len(ica) == 60)
check("ica: every one ICMP, on ica:in, inbound",
      all(r[0] == "ica:in" and int(r[1], 16) == 1 and r[4] in ("0", "8") for r in ica))
req = sorted(int(r[5]) for r in ica if r[4] == "8" and (r[2], r[3]) == (a, b))
rep = sorted(int(r[5]) for r in ica if r[4] == "0" and (r[2], r[3]) == (b, a))
check("ica: the 30 requests a->b and 30 replies b->a, each sequence number once",
      req == rep and len(req) == 30 and len(set(req)) == 30)
check(f"uda: 30 packets captured (got {len(uda)})", len(uda) == 30)
check("uda: all to port 9001, on uda:out, outbound",
      all(r[0] == "uda:out" and int(r[1], 16) == 2 and r[6] == "9001" for r in uda))
nums = sorted(int(bytes.fromhex(r[7]).decode()[2:]) for r in uda)
check("uda: datagrams 0..29 to port 9001, each once", nums == list(range(30)))
busy = open(f"{run}/busy.log").read()
check("a second capture: exit 1, one at a time", busy_rc == "1" and "one at a time" in busy)
check("an unknown VNF: exit 1, named", nosuch_rc == "1" and "nosuch" in open(f"{run}/nosuch.log").read())
log = open(f"{run}/cap1.log").read()
check("nfctl reports what it wrote", "60 packets of ica written" in log)
sys.exit(1 if fail else 0)
PY
cat "$run/check.log"
echo "e2e_capture: $(grep -c '^ok' "$run/check.log") passed, 0 failed"
