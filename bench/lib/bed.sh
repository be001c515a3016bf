# shellcheck shell=bash
# bench/lib/bed.sh — the stop and teardown the benches with a flowmgr and peer servers share.
# Source it after deploy/lib/netns.sh. The caller's globals: $fm_pid (flowmgr, empty when none
# runs), $prefix (its DPDK file prefix), srv (array: the peer servers' pids, in start order) and
# $run (the bench's private directory).
# shellcheck disable=SC2154 # those globals are the caller's

# The benches' hosts keep the machine's TCP congestion control (the committed figures were taken
# with it; the tests pin theirs, deploy/lib/netns.sh FS_NS_CC); FS_BENCH_NS_CC picks another.
FS_NS_CC=${FS_BENCH_NS_CC:-system} # read by fs_ns_create
export FS_NS_CC

# stop_fm — stops flowmgr (SIGTERM, SIGKILL after 10 s) and removes its prefix's DPDK files.
stop_fm() {
	[[ -n $fm_pid ]] && fs_stop_pid "$fm_pid" 10
	fm_pid=
	fs_cleanup_dpdk "$prefix"
}

# bench_teardown NS MADE [NETNS...] — for the EXIT trap, once flowmgr is stopped: the peer servers
# (last first); when MADE is 1, the extra namespaces NETNS and the test bed NS (fs_ns_destroy);
# then $run (kept, and said, when FS_BENCH_KEEP=1).
bench_teardown() {
	local ns=$1 made=$2 i x
	shift 2
	for ((i = ${#srv[@]} - 1; i >= 0; i--)); do fs_stop_pid "${srv[i]}" 5; done
	if [[ $made -eq 1 ]]; then
		for x in "$@"; do ip netns del "$x" 2>/dev/null; done
		fs_ns_destroy "$ns"
	fi
	if [[ ${FS_BENCH_KEEP:-0} == 1 ]]; then echo "kept $run" >&2; else rm -rf "$run"; fi
}
