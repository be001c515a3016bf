# shellcheck shell=bash
# tests/integration/e2e/impair_lib.sh — loss, duplication and reordering for end-to-end tests on a
# kernel without netem. Source it (it is not a test); needs root, nftables, iproute2, ethtool.
#
#   impair_nft_loss NETNS IFACE PCT   drop PCT% of the IP packets IFACE receives (netdev ingress)
#   impair_nft_dup NETNS IFACE PCT    send PCT% of the IP packets IFACE sends twice (netdev egress)
#   impair_nft_count NETNS loss|dup IFACE   packets dropped / duplicated so far
#   impair_nft_clear NETNS            removes the rules of NETNS (and undoes gso_max_segs)
#   impair_bridge_start IF_A IF_B [fs_impair OPTIONS]   bridges IF_A <-> IF_B through fs_impair
#   impair_bridge_stop                stops it; its counters are then in $IMPAIR_STATS
#   impair_stat KEY                   one counter of $IMPAIR_STATS (e.g. ba_reordered)
#
# PCT: 0..100 with at most two decimals (0.5). All rules live in one nftables table per namespace,
# "netdev fs_impair", one base chain per kind and interface. They match IPv4 and IPv6 only: ARP is
# never impaired, so neighbours resolve promptly.
#
# Where each impairment sits, and why (checked on kernel 6.x, nftables 1.0.6):
# * Loss on the RECEIVING host's ingress: there the packets have the size of the wire (MTU). On the
#   sending host's egress, TCP hands over GSO packets of up to 64 KB (TCP always builds them; the
#   segmentation happens after the egress hook, even with TSO/GSO off), so drops come in bursts.
# * Duplication on the SENDING host's egress. `dup to IFACE` at ingress transmits the copy out of
#   IFACE, back to the sender; nftables cannot hand a copy to the local stack. At egress two things
#   need care, both measured:
#   - the copy is transmitted with dev_queue_xmit() and so passes the egress hook again: a plain
#     `dup to eth0` rule at 100% sent 4 copies of each ping instead of 2 (1 + 3 dups, bounded only
#     by the kernel's dup recursion limit). The rule sets a mark bit (IMPAIR_MARK) before `dup`, so
#     the copy, which inherits it, is not duplicated again. The mark is scrubbed when a packet
#     crosses into another namespace over veth.
#   - GSO: the egress hook sees 64 KB TCP packets (83 of 83 data packets of a 5 MB transfer were
#     > 1514 bytes), so 1% would duplicate 1% of 40-segment bursts. impair_nft_dup sets the
#     interface's gso_max_segs to 1, after which TCP builds one-MSS packets (3640 of 3640 were
#     <= 1514 bytes); impair_nft_clear puts the old value back. gso_max_segs is read when a
#     connection starts: set up the rule before opening the connections it should affect.
#   The netdev egress hook needs kernel >= 5.16.
# * Reordering needs something that holds packets back: fs_impair (tests/tools/fs_impair.c), an
#   AF_PACKET bridge between two root-side veth ends. impair_bridge_start turns GRO/GSO/TSO and TX
#   checksum offload off on both (else fs_impair reads merged > MTU frames or partial checksums);
#   their peers need TX checksum offload off too (deploy/lib/netns.sh does that for its hosts).
#
# impair_bridge_start writes fs_impair.log and fs_impair.stats into $IMPAIR_DIR (default: $run,
# the private directory of e2e_lib.sh); it sets IMPAIR_PID, IMPAIR_LOG and IMPAIR_STATS. The binary
# is $FS_IMPAIR_BIN, else $FS_BUILD_DIR/bin/fs_impair, else build/bin/fs_impair. Do not pass
# --stats.

IMPAIR_TABLE=fs_impair
IMPAIR_MARK=0x40000000
IMPAIR_PID=
declare -gA _impair_gso=() # "NETNS IFACE" -> gso_max_segs before impair_nft_dup

_impair_err() {
	echo "impair_lib.sh: $*" >&2
}

