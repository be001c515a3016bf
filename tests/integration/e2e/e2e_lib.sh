# shellcheck shell=bash
# tests/integration/e2e/e2e_lib.sh — what every end-to-end test does: two namespace hosts joined
# only through flowmgr, a chain file started with --launch, waiting for the VNFs, asking a VNF for
# its report, and removing everything at exit. Source it, then call e2e_init NAME NS.
#
# After e2e_init: $top, $bin, $ns, $prefix, $run (private directory), $sock, $a and $b (host
# addresses); append PIDs to start-order array `pids` to have them stopped at exit (last first).

# e2e_init NAME NS — NS: a short namespace/port prefix of this test (fs_ns_create); E2E_NS
# overrides it (two copies of one test on one machine, e.g. from two checkouts).
e2e_init() {
	E2E_NAME=$1
	ns=${E2E_NS:-$2}
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	bin=${FS_BUILD_DIR:-$top/build}/bin
	# shellcheck disable=SC1091
	. "$top/deploy/lib/netns.sh"
	"$top/deploy/hugepages.sh" >/dev/null
	prefix=$ns$$
	run=$(mktemp -d "/tmp/$ns.XXXXXX")
	sock=$run/fm.sock
	pids=()
	E2E_FAIL_FILES=()
	trap e2e_cleanup EXIT
	fs_ns_create "$ns"
	a=$(fs_ns_ip a)
	b=$(fs_ns_ip b)
}

e2e_cleanup() {
	set +e
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 5; done
	fs_ns_destroy "$ns"
	fs_cleanup_dpdk "$prefix"
	if [[ ${E2E_KEEP:-0} == 1 ]]; then echo "$E2E_NAME: kept $run" >&2; else rm -rf "$run"; fi
}

# e2e_fail MESSAGE — prints it, the files listed in E2E_FAIL_FILES and flowmgr's log tail; exits 1.
e2e_fail() {
	echo "$E2E_NAME: FAILED: $*" >&2
	for f in "${E2E_FAIL_FILES[@]}"; do cat "$f" >&2 2>/dev/null; done
	tail -n 30 "$run/flowmgr.log" >&2 2>/dev/null
	echo "$E2E_NAME: 0 passed, 1 failed"
	exit 1
}

# e2e_flowmgr CHAIN_FILE [FLOWMGR_OPTION...] — starts flowmgr (launching the chain's VNFs) and
# waits until every VNF of the chain is running. E2E_LCORES: its --lcores (default 0@0,1@1).
e2e_flowmgr() {
	local up=0 want chain=$1
	shift
	"$bin/flowmgr" -c "$chain" "$@" -s "$sock" --wait-vnfs --launch -- --file-prefix "$prefix" \
		--lcores "${E2E_LCORES:-0@0,1@1}" >"$run/flowmgr.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 150); do
		read -r up want < <("$bin/nfctl" -s "$sock" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(sum(x["state"] == "running" for x in v), len(v))' 2>/dev/null || echo "0 1")
		[[ $up -eq $want ]] && return 0
		sleep 0.1
	done
	e2e_fail "the chain's VNFs did not attach ($up of $want)"
}

# e2e_vnf_pid NAME — PID of a running VNF.
e2e_vnf_pid() {
	"$bin/nfctl" -s "$sock" --json vnfs | python3 -c '
import json, sys
print(next(v["pid"] for v in json.load(sys.stdin)["vnfs"] if v["name"] == sys.argv[1]))' "$1"
}

# e2e_report PID FILE KEY — asks a VNF writing reports to FILE on SIGUSR1 for one, prints KEY.
e2e_report() {
	rm -f "$2"
	kill -USR1 "$1"
	for _ in $(seq 50); do [[ -s $2 ]] && break; sleep 0.1; done
	sleep 0.1
	awk -v k="$3" '$1 == k {print $2}' "$2"
}

# e2e_counter NAME — one of flowmgr's global counters (nfctl --json stats).
e2e_counter() {
	"$bin/nfctl" -s "$sock" --json stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

# e2e_tcp_progress FILE — logs flowmgr's TCP-context, drop and worker counters every 2 s into
# FILE (shown on failure when listed in E2E_FAIL_FILES), in the background.
e2e_tcp_progress() {
	(while sleep 2; do "$bin/nfctl" -s "$sock" --json stats 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % (k, v) for k, v in c.items() if (k.startswith("tcp_") or
      k.startswith("drop_") or k.startswith("worker_")) and v))' >>"$1" 2>&1; done) &
	pids+=("$!")
}
