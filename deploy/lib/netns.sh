# shellcheck shell=bash
# deploy/lib/netns.sh — test hosts in network namespaces, DPDK leftovers, stopping processes.
# Source it from bash (tests, demo): `. deploy/lib/netns.sh`. Needs root, iproute2, ethtool.
# Every function works under `set -euo pipefail` and returns non-zero with a message on failure.
#
# Topology made by `fs_ns_create P` (flowmgr is a bump-in-the-wire L2 bridge between P-pa and
# P-pb; nothing bridges them until flowmgr runs, so host a cannot reach host b before that):
#
#   netns P-a                  root netns (flowmgr's ports)                 netns P-b
#   eth0 198.18.0.1/24 ==veth== P-pa  ... flowmgr ...  P-pb ==veth== eth0 198.18.0.2/24
#
# Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking) only. On every veth end: MTU 1500,
# TX checksum offload off (else DPDK forwards packets with partial checksums); on the root-side
# ends also GRO/GSO/TSO off and IPv6 off (the root kernel then sends nothing into the ports).
# IPv6 is disabled inside the hosts too, so tests see only their own traffic, unless
# FS_NS_IPV6=1 is set when calling fs_ns_create. FS_NS_QUEUES=N gives every veth N RX and N TX
# queues, whatever the number of CPUs (af_xdp queue_count, af_packet qpairs: the test stand-ins
# for a multi-queue NIC).
# TCP congestion control in the hosts: FS_NS_CC (default cubic; reno, which every namespace may
# use, if the machine's tcp_allowed_congestion_control lacks it), whatever the machine's default
# (FS_NS_CC=system keeps that, e.g. to compare bench figures taken with it).
# This machine defaults to bbr, whose v1 long-term (policer) mode turns the burst losses a loaded
# platform makes (af_xdp RX rings full, a full out-of-order hold in the TCP context) into a
# pacing rate of a few kbit/s for 48 round trips of seconds each: one connection then crawls for
# minutes (e2e_cksum_afxdp, docs/operations.md "af_xdp ports on a loaded machine").
#
# Naming: PREFIX is 1-12 characters [a-z0-9] so that "PREFIX-pa" fits IFNAMSIZ (15). Use one
# prefix per test run (also as the DPDK --file-prefix, see fs_cleanup_dpdk).

FS_NS_IP_A=198.18.0.1
FS_NS_IP_B=198.18.0.2
FS_NS_PLEN=24
FS_NS_MTU=1500
FS_NS_CC=${FS_NS_CC:-cubic}

_fs_err() {
	echo "netns.sh: $*" >&2
}

# fs_ns_check_prefix PREFIX — validates a prefix (see "Naming").
fs_ns_check_prefix() {
	local p=${1:-}
	if [[ ! $p =~ ^[a-z0-9]{1,12}$ ]]; then
		_fs_err "bad prefix '$p' (1-12 characters a-z 0-9, so that '$p-pa' fits 15)"
		return 1
	fi
}

# fs_ns_ip SIDE — prints the address of host a or b (without the prefix length).
fs_ns_ip() {
	case ${1:-} in
	a) echo "$FS_NS_IP_A" ;;
	b) echo "$FS_NS_IP_B" ;;
	*)
		_fs_err "fs_ns_ip: side must be a or b, got '${1:-}'"
		return 1
		;;
	esac
}

# fs_ns_port PREFIX SIDE — prints the root-side interface that faces host a or b.
fs_ns_port() {
	fs_ns_check_prefix "${1:-}" || return 1
	case ${2:-} in
	a | b) echo "$1-p$2" ;;
	*)
		_fs_err "fs_ns_port: side must be a or b, got '${2:-}'"
		return 1
		;;
	esac
}

_fs_ns_exists() {
	[[ -e /run/netns/$1 ]]
}

_fs_link_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}

# _fs_ns_host PREFIX SIDE — one host: netns PREFIX-SIDE, veth eth0 <-> root-side PREFIX-pSIDE.
_fs_ns_host() {
	local prefix=$1 side=$2 ns="$1-$2" port="$1-p$2" ip
	ip=$(fs_ns_ip "$side") || return 1

	# Each step checked explicitly: callers test our status, which disables `set -e` in here.
	ip netns add "$ns" || return 1
	# FS_NS_QUEUES=N: N queues each way (else the kernel's default: one per possible CPU)
	local q=()
	[[ -n ${FS_NS_QUEUES:-} ]] && q=(numtxqueues "$FS_NS_QUEUES" numrxqueues "$FS_NS_QUEUES")
	ip link add "$port" mtu "$FS_NS_MTU" "${q[@]}" type veth peer name eth0 mtu "$FS_NS_MTU" \
		"${q[@]}" netns "$ns" || return 1
	if [[ ${FS_NS_IPV6:-0} != 1 ]]; then
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 || return 1
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 || return 1
	fi
	sysctl -q -w "net.ipv6.conf.$port.disable_ipv6=1" 2>/dev/null || true
	# a namespace may only pick an algorithm of tcp_allowed_congestion_control (reno always is)
	if [[ $FS_NS_CC != system ]]; then
		ip netns exec "$ns" sysctl -q -w "net.ipv4.tcp_congestion_control=$FS_NS_CC" \
			2>/dev/null ||
			ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_congestion_control=reno ||
			return 1
	fi
	ip -n "$ns" link set lo up || return 1
	ip -n "$ns" addr add "$ip/$FS_NS_PLEN" dev eth0 || return 1
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null || return 1
	ethtool -K "$port" tx off gro off gso off tso off >/dev/null || return 1
	ip -n "$ns" link set eth0 up || return 1
	ip link set "$port" up
}

