#!/usr/bin/env bash
# Port set-up (issue #12 items 1-2) on net_null ports (no namespaces, no kernel: the PMD makes
# packets as fast as it is polled, and it has RSS). Checks:
#   1. rx_queues: 2 and --workers 2: both ports get 2 RX / 2 TX queues and RSS with the symmetric
#      key (the PMD accepts the key and hash set); `nfctl ports` lists queue q of each port on
#      worker q and both workers receive (worker0_rx, worker1_rx);
#   2. single-queue ports with --workers 2: port p on worker p (the per-port split, unchanged);
#   3. a PCI port with --no-pci: flowmgr refuses before starting the EAL (nothing is probed: a
#      PCI device is never opened on the test machines).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
# shellcheck source=deploy/lib/netns.sh
. "$top/deploy/lib/netns.sh"
"$top/deploy/hugepages.sh" >/dev/null
run=$(mktemp -d /tmp/fsg.XXXXXX)
prefix=fsg$$
fm_pid=
cleanup() {
	set +e
	[[ -n $fm_pid ]] && fs_stop_pid "$fm_pid" 10
	fs_cleanup_dpdk "$prefix"
	rm -rf "$run"
}
trap cleanup EXIT
fail() {
	echo "e2e_port_queues: FAILED: $*" >&2
	tail -n 20 "$run/flowmgr.log" >&2 2>/dev/null
	echo "e2e_port_queues: 0 passed, 1 failed"
	exit 1
}
nfctl() { "$bin/nfctl" -s "$run/fm.sock" "$@"; }

# run_null NAME QUEUES_YAML — flowmgr on two net_null ports, 2 workers; writes $run/NAME.json
# and $run/NAME.txt (nfctl --json stats, nfctl ports) once both workers have polled.
run_null() {
	local name=$1 qy=$2
	cat >"$run/$name.yaml" <<YAML
name: $name
ports:
  - {name: p0, dev: "net_null0,size=64"$qy}
  - {name: p1, dev: "net_null1,size=64"$qy}
YAML
	"$bin/flowmgr" -c "$run/$name.yaml" -s "$run/fm.sock" --user root --workers 2 -- \
		--no-pci --file-prefix "$prefix" --lcores 0@0,1@0,2@1 >"$run/flowmgr.log" 2>&1 &
	fm_pid=$!
	for _ in $(seq 100); do nfctl status >/dev/null 2>&1 && break; sleep 0.1; done
	for _ in $(seq 100); do
		nfctl --json stats >"$run/$name.json" 2>/dev/null || true
		/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
sys.exit(0 if c["worker0_rx"] > 0 and c["worker1_rx"] > 0 else 1)' "$run/$name.json" 2>/dev/null && break
		sleep 0.1
	done
	nfctl ports >"$run/$name.txt"
	nfctl --json stats >"$run/$name.json"
	fs_stop_pid "$fm_pid" 10 || fail "flowmgr did not stop"
	fm_pid=
	fs_cleanup_dpdk "$prefix"
	cat "$run/$name.txt"
}

# fields FILE — port p0's and p1's: rss rx_queues tx_queues worker-of-each-queue, then
# worker0_rx worker1_rx
fields() {
	/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
out = []
for p in s["ports"]:
    out += [int(p["rss"]), p["rx_queues"], p["tx_queues"], int(p["link_up"]),
            ",".join(str(q["worker"]) for q in p["queues"])]
print(*out, s["counters"]["worker0_rx"], s["counters"]["worker1_rx"])' "$1"
}

# 1. two queues per port, symmetric RSS, queue q on worker q
run_null rss ", rx_queues: 2"
read -r rss0 rxq0 txq0 up0 wq0 rss1 rxq1 txq1 up1 wq1 w0 w1 < <(fields "$run/rss.json")
[[ $rss0 -eq 1 && $rss1 -eq 1 ]] || fail "RSS not configured on net_null (rss $rss0 $rss1)"
[[ $rxq0 -eq 2 && $rxq1 -eq 2 && $txq0 -eq 2 && $txq1 -eq 2 ]] ||
	fail "queues: p0 $rxq0/$txq0 p1 $rxq1/$txq1, want 2/2"
[[ $wq0 == 0,1 && $wq1 == 0,1 ]] || fail "queue -> worker: p0 $wq0 p1 $wq1, want 0,1 on both"
[[ $up0 -eq 1 && $up1 -eq 1 ]] || fail "links not up"
[[ $w0 -gt 0 && $w1 -gt 0 ]] || fail "a worker received nothing (worker0_rx=$w0 worker1_rx=$w1)"
grep -q "RSS symmetric" "$run/rss.txt" || fail "nfctl ports does not show RSS"
echo "e2e_port_queues: 2 queues per port, RSS symmetric, worker0_rx=$w0 worker1_rx=$w1"

# 2. one queue per port: the per-port split
run_null single ", rx_queues: 1"
read -r _ rxq0 _ _ wq0 _ rxq1 _ _ wq1 w0 w1 < <(fields "$run/single.json")
[[ $rxq0 -eq 1 && $rxq1 -eq 1 && $wq0 == 0 && $wq1 == 1 ]] ||
	fail "single queue: p0 $rxq0 queue(s) on worker $wq0, p1 $rxq1 on $wq1; want p0 on 0, p1 on 1"
echo "e2e_port_queues: single-queue ports: p0 on worker 0, p1 on worker 1"

# 3. a PCI port and --no-pci: refused before EAL starts
cat >"$run/pci.yaml" <<YAML
name: pci
ports:
  - {name: p0, dev: "0000:3b:00.0"}
YAML
rc=0
"$bin/flowmgr" -c "$run/pci.yaml" -s "$run/fm.sock" --user root -- --no-pci \
	--file-prefix "$prefix" --lcores 0@0,1@1 >"$run/pci.log" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "flowmgr with a PCI port and --no-pci exited $rc, want 1"
grep -q "port p0: 0000:3b:00.0 is a PCI device, but the EAL arguments say --no-pci" "$run/pci.log" ||
	fail "no clear refusal: $(cat "$run/pci.log")"
if grep -q "^EAL" "$run/pci.log"; then fail "the EAL started: $(cat "$run/pci.log")"; fi
echo "e2e_port_queues: a PCI port with --no-pci is refused before the EAL starts"
echo "e2e_port_queues: 1 passed, 0 failed"
