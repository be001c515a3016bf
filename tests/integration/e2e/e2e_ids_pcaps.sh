#!/usr/bin/env bash
# Integration: the ids VNF behind flowmgr's TCP context, on the pcap suite of
# tests/tools/mkids_pcaps.py (the word split across 2..6 segments, out-of-order segments,
# overlapping retransmissions with different data, sequence wrap, RST before ACK, two
# occurrences in one segment, both directions, a drop rule). Each case is replayed into flowmgr
# (net_pcap port) through a chain `ids` with `in_order`; the alerts per rule must equal
# expected.txt exactly (one per occurrence, whatever the segmentation and order: the
# segmentation-independence check of the ids). The drop-rule case must close the connection:
# the packet is dropped and one RST leaves towards each end (the output pcaps of both ports).
set -euo pipefail
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh"
pcap_init e2e_ids_pcaps fsp
python3 "$top/tests/tools/mkids_pcaps.py" "$run/cases" >/dev/null || fail "mkids_pcaps.py"

# run_case CASE ACTION -> alerts in $run/CASE.alerts, output pcaps $run/CASE.p{0,1}.pcap
run_case() {
	pcap_ids_run ids-pcap "$run/cases/$1.pcap" "$run/$1" "$2"
}

bad=0
cases=$(awk '!/^#/ {print $1}' "$run/cases/expected.txt" | sort -u)
for c in $cases; do
	run_case "$c" alert
	while read -r cs sid want; do
		got=$(grep -c "sid=$sid " "$run/$c.alerts" || true)
		if [[ $got -ne $want ]]; then
			echo "e2e_ids_pcaps: $c: sid $sid: $got alerts, expected $want" >&2
			bad=$((bad + 1))
		fi
	done < <(awk -v c="$c" '$1 == c' "$run/cases/expected.txt")
done
[[ $bad -eq 0 ]] || fail "$bad alert counts differ from expected.txt"
echo "e2e_ids_pcaps: $(echo "$cases" | wc -w) cases: alerts per rule equal to expected.txt"

# The drop rule closes: the packet with the word is not forwarded, one RST towards each end.
rst0=$(tshark -r "$run/drop_rule.p0.pcap" -Y "tcp.flags.reset == 1" 2>/dev/null | wc -l)
rst1=$(tshark -r "$run/drop_rule.p1.pcap" -Y "tcp.flags.reset == 1" 2>/dev/null | wc -l)
kill_out=$(tshark -r "$run/drop_rule.p1.pcap" -Y 'tcp.payload contains "KILLME" or
	tcp.payload contains "killme"' 2>/dev/null | wc -l)
echo "e2e_ids_pcaps: drop rule: RST out of p0 $rst0, out of p1 $rst1, word forwarded $kill_out"
[[ $rst0 -ge 1 && $rst1 -ge 1 ]] || fail "drop rule: no RST towards both ends"
[[ $kill_out -eq 0 ]] || fail "drop rule: the packet with the word went through"
echo "e2e_ids_pcaps: 1 passed, 0 failed"
