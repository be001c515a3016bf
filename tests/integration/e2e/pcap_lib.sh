# shellcheck shell=bash
# tests/integration/e2e/pcap_lib.sh — what the pcap-replay tests share: flowmgr with net_pcap
# ports replays a capture through a chain, once, and stops when everything came back out.
# Source it, then call pcap_init NAME PREFIX. After it: $top, $bin, $run (private directory),
# $prefix, $run/empty.pcap (a pcap without packets, for a port that only transmits), fail().

pcap_init() {
	PCAP_NAME=$1
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	bin=${FS_BUILD_DIR:-$top/build}/bin
	# shellcheck disable=SC1091
	. "$top/deploy/lib/netns.sh"
	"$top/deploy/hugepages.sh" >/dev/null
	run=$(mktemp -d "/tmp/$2.XXXXXX")
	prefix=$2$$
	PCAP_FM_PID=
	trap pcap_cleanup EXIT
	python3 -c "
import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))" \
		"$run/empty.pcap"
}

pcap_cleanup() {
	set +e
	[[ -n $PCAP_FM_PID ]] && fs_stop_pid "$PCAP_FM_PID" 10
	fs_cleanup_dpdk "$prefix"
	rm -rf "$run"
}

# pcap_vnf_file FILE — an empty FILE a launched VNF may write: they run as the service user
# (docs/security.md), this script as root.
pcap_vnf_file() {
	: >"$1"
	chown "${FS_SERVICE_USER:-flowsplice}:" "$1"
}

# pcap_ids_chain FILE CHAIN PORTS ACTION OUT [TOP_LEVEL_LINES] — writes FILE: a chain named CHAIN
# of one in_order ids (tests/tools/ids_rules.txt, --action ACTION, alerts to OUT.alerts, report to
# OUT.report) between PORTS (the `ports:` list's lines); TOP_LEVEL_LINES: more keys of the chain,
# e.g. "fragments: reassemble". Also used by e2e_stream_workers.sh (af_packet ports).
pcap_ids_chain() {
	cat >"$1" <<YAML
name: $2
${6:-}
ports:
$3
vnfs:
  - name: ids
    exec: ids
    args: ["--rules", "$top/tests/tools/ids_rules.txt", "--action", "$4",
           "--alerts", "$5.alerts", "--report", "$5.report"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 256
    timeout_ms: 2000
    flags: [in_order]
    policy: drop
YAML
}

# pcap_ids_run CHAIN CASE_PCAP OUT ACTION [TOP_LEVEL_LINE] — replays CASE_PCAP through the chain
# of pcap_ids_chain (TOP_LEVEL_LINE: an extra key of the chain, e.g. "fragments: reassemble");
# writes OUT.p0.pcap, OUT.p1.pcap (what each port sent), OUT.alerts, OUT.report and
# $run/stats.json.
pcap_ids_run() {
	local pcap=$2 out=$3 n
	n=$(tshark -r "$pcap" 2>/dev/null | wc -l)
	pcap_ids_chain "$run/chain.yaml" "$1" \
		"  - {name: p0, dev: \"net_pcap0,rx_pcap=$pcap,tx_pcap=$out.p0.pcap\"}
  - {name: p1, dev: \"net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=$out.p1.pcap\"}" "$4" "$out" "${5:-}"
	pcap_vnf_file "$out.alerts" # the launched ids runs as the service user
	pcap_replay "$run/chain.yaml" "$n"
}

# fail MESSAGE — prints it, flowmgr's TCP/drop/worker counters of the last replay and its log.
fail() {
	echo "$PCAP_NAME: FAILED: $*" >&2
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(" ".join(
	    "%s=%d" % (k, v) for k, v in c.items() if v and (k.startswith("tcp_") or
	    k.startswith("drop_") or k.startswith("worker_"))))' "$run/stats.json" >&2 2>/dev/null || true
	tail -n 20 "$run/fm.log" >&2 2>/dev/null || true
	echo "$PCAP_NAME: 0 passed, 1 failed"
	exit 1
}

# pcap_replay CHAIN_FILE PACKETS — runs flowmgr (launching the chain's VNFs) until it received
# PACKETS packets and its counters stopped moving (everything that went into the chain came out,
# was dropped, or is held); keeps its counters in $run/stats.json, then stops it (net_pcap writes
# its output files then). Env: PCAP_FM_ARGS (more flowmgr options, e.g. "--workers 2"),
# PCAP_LCORES (default 0@0,1@1), PCAP_WAIT (tenths of a second to wait at most, default 300),
# PCAP_HOOK (a command run once everything passed, before flowmgr stops).
pcap_replay() {
	local now last="" still=0
	# shellcheck disable=SC2086
	"$bin/flowmgr" -c "$1" -s "$run/fm.sock" --wait-vnfs --launch ${PCAP_FM_ARGS:-} -- \
		--file-prefix "$prefix" --lcores "${PCAP_LCORES:-0@0,1@1}" >"$run/fm.log" 2>&1 &
	PCAP_FM_PID=$!
	for _ in $(seq "${PCAP_WAIT:-300}"); do
		sleep 0.1
		now=$("$bin/nfctl" -s "$run/fm.sock" --json stats 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["worker_rx"], c["worker_tx"], c["worker_to_vnf"], c["worker_from_vnf"])' 2>/dev/null ||
			echo "-1")
		[[ ${now%% *} -ge $2 && $now == "$last" ]] && still=$((still + 1)) || still=0
		last=$now
		[[ $still -ge 3 ]] && break
	done
	"$bin/nfctl" -s "$run/fm.sock" --json stats >"$run/stats.json" 2>/dev/null || true
	[[ -z ${PCAP_HOOK:-} ]] || $PCAP_HOOK
	fs_stop_pid "$PCAP_FM_PID" 10
	PCAP_FM_PID=
	fs_cleanup_dpdk "$prefix"
	[[ $still -ge 3 ]] || fail "flowmgr did not pass the $2 packets of the replay"
}
