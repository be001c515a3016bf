#!/usr/bin/env bash
# End to end: the impairment tools themselves (tests/tools/fs_impair.c, impair_lib.sh), which the
# stream-layer tests use to inject reordering, loss and duplication (this kernel has no netem).
#
#   netns fsi-a                   root netns                        netns fsi-b
#   eth0 198.19.0.1 ==veth== fsi-pa <- fs_impair -> fsi-pb ==veth== eth0 198.19.0.2
#   curl (receiver)               reorder 5%, depth 3               python3 http.server (sender)
#   nft: 1% loss on ingress                                         nft: 1% dup on egress
#
# Checks:
#   * fs_impair refuses a bad interface name with a clear message, and does not spin when idle;
#   * a 20 MB download through the impaired path is byte-exact (sha256);
#   * fs_impair reordered frames of the data direction (ba_reordered > 0), saw no frame longer
#     than 1514 bytes and none with a partial checksum;
#   * the nftables rules dropped and duplicated packets (counters > 0);
#   * the receiving host queued out-of-order segments (TcpExtTCPOFOQueue > 0, nstat in fsi-a).
# Loss sits on the receiver's ingress and duplication on the sender's egress, as impair_lib.sh
# explains; both act on the data direction (b -> a). IMPAIR_E2E_NFT=0 leaves them out.
# Needs root, iproute2, ethtool, nftables, curl, python3; not DPDK.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
bin=${FS_BUILD_DIR:-$top/build}/bin
name=e2e_impair_tool
# shellcheck source=deploy/lib/netns.sh
. "$top/deploy/lib/netns.sh"
# shellcheck source=tests/integration/e2e/impair_lib.sh
. "$here/impair_lib.sh"

ns=fsi
# The 198.19.0.0/16 half of 198.18.0.0/15, away from the flowmgr tests' 198.18.0.0/24.
FS_NS_IP_A=198.19.0.1
FS_NS_IP_B=198.19.0.2
a=$FS_NS_IP_A
b=$FS_NS_IP_B
size_mb=20
port=8080
nft_on=${IMPAIR_E2E_NFT:-1}
run=$(mktemp -d "/tmp/$ns.XXXXXX")
IMPAIR_DIR=$run
http_pid=

cleanup() {
	set +e
	[[ -n $http_pid ]] && fs_stop_pid "$http_pid" 5
	impair_bridge_stop
	impair_nft_clear "$ns-a" 2>/dev/null
	impair_nft_clear "$ns-b" 2>/dev/null
	fs_ns_destroy "$ns"
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "$name: FAILED: $*" >&2
	[[ -f $run/fs_impair.log ]] && tail -n 40 "$run/fs_impair.log" >&2
	[[ -f $run/http.log ]] && tail -n 5 "$run/http.log" >&2
	echo "$name: 0 passed, 1 failed"
	exit 1
}

# nstat_get NETNS COUNTER — absolute value (a fresh namespace starts at 0; history untouched).
nstat_get() {
	ip netns exec "$1" nstat -asz "$2" |
		awk -v k="$2" '$1 == k {print $2; f = 1} END {if (!f) print 0}'
}

# report_dir ab|ba WHAT — prints fs_impair's counters of one direction (from array st).
report_dir() {
	local k line="$name: fs_impair $1 ($2):"
	for k in rx forwarded reordered delayed max_len sock_drops tx_errors; do
		line+=" $k ${st[${1}_$k]}"
	done
	echo "$line"
}

# cpu_ticks PID — user + system time of PID, in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

[[ -x $bin/fs_impair ]] || fail "no $bin/fs_impair (cmake --build BUILD_DIR --target fs_impair)"
for tool in nft curl python3 ethtool nstat sha256sum; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done

# A bad interface name: exit status 2 and a message naming it.
rc=0
"$bin/fs_impair" fsi-nosuch fsi-nosuch2 >"$run/bad.log" 2>&1 || rc=$?
if [[ $rc -ne 2 ]] || ! grep -q "no interface 'fsi-nosuch'" "$run/bad.log"; then
	fail "bad interface name: exit $rc, said: $(cat "$run/bad.log")"
fi

fs_ns_create "$ns" || fail "cannot create namespaces $ns-a, $ns-b"
for side in a b; do
	# TX checksum offload is off already (fs_ns_create); TSO/GSO off as well, so that whatever
	# the hosts send reaches the bridge MTU-sized.
	ip netns exec "$ns-$side" ethtool -K eth0 tx off tso off gso off >/dev/null
done

impair_bridge_start "$ns-pa" "$ns-pb" --reorder 5 --depth 3 --seed 42 ||
	fail "fs_impair did not start"
pid=$IMPAIR_PID
# Idle: no busy spin (ppoll sleeps). One second may cost at most a couple of ticks.
t0=$(cpu_ticks "$pid")
sleep 1
idle=$(($(cpu_ticks "$pid") - t0))
[[ $idle -le 2 ]] || fail "fs_impair used $idle clock ticks in 1 s of idleness"

