#!/usr/bin/env bash
# Integration (issue #17, finding 4): IP fragments and hidden transports never bypass a stream
# VNF. The cases of tests/tools/mkfrag_pcaps.py (the word ATTACK cut across IPv4 fragments, in
# and out of order; an 1800-byte segment in fragments, over the 1500-byte MTU once reassembled;
# the segment behind three VLAN tags; over IPv6 behind nine extension headers) are replayed
# into flowmgr (net_pcap ports) through a chain `ids` with `in_order`, twice:
#   fragments: reassemble   the ids alerts on every fragmented word, exactly as expected.txt
#                           says; the reassembled segment reaches the receiver (the word is in
#                           the output pcap); the 1854-byte TCP frame leaves in MTU-sized
#                           segments (TCP context), the 1850-byte UDP datagram (its own path)
#                           cut again into fragments of at most the 1500-byte MTU, every byte;
#                           the hidden transports are dropped and counted (drop_l4_hidden)
#   (default: drop)         no alert, every fragment counted in drop_frag, no fragment and no
#                           byte of the word leaves: nothing is delivered uninspected
#   fragments: pass         (frag2 only) the explicit bypass: classified as they are, counted in
#                           frag_passed, and indeed not seen by the ids
# FS_FRAG_POLICIES="default" runs the second half only (e.g. against a build without the
# `fragments:` key, to see that it fails there).
set -euo pipefail
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh"
pcap_init e2e_frag_stream fsf
python3 "$top/tests/tools/mkfrag_pcaps.py" "$run/cases" >/dev/null || fail "mkfrag_pcaps.py"

# run_case CASE POLICY -> alerts in $run/CASE.POLICY.alerts, output $run/CASE.POLICY.p1.pcap,
# counters in $run/CASE.POLICY.json ("default" writes no `fragments:` key)
run_case() {
	local c=$1 pol=$2 key=""
	[[ $pol == default ]] || key="fragments: $pol"
	pcap_ids_run frag-stream "$run/cases/$c.pcap" "$run/$c.$pol" alert "$key"
	cp "$run/stats.json" "$run/$c.$pol.json"
}

# counter CASE POLICY NAME -> the value of flowmgr's counter NAME in that run (0 if absent)
counter() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"].get(sys.argv[2], 0))' \
		"$run/$1.$2.json" "$3"
}

# out CASE POLICY FILTER -> frames of the p1 output matching the display filter (IP reassembled)
out() {
	tshark -r "$run/$1.$2.p1.pcap" -Y "$3" 2>/dev/null | wc -l
}

bad=0
check() { # check WHAT CONDITION...
	local what=$1
	shift
	if ! "$@"; then
		echo "e2e_frag_stream: $what" >&2
		bad=$((bad + 1))
	fi
}

word='tcp.payload contains "ATTACK"'
isfrag='ip.flags.mf == 1 or ip.frag_offset > 0'
cases=$(awk '!/^#/ {print $1}' "$run/cases/expected.txt" | sort -u)
for c in $cases; do
	for pol in ${FS_FRAG_POLICIES:-reassemble default}; do
		run_case "$c" "$pol"
		want_pol=$pol
		[[ $pol == default ]] && want_pol=drop
		while read -r _ _ sid want; do
			got=$(grep -c "sid=$sid " "$run/$c.$pol.alerts" || true)
			check "$c $pol: sid $sid: $got alerts, expected $want" [ "$got" -eq "$want" ]
		done < <(awk -v c="$c" -v p="$want_pol" '$1 == c && $2 == p' "$run/cases/expected.txt")
		nfrag=$(tshark -r "$run/cases/$c.pcap" -o ip.defragment:FALSE -Y "$isfrag" 2>/dev/null |
			wc -l)
		words=$(out "$c" "$pol" "$word")
		hidden=$(counter "$c" "$pol" drop_l4_hidden)
		dfrag=$(counter "$c" "$pol" drop_frag)
		echo "e2e_frag_stream: $c $pol: fragments in $nfrag, word delivered $words," \
			"drop_frag $dfrag, drop_l4_hidden $hidden," \
			"reassembled $(counter "$c" "$pol" frag_reassembled)," \
			"refragmented $(counter "$c" "$pol" frag_refragmented)"
		case $c.$pol in
		udp_big.reassemble)
			check "$c: not reassembled" [ "$(counter "$c" "$pol" frag_reassembled)" -eq 1 ]
			check "$c: the datagram did not arrive whole" [ "$(out "$c" "$pol" \
				'udp.length == 1808 and udp.payload contains "ATTACK"')" -eq 1 ]
			;;
		frag*.reassemble)
			check "$c: the receiver did not get the word" [ "$words" -ge 1 ]
			check "$c: not reassembled" [ "$(counter "$c" "$pol" frag_reassembled)" -ge 1 ]
			check "$c: drop_frag $dfrag" [ "$dfrag" -eq 0 ]
			;;
		frag*.default | udp_big.default)
			check "$c: $dfrag of $nfrag fragments counted in drop_frag" [ "$dfrag" -eq "$nfrag" ]
			check "$c: a fragment left" [ "$(out "$c" "$pol" "$isfrag")" -eq 0 ]
			check "$c: the word left uninspected" [ "$words" -eq 0 ]
			;;
		*)
			check "$c $pol: drop_l4_hidden $hidden" [ "$hidden" -eq 1 ]
			check "$c $pol: the word left uninspected" [ "$words" -eq 0 ]
			;;
		esac
	done
done
if [[ -f $run/udp_big.reassemble.json ]]; then
# Nothing left over the 1500-byte MTU; the TCP segment left in MTU-sized segments, all its
# 1800 bytes; the UDP datagram in 2 fragments (refragmented), none over the MTU.
for c in frag_big udp_big; do
	big=$(tshark -r "$run/$c.reassemble.p1.pcap" -T fields -e frame.len 2>/dev/null |
		sort -n | tail -1)
	check "$c: a $big-byte frame left (MTU 1500)" [ "$big" -le 1514 ]
done
sent=$(tshark -r "$run/frag_big.reassemble.p1.pcap" -Y "tcp.srcport == 40000" -T fields \
	-e tcp.len 2>/dev/null | awk '{s += $1} END {print s + 0}')
check "frag_big: $sent of 1800 payload bytes out" [ "$sent" -eq 1800 ]
check "udp_big: not refragmented" [ "$(counter udp_big reassemble frag_refragmented)" -eq 1 ]
check "udp_big: not 2 fragments out" [ "$(counter udp_big reassemble frag_out)" -eq 2 ]
fi
# The explicit bypass is what it says, and counted.
if [[ -z ${FS_FRAG_POLICIES:-} ]]; then
	run_case frag2 pass
	echo "e2e_frag_stream: frag2 pass: frag_passed $(counter frag2 pass frag_passed)," \
		"alerts $(grep -c "sid=1 " "$run/frag2.pass.alerts" || true)," \
		"word delivered $(out frag2 pass "$word")"
	check "frag2 pass: frag_passed" [ "$(counter frag2 pass frag_passed)" -eq 2 ]
	check "frag2 pass: the ids saw the word" [ "$(grep -c "sid=1 " "$run/frag2.pass.alerts" || true)" -eq 0 ]
fi
[[ $bad -eq 0 ]] || fail "$bad checks failed"
echo "e2e_frag_stream: $(echo "$cases" | wc -w) cases x (${FS_FRAG_POLICIES:-reassemble default}) as expected"
echo "e2e_frag_stream: 1 passed, 0 failed"
