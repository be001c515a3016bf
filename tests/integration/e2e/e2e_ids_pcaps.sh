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
	local c=$1 action=$2 n
	n=$(tshark -r "$run/cases/$c.pcap" 2>/dev/null | wc -l)
	cat >"$run/chain.yaml" <<YAML
name: ids-pcap
ports:
  - {name: p0, dev: "net_pcap0,rx_pcap=$run/cases/$c.pcap,tx_pcap=$run/$c.p0.pcap"}
  - {name: p1, dev: "net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=$run/$c.p1.pcap"}
vnfs:
  - name: ids
    exec: ids
    args: ["--rules", "$top/tests/tools/ids_rules.txt", "--action", "$action",
           "--alerts", "$run/$c.alerts", "--report", "$run/$c.report"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 256
    timeout_ms: 2000
    flags: [in_order]
    policy: drop
YAML
	pcap_vnf_file "$run/$c.alerts"
	pcap_replay "$run/chain.yaml" "$n"
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
