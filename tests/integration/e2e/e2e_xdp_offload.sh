#!/usr/bin/env bash
# End to end: the XDP offload on af_xdp ports (issue #12 item 4, Done-when 2; docs/offload.md "XDP").
# A Figure 2 chain (forward processes for NetFlow, the HTTP filter and the LB) plus classes without
# VNF (ARP, UDP 9999: `output`) on two af_xdp ports with `xdp: offload`. One pcap of mixed traffic
# (tests/tools/mkxdp_pcap.py: every class in IPv4 and IPv6, VLAN-tagged, fragments, IPv6
# extension headers, malformed headers) is replayed with tcpreplay from host a into port p0.
#  1. flowmgr --xdp-verify: the worker classifies every frame in full too and counts where the
#     metadata's class differs (xdp_verify_mismatch == 0), with metadata hits (> 0); the program's
#     counters equal what tests/tools/xdp_expect (the program's classifier on the pcap, checked
#     against the software tree) predicts: drops, kernel redirects, classified and unclassified
#     frames; nothing else lost: every frame is counted once, the worker received exactly the
#     frames handed to user space, host b received the redirects plus what flowmgr sent.
#     Then SIGKILL: the program must be gone from both interfaces (bpf_link, `ip link`).
#  2. Without --xdp-verify: the worker starts its descents at the metadata's group
#     (0 < flow_group_start <= xdp_meta_class: flow-cache hits need no descent); SIGTERM: the program is gone again.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh disable=SC2154,SC2034
. "$(dirname "$0")/e2e_lib.sh"
export FS_NS_QUEUES=1 # one queue each way: every frame reaches RX queue 0, where the socket is
e2e_init e2e_xdp_offload fsbx
for t in tcpreplay ethtool; do command -v "$t" >/dev/null || e2e_fail "$t not found"; done
[[ -x $bin/xdp_expect && -f $bin/fm_xdp.bpf.o ]] || e2e_fail "xdp_expect / fm_xdp.bpf.o not built"
# VLAN tags stay in the frames (no VLAN acceleration), host b's veth takes XDP redirects (NAPI)
for side in a b; do ip netns exec "$ns-$side" ethtool -K eth0 rxvlan off txvlan off >/dev/null 2>&1 || true; done
for x in "$ns-pa" "$ns-pb"; do ethtool -K "$x" rxvlan off txvlan off >/dev/null 2>&1 || true; done
ip netns exec "$ns-b" ethtool -K eth0 gro on >/dev/null

cat >"$run/chain.yaml" <<YAML
name: xdp-e2e
live_area: 64
ports:
  - {name: p0, dev: "net_af_xdp0,iface=$ns-pa,start_queue=0,queue_count=1", xdp: offload}
  - {name: p1, dev: "net_af_xdp1,iface=$ns-pb,start_queue=0,queue_count=1", xdp: offload}
vnfs:
  - {name: netflow, exec: forward, class: "udp and dst host $b and dst port 6970", session: "5tuple", scratchpad: 24}
  - {name: httpfilter, exec: forward, class: "tcp port 80", session: "5tuple", scratchpad: 36}
  - {name: lb, exec: forward, session: "5tuple", scratchpad: 16}
graph:
  input:
    - {match: "arp", to: output}
    - {match: "vlan 10 and udp", to: lb}
    - {match: "udp and dst host $b and dst port 6970", to: netflow}
    - {match: "tcp port 80", to: httpfilter}
    - {match: "tcp", to: drop}
    - {match: "udp dst port 9999", to: output}
    - lb
  netflow: [lb]
  httpfilter: [lb]
  lb: [output]
YAML
python3 "$top/tests/tools/mkxdp_pcap.py" "$run/mixed.pcap" "$a" "$b" >"$run/frames"
"$bin/xdp_expect" "$run/chain.yaml" "$run/mixed.pcap" >"$run/expect" 2>"$run/expect.log" ||
	{ cat "$run/expect.log" >&2; e2e_fail "xdp_expect: the XDP table disagrees with the tree"; }
read -r _ e_drop _ e_redir _ e_cls _ e_uncls _ e_frames <"$run/expect"
echo "e2e_xdp_offload: expected of $e_frames frames: drop $e_drop, redirect $e_redir, to user space $e_cls classified + $e_uncls not"

has_xdp() { ip link show dev "$1" 2>/dev/null | grep -q 'prog/xdp'; }
b_rx() { ip netns exec "$ns-b" cat /sys/class/net/eth0/statistics/rx_packets; }
counters() { "$bin/nfctl" -s "$sock" --json stats >"$run/stats.json"; }

# replay the pcap, wait until the counters settle; leaves them in $run/stats.json
replay() {
	local before last="" now
	before=$(b_rx)
	echo "$before" >"$run/b_before"
	ip netns exec "$ns-a" tcpreplay -q -i eth0 --pps 2000 "$run/mixed.pcap" >"$run/tcpreplay.log" 2>&1 ||
		e2e_fail "tcpreplay failed: $(cat "$run/tcpreplay.log")"
	for _ in $(seq 100); do
		sleep 0.2
		counters
		now="$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(c["worker_rx"], c["worker_tx"], c["xdp_redirect"])' "$run/stats.json") $(b_rx)"
		[[ $now == "$last" ]] && return 0
		last=$now
	done
}