# fs_ns_create PREFIX — creates hosts PREFIX-a and PREFIX-b (see the topology above). Leftovers
# of an earlier run with the same prefix are removed first. On failure, removes what it made.
fs_ns_create() {
	local prefix=${1:-}
	fs_ns_check_prefix "$prefix" || return 1
	if _fs_ns_exists "$prefix-a" || _fs_ns_exists "$prefix-b" || _fs_link_exists "$prefix-pa" ||
		_fs_link_exists "$prefix-pb"; then
		_fs_err "removing leftovers of an earlier '$prefix' run"
		fs_ns_destroy "$prefix"
	fi
	if ! { _fs_ns_host "$prefix" a && _fs_ns_host "$prefix" b; }; then
		_fs_err "fs_ns_create $prefix failed; cleaning up"
		fs_ns_destroy "$prefix"
		return 1
	fi
}

# fs_ns_destroy PREFIX — removes both hosts and their veths; silent and successful if absent.
fs_ns_destroy() {
	local prefix=${1:-} side
	fs_ns_check_prefix "$prefix" || return 1
	for side in a b; do
		if _fs_ns_exists "$prefix-$side"; then
			ip netns del "$prefix-$side" || _fs_err "cannot delete netns $prefix-$side"
		fi
		# Deleting the netns destroys its veth end and so the pair; this catches half-made pairs.
		if _fs_link_exists "$prefix-p$side"; then
			ip link del "$prefix-p$side" 2>/dev/null || true
		fi
	done
	for side in a b; do
		if _fs_ns_exists "$prefix-$side" || _fs_link_exists "$prefix-p$side"; then
			_fs_err "fs_ns_destroy $prefix: $prefix-$side or $prefix-p$side still exists"
			return 1
		fi
	done
}

# fs_ns_exec PREFIX a|b CMD [ARGS...] — runs CMD inside host a or b; returns CMD's status.
fs_ns_exec() {
	local prefix=${1:-} side=${2:-}
	fs_ns_check_prefix "$prefix" || return 1
	if [[ $side != a && $side != b ]]; then
		_fs_err "fs_ns_exec: side must be a or b, got '$side'"
		return 1
	fi
	if [[ $# -lt 3 ]]; then
		_fs_err "fs_ns_exec: no command"
		return 1
	fi
	shift 2
	ip netns exec "$prefix-$side" "$@"
}

# fs_cleanup_dpdk PREFIX — removes the hugepage files and runtime directory of a DPDK run that
# used --file-prefix PREFIX (after all its processes have exited).
fs_cleanup_dpdk() {
	local prefix=${1:-}
	if [[ ! $prefix =~ ^[A-Za-z0-9_.-]+$ || $prefix == . || $prefix == .. ]]; then
		_fs_err "fs_cleanup_dpdk: bad prefix '$prefix'"
		return 1
	fi
	# DPDK names its hugepage files PREFIXmap_N (or PREFIXmap_L-S with segment lists); matching
	# "PREFIXmap_" keeps prefix "fs" from removing the files of a run named "fs2". flowmgr puts
	# them in its service user's directory of the mount (/dev/hugepages/flowsplice), or at the
	# top with --user root.
	rm -f -- /dev/hugepages/"$prefix"map_* /dev/hugepages/*/"$prefix"map_*
	rm -rf -- /var/run/dpdk/"$prefix"
}

_fs_pid_alive() {
	local state
	[[ -e /proc/$1 ]] || return 1
	# A zombie (exited, not yet reaped) counts as gone.
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# fs_stop_pid PID [TIMEOUT] — SIGTERM, wait up to TIMEOUT seconds (default 5, decimals allowed),
# then SIGKILL. Reaps PID if it is a child of this shell. Returns 0 once the process is gone
# (says on stderr when SIGKILL was needed), 1 if it could not be stopped.
fs_stop_pid() {
	local pid=${1:-} timeout=${2:-5} tenths i
	if [[ ! $pid =~ ^[0-9]+$ || $pid -le 1 || $pid -eq $$ ]]; then
		_fs_err "fs_stop_pid: bad pid '$pid'"
		return 1
	fi
	if [[ ! $timeout =~ ^[0-9]+(\.[0-9])?$ ]]; then
		_fs_err "fs_stop_pid: bad timeout '$timeout' (seconds, e.g. 5 or 0.5)"
		return 1
	fi
	tenths=$((${timeout%.*} * 10))
	[[ $timeout == *.* ]] && tenths=$((tenths + ${timeout#*.}))
	if _fs_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < tenths; i++)); do
			_fs_pid_alive "$pid" || break
			sleep 0.1
		done
		if _fs_pid_alive "$pid"; then
			_fs_err "pid $pid still running ${timeout}s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				_fs_pid_alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	wait "$pid" 2>/dev/null || true # reap our own child; a no-op for others
	if _fs_pid_alive "$pid"; then
		_fs_err "pid $pid survives SIGKILL (uninterruptible sleep?)"
		return 1
	fi
}