ip netns exec "$ns-a" ping -c 3 -i 0.2 -W 1 "$b" >"$run/ping.log" 2>&1 ||
	fail "no ping $a -> $b through fs_impair: $(tail -n 2 "$run/ping.log")"

mkdir "$run/www"
head -c $((size_mb << 20)) /dev/urandom >"$run/www/blob.bin"
want=$(sha256sum <"$run/www/blob.bin" | cut -d' ' -f1)
ip netns exec "$ns-b" python3 -m http.server "$port" --bind "$b" --directory "$run/www" \
	>"$run/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 50); do
	ip netns exec "$ns-b" ss -Hltn "sport = :$port" | grep -q . && break
	sleep 0.1
done
ip netns exec "$ns-b" ss -Hltn "sport = :$port" | grep -q . || fail "http.server did not listen"

# Set up after the probes and before the download: impair_nft_dup's gso_max_segs 1 applies to
# connections opened afterwards.
if [[ $nft_on == 1 ]]; then
	impair_nft_loss "$ns-a" eth0 1 || fail "impair_nft_loss"
	impair_nft_dup "$ns-b" eth0 1 || fail "impair_nft_dup"
fi
ofo0=$(nstat_get "$ns-a" TcpExtTCPOFOQueue)

start=$(date +%s.%N)
ip netns exec "$ns-a" curl -sS --noproxy '*' --max-time 300 -o "$run/got.bin" \
	"http://$b:$port/blob.bin" 2>"$run/curl.log" || fail "curl: $(cat "$run/curl.log")"
end=$(date +%s.%N)
got=$(sha256sum <"$run/got.bin" | cut -d' ' -f1)
[[ $got == "$want" ]] || fail "download differs: sha256 $got, want $want ($(stat -c %s \
	"$run/got.bin") bytes)"

# Receiver (a) and sender (b) TCP counters.
ofo=$(($(nstat_get "$ns-a" TcpExtTCPOFOQueue) - ofo0))
dsack_sent=$(nstat_get "$ns-a" TcpExtTCPDSACKOldSent)
sack_reorder=$(nstat_get "$ns-b" TcpExtTCPSACKReorder)
ts_reorder=$(nstat_get "$ns-b" TcpExtTCPTSReorder)
retrans=$(nstat_get "$ns-b" TcpRetransSegs)
dsack_recv=$(nstat_get "$ns-b" TcpExtTCPDSACKRecv)
if [[ $nft_on == 1 ]]; then
	lost=$(impair_nft_count "$ns-a" loss eth0)
	dups=$(impair_nft_count "$ns-b" dup eth0)
fi

impair_bridge_stop || fail "fs_impair did not stop"
[[ -s $IMPAIR_STATS ]] || fail "fs_impair wrote no $IMPAIR_STATS"
declare -A st
for key in rx forwarded reordered delayed oversize csum_partial max_len sock_drops tx_errors; do
	for dir in ab ba; do
		st[${dir}_$key]=$(impair_stat "${dir}_$key") || fail "no ${dir}_$key in $IMPAIR_STATS"
	done
done

secs=$(echo "$start $end" | awk '{printf "%.2f", $2 - $1}')
mbit=$(echo "$start $end $size_mb" | awk '{printf "%.0f", $3 * 8 * 1.048576 / ($2 - $1)}')
echo "$name: $size_mb MB in $secs s ($mbit Mbit/s), sha256 identical"
report_dir ba data
report_dir ab acks
[[ $nft_on == 1 ]] && echo "$name: nft: $lost dropped on $ns-a ingress, $dups duplicated on" \
	"$ns-b egress"
echo "$name: receiver $ns-a: TcpExtTCPOFOQueue $ofo TcpExtTCPDSACKOldSent $dsack_sent"
echo "$name: sender $ns-b: TcpExtTCPSACKReorder $sack_reorder TcpExtTCPTSReorder $ts_reorder" \
	"TcpRetransSegs $retrans TcpExtTCPDSACKRecv $dsack_recv"

[[ ${st[ba_reordered]} -gt 0 ]] || fail "fs_impair reordered no data frame"
for dir in ab ba; do
	[[ ${st[${dir}_oversize]} -eq 0 && ${st[${dir}_max_len]} -le 1514 ]] ||
		fail "frames longer than the MTU reached fs_impair ($dir max_len ${st[${dir}_max_len]})"
done
[[ $((st[ab_csum_partial] + st[ba_csum_partial])) -eq 0 ]] ||
	fail "frames with partial checksums reached fs_impair (TX checksum offload on?)"
[[ $ofo -gt 0 ]] || fail "the receiver queued no out-of-order segment (TcpExtTCPOFOQueue 0)"
if [[ $nft_on == 1 ]]; then
	[[ ${lost:-0} -gt 0 ]] || fail "the nft loss rule dropped nothing"
	[[ ${dups:-0} -gt 0 ]] || fail "the nft dup rule duplicated nothing"
fi
echo "$name: 1 passed, 0 failed"