# _impair_numgen PCT — prints the nftables match for "PCT% of the packets".
_impair_numgen() {
	local pct=$1 whole frac
	if [[ $pct =~ ^[0-9]{1,3}$ ]] && ((10#$pct <= 100)); then
		echo "numgen random mod 100 < $((10#$pct))"
	elif [[ $pct =~ ^([0-9]{1,3})\.([0-9]{1,2})$ ]]; then
		whole=${BASH_REMATCH[1]}
		frac=${BASH_REMATCH[2]}
		[[ ${#frac} -eq 1 ]] && frac+=0
		if ((10#$whole * 100 + 10#$frac > 10000)); then
			_impair_err "percentage '$pct' above 100"
			return 1
		fi
		echo "numgen random mod 10000 < $((10#$whole * 100 + 10#$frac))"
	else
		_impair_err "bad percentage '$pct' (0..100, at most two decimals)"
		return 1
	fi
}

# _impair_chain KIND IFACE — chain name for one kind of impairment on one interface.
_impair_chain() {
	echo "${1}_${2//[^A-Za-z0-9_]/_}"
}

# _impair_args NETNS IFACE PCT — checks the common arguments.
_impair_args() {
	if [[ $# -ne 3 || -z $1 || -z $2 ]]; then
		_impair_err "usage: impair_nft_loss|impair_nft_dup NETNS IFACE PCT"
		return 1
	fi
	if ! ip -n "$1" link show dev "$2" >/dev/null 2>&1; then
		_impair_err "no interface '$2' in netns '$1'"
		return 1
	fi
}

# _impair_install NETNS IFACE KIND HOOK RULE — (re)creates chain KIND_IFACE with one rule.
_impair_install() {
	local netns=$1 iface=$2 chain
	chain=$(_impair_chain "$3" "$iface")
	ip netns exec "$netns" nft add table netdev "$IMPAIR_TABLE" || return 1
	if ip netns exec "$netns" nft list chain netdev "$IMPAIR_TABLE" "$chain" >/dev/null 2>&1; then
		ip netns exec "$netns" nft delete chain netdev "$IMPAIR_TABLE" "$chain" || return 1
	fi
	ip netns exec "$netns" nft -f - <<EOF
table netdev $IMPAIR_TABLE {
	chain $chain {
		type filter hook $4 device "$iface" priority 0; policy accept;
		$5
	}
}
EOF
}

# impair_nft_loss NETNS IFACE PCT — drops PCT% of the IP packets arriving on IFACE in NETNS.
impair_nft_loss() {
	local match
	_impair_args "$@" || return 1
	match=$(_impair_numgen "$3") || return 1
	_impair_install "$1" "$2" loss ingress "meta protocol { ip, ip6 } $match counter drop"
}

# _impair_kernel_has_egress — netdev egress hook: kernel >= 5.16.
_impair_kernel_has_egress() {
	local major minor
	IFS=. read -r major minor _ < <(uname -r)
	((major > 5 || (major == 5 && ${minor%%[!0-9]*} >= 16)))
}

# impair_nft_dup NETNS IFACE PCT — sends PCT% of the IP packets leaving IFACE in NETNS twice
# (see the header: on egress, with a mark against re-duplication, and gso_max_segs 1).
impair_nft_dup() {
	local netns=$1 iface=$2 match segs guard
	_impair_args "$@" || return 1
	match=$(_impair_numgen "$3") || return 1
	if ! _impair_kernel_has_egress; then
		_impair_err "netdev egress hook needs kernel >= 5.16, this is $(uname -r)"
		return 1
	fi
	if [[ -z ${_impair_gso["$netns $iface"]+x} ]]; then
		segs=$(ip -n "$netns" -d link show dev "$iface" |
			awk '{for (i = 1; i < NF; i++) if ($i == "gso_max_segs") {print $(i + 1); exit}}')
		[[ -n $segs ]] || segs=65535
		_impair_gso["$netns $iface"]=$segs
	fi
	ip -n "$netns" link set dev "$iface" gso_max_segs 1 || return 1
	guard="meta mark & $IMPAIR_MARK == 0"
	_impair_install "$netns" "$iface" dup egress "meta protocol { ip, ip6 } $guard $match \
meta mark set meta mark | $IMPAIR_MARK counter dup to \"$iface\""
}

# impair_nft_count NETNS loss|dup IFACE — prints how many packets the rule dropped or duplicated.
impair_nft_count() {
	local chain
	chain=$(_impair_chain "$2" "$3")
	ip netns exec "$1" nft list chain netdev "$IMPAIR_TABLE" "$chain" |
		awk '{for (i = 1; i < NF; i++) if ($i == "counter" && $(i + 1) == "packets") {
			print $(i + 2); exit}}'
}

# impair_nft_clear NETNS — removes the fs_impair table of NETNS and restores gso_max_segs of the
# interfaces impair_nft_dup changed there. Silent and successful if there is nothing to remove.
impair_nft_clear() {
	local netns=${1:-} key rc=0
	if [[ -z $netns ]]; then
		_impair_err "usage: impair_nft_clear NETNS"
		return 1
	fi
	if ip netns exec "$netns" nft list table netdev "$IMPAIR_TABLE" >/dev/null 2>&1; then
		ip netns exec "$netns" nft delete table netdev "$IMPAIR_TABLE" || rc=1
	fi
	for key in "${!_impair_gso[@]}"; do
		[[ ${key%% *} == "$netns" ]] || continue
		ip -n "$netns" link set dev "${key#* }" gso_max_segs "${_impair_gso[$key]}" \
			2>/dev/null || true # the interface may be gone with its namespace
		unset "_impair_gso[$key]"
	done
	return $rc
}

# impair_bridge_start IF_A IF_B [OPTIONS] — starts fs_impair between IF_A and IF_B (root
# namespace) and waits until it is ready. OPTIONS go to fs_impair (--reorder, --depth, ...).
impair_bridge_start() {
	local if_a=${1:-} if_b=${2:-} top bin dir i
	if [[ $# -lt 2 ]]; then
		_impair_err "usage: impair_bridge_start IF_A IF_B [fs_impair OPTIONS]"
		return 1
	fi
	if [[ -n $IMPAIR_PID ]]; then
		_impair_err "fs_impair already runs (pid $IMPAIR_PID): impair_bridge_stop first"
		return 1
	fi
	shift 2
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	bin=${FS_IMPAIR_BIN:-${FS_BUILD_DIR:-$top/build}/bin/fs_impair}
	dir=${IMPAIR_DIR:-${run:-}}
	if [[ ! -x $bin ]]; then
		_impair_err "no $bin (cmake --build BUILD_DIR --target fs_impair)"
		return 1
	fi
	if [[ -z $dir || ! -d $dir ]]; then
		_impair_err "set IMPAIR_DIR to a directory for fs_impair's log and counters"
		return 1
	fi
	for i in "$if_a" "$if_b"; do
		ethtool -K "$i" tx off gro off gso off tso off >/dev/null || return 1
	done
	IMPAIR_LOG=$dir/fs_impair.log
	IMPAIR_STATS=$dir/fs_impair.stats
	rm -f "$IMPAIR_STATS"
	"$bin" --stats "$IMPAIR_STATS" "$@" "$if_a" "$if_b" >"$IMPAIR_LOG" 2>&1 &
	IMPAIR_PID=$!
	for _ in $(seq 50); do
		grep -q "^fs_impair: ready" "$IMPAIR_LOG" && return 0
		if ! kill -0 "$IMPAIR_PID" 2>/dev/null; then
			wait "$IMPAIR_PID" 2>/dev/null || true
			IMPAIR_PID=
			_impair_err "fs_impair did not start: $(cat "$IMPAIR_LOG")"
			return 1
		fi
		sleep 0.1
	done
	_impair_err "fs_impair not ready after 5 s: $(cat "$IMPAIR_LOG")"
	impair_bridge_stop
	return 1
}

# impair_bridge_stop — stops fs_impair (SIGTERM, then SIGKILL after 5 s); it writes its final
# counters to $IMPAIR_STATS. Successful if it does not run.
impair_bridge_stop() {
	[[ -n $IMPAIR_PID ]] || return 0
	if ! declare -F fs_stop_pid >/dev/null; then
		# shellcheck source=deploy/lib/netns.sh
		. "$(dirname "${BASH_SOURCE[0]}")/../../../deploy/lib/netns.sh"
	fi
	fs_stop_pid "$IMPAIR_PID" 5 || return 1
	IMPAIR_PID=
}

# impair_stat KEY — prints counter KEY (e.g. ba_reordered) from $IMPAIR_STATS.
impair_stat() {
	awk -v k="$1" '$1 == k {print $2; found = 1} END {exit !found}' "${IMPAIR_STATS:?}"
}

# impair_path NS REORDER_PCT SEED LOG — puts fs_impair between host a of fs_ns_create NS and
# flowmgr: a.eth0 == NS-pa [fs_impair, reordering REORDER_PCT % both ways] NS-qa == NS-qb, where
# NS-qb is the interface flowmgr's p0 must use. impair_path_remove NS undoes it.
impair_path() {
	local ns=$1 pct=$2 seed=$3 log=$4 i
	ip link add "$ns-qa" mtu 1500 type veth peer name "$ns-qb" mtu 1500 || return 1
	for i in "$ns-qa" "$ns-qb"; do
		sysctl -q -w "net.ipv6.conf.$i.disable_ipv6=1" 2>/dev/null || true
		ip link set "$i" up || return 1
		ethtool -K "$i" tx off gro off gso off tso off >/dev/null || return 1
	done
	impair_bridge_start "$ns-pa" "$ns-qa" --reorder "$pct" --depth 3 --seed "$seed" >"$log" 2>&1
}

impair_path_remove() {
	impair_bridge_stop >/dev/null 2>&1 || true
	ip link del "$1-qa" 2>/dev/null || true
}