# ---- 1: --xdp-verify --------------------------------------------------------------------------
E2E_FAIL_FILES=("$run/expect.log")
e2e_flowmgr "$run/chain.yaml" --xdp-verify
{ has_xdp "$ns-pa" && has_xdp "$ns-pb"; } || e2e_fail "no XDP program on the ports ($(ip link show dev "$ns-pa"))"
ip -d link show dev "$ns-pa" >"$run/link.txt"
"$bin/nfctl" -s "$sock" offload >"$run/offload.txt"
grep -q "offload (XDP, af_xdp ports)" "$run/offload.txt" || e2e_fail "nfctl offload shows no XDP part"
# A live chain change would leave the kernel applying the starting chain (drops, redirects): refused.
if "$bin/nfctl" -s "$sock" chain remove netflow >"$run/remove.txt" 2>&1; then
	e2e_fail "a live chain change was accepted with xdp: offload: $(cat "$run/remove.txt")"
fi
grep -q "not supported with .xdp: offload" "$run/remove.txt" ||
	e2e_fail "live change refused for another reason: $(cat "$run/remove.txt")"
replay
python3 - "$run/stats.json" "$e_drop" "$e_redir" "$e_cls" "$e_uncls" "$e_frames" "$(cat "$run/b_before")" "$(b_rx)" <<'PY' ||
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
drop, redir, cls, uncls, frames, b0, b1 = map(int, sys.argv[2:9])
print("e2e_xdp_offload: kernel: drop %d redirect %d user %d+%d meta_failed %d; worker: rx %d tx %d "
      "meta_class %d meta_none %d meta_missing %d verify_checked %d verify_mismatch %d; host b +%d" % (
      c["xdp_drop"], c["xdp_redirect"], c["xdp_user_classified"], c["xdp_user_unclassified"],
      c["xdp_meta_failed"], c["worker_rx"], c["worker_tx"], c["xdp_meta_class"], c["xdp_meta_none"],
      c["xdp_meta_missing"], c["xdp_verify_checked"], c["xdp_verify_mismatch"], b1 - b0))
assert c["xdp_drop"] == drop, "early drops in the kernel %d, expected %d" % (c["xdp_drop"], drop)
assert c["xdp_redirect"] == redir, "kernel redirects %d, expected %d" % (c["xdp_redirect"], redir)
assert c["xdp_user_classified"] == cls, "classified %d, expected %d" % (c["xdp_user_classified"], cls)
assert c["xdp_user_unclassified"] == uncls, "unclassified %d, expected %d" % (c["xdp_user_unclassified"], uncls)
assert c["xdp_meta_failed"] == 0
# the class of every frame in user space is the software tree's
assert c["xdp_verify_mismatch"] == 0, "%d frames: metadata class != software class" % c["xdp_verify_mismatch"]
assert c["xdp_verify_checked"] == cls > 0, "metadata hits %d, classified %d" % (c["xdp_verify_checked"], cls)
# nothing else lost: the worker got exactly what the program handed up, every frame with metadata
assert c["worker_rx"] == cls + uncls, "worker rx %d != %d handed up" % (c["worker_rx"], cls + uncls)
assert c["xdp_meta_class"] == cls and c["xdp_meta_none"] == uncls and c["xdp_meta_missing"] == 0
# host b got the kernel's redirects and what flowmgr sent (p1 is the only way out)
assert b1 - b0 == redir + c["worker_tx"], "host b got %d, redirects %d + flowmgr tx %d" % (
    b1 - b0, redir, c["worker_tx"])
assert c["worker_tx"] > 0
PY
	e2e_fail "XDP counters do not match the expectation"
pid=${pids[0]}
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 50); do has_xdp "$ns-pa" || has_xdp "$ns-pb" || break; sleep 0.1; done
if has_xdp "$ns-pa" || has_xdp "$ns-pb"; then
	ip link set dev "$ns-pa" xdp off 2>/dev/null || true
	ip link set dev "$ns-pb" xdp off 2>/dev/null || true
	e2e_fail "XDP program left on the interfaces after flowmgr was killed"
fi
echo "e2e_xdp_offload: SIGKILL: XDP program gone from $ns-pa and $ns-pb"
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 5 || true; done
pids=()
fs_cleanup_dpdk "$prefix"

# ---- 2: the metadata used ----------------------------------------------------------------------
e2e_flowmgr "$run/chain.yaml"
replay
python3 - "$run/stats.json" "$e_cls" <<'PY' || e2e_fail "the worker did not use the XDP metadata"
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
cls = int(sys.argv[2])
print("e2e_xdp_offload: without verify: meta_class %d flow_group_start %d" % (
    c["xdp_meta_class"], c["flow_group_start"]))
# descents (flow-cache misses) of classified frames start at their group
assert c["xdp_meta_class"] == cls > 0 and 0 < c["flow_group_start"] <= cls
PY
pid=${pids[0]}
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
if has_xdp "$ns-pa" || has_xdp "$ns-pb"; then
	e2e_fail "XDP program left on the interfaces after flowmgr stopped"
fi
echo "e2e_xdp_offload: SIGTERM: XDP program gone"
echo "e2e_xdp_offload: 1 passed, 0 failed"
