#!/usr/bin/env bash
# Integration: segmentation independence of the stream layer. One client->server TCP stream
# (tests/tools/mkseg_pcaps.py: ~3 KB with 12 "ATTACK"s, at the start, the end, back to back,
# behind a prefix "ATT"; ISN just below 2^32 so the stream wraps) is replayed into flowmgr three
# ways — in 1448-byte segments, in 1-byte segments, and in 1-byte segments out of order (each
# window of 8 shuffled) — through the chain ids -> rewrite (both `in_order`; rewrite `resize`).
# For each of mask, remove and replace (a 60-byte string), and each segmentation:
#   * the ids alerts exactly once per occurrence (12), the same for every segmentation;
#   * the stream that leaves flowmgr (reassembled by sequence number from the output pcap) is
#     byte for byte the offline transformation (rw_offline) of the payload, with the FIN right
#     after it.
set -euo pipefail
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh"
pcap_init e2e_stream_segments fsg
python3 "$top/tests/tools/mkseg_pcaps.py" "$run/cases" >"$run/gen.txt" || fail "mkseg_pcaps.py"
want_alerts=$(python3 -c "print(open('$run/cases/payload.bin','rb').read().count(b'ATTACK'))")
printf 'alert tcp any any -> any any (msg:"ATTACK"; content:"ATTACK"; sid:1; rev:1;)\n' \
	>"$run/rules.txt"

# replay CASE MODE ARGS... -> $run/out.pcap (what left through p1), $run/alerts
replay() {
	local c=$1 n
	shift
	n=$(tshark -r "$run/cases/$c.pcap" 2>/dev/null | wc -l)
	{
		echo "name: stream-segments"
		echo "ports:"
		echo "  - {name: p0, dev: \"net_pcap0,rx_pcap=$run/cases/$c.pcap,tx_pcap=$run/back.pcap\"}"
		echo "  - {name: p1, dev: \"net_pcap1,rx_pcap=$run/empty.pcap,tx_pcap=$run/out.pcap\"}"
		echo "vnfs:"
		echo "  - name: ids"
		echo "    exec: ids"
		echo "    args: [\"--rules\", \"$run/rules.txt\", \"--alerts\", \"$run/alerts\"]"
		echo "    class: \"tcp\""
		echo "    session: \"5tuple\""
		echo "    scratchpad: 256"
		echo "    flags: [in_order]"
		echo "  - name: rw"
		echo "    exec: rewrite"
		printf '    args: ['
		local sep=""
		for a in "$@"; do
			printf '%s"%s"' "$sep" "$a"
			sep=", "
		done
		echo "]"
		echo "    class: \"tcp\""
		echo "    session: \"5tuple\""
		echo "    scratchpad: 512"
		echo "    flags: [in_order, resize]"
		echo "graph:"
		echo "  input: [ids]"
		echo "  ids: [rw]"
		echo "  rw: [output]"
	} >"$run/chain.yaml"
	pcap_vnf_file "$run/alerts"
	pcap_replay "$run/chain.yaml" "$n"
}

long=$(printf 'L%.0s' $(seq 60))
for mode in mask remove replace; do
	case $mode in
	mask) args=(--mask ATTACK) ;;
	remove) args=(--remove ATTACK) ;;
	replace) args=(--replace "ATTACK=$long") ;;
	esac
	"$bin/rw_offline" "${args[@]}" <"$run/cases/payload.bin" >"$run/want.bin"
	for c in whole bytes shuffled; do
		replay "$c" "${args[@]}"
		tshark -r "$run/out.pcap" -Y "tcp.srcport == 40000" -T fields -E separator=' ' \
			-e tcp.seq_raw -e tcp.flags.syn -e tcp.flags.fin -e tcp.payload \
			>"$run/out.txt" 2>/dev/null
		python3 - "$run/out.txt" "$run/want.bin" "$mode/$c" <<'PY' || fail "$mode/$c: output stream differs from rw_offline"
import sys
want = open(sys.argv[2], "rb").read()
isn, segs, fin = None, {}, None
for line in open(sys.argv[1]):
    f = line.split()
    seq, syn, fin_flag = int(f[0]), f[1] == "1", f[2] == "1"
    data = bytes.fromhex(f[3].replace(":", "")) if len(f) > 3 else b""
    if syn:
        isn = seq
        continue
    off = (seq - isn - 1) & 0xFFFFFFFF
    for i, b in enumerate(data):
        if segs.setdefault(off + i, b) != b:
            sys.exit("%s: byte %d sent twice with different values" % (sys.argv[3], off + i))
    if fin_flag:
        fin = off + len(data)
got = bytes(segs.get(i, 0) for i in range(len(segs)))
if sorted(segs) != list(range(len(segs))):
    sys.exit("%s: holes in the output stream" % sys.argv[3])
if got != want:
    k = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
    sys.exit("%s: %d bytes out, %d wanted, first difference at %s" % (sys.argv[3], len(got),
                                                                       len(want), k))
if fin != len(want):
    sys.exit("%s: FIN at %s, stream ends at %d" % (sys.argv[3], fin, len(want)))
PY
		alerts=$(wc -l <"$run/alerts")
		[[ $alerts -eq $want_alerts ]] ||
			fail "$mode/$c: the ids alerted $alerts times, $want_alerts occurrences"
		echo "e2e_stream_segments: $mode/$c: output = rw_offline ($(stat -c %s "$run/want.bin")" \
			"bytes), $alerts alerts"
	done
done
echo "e2e_stream_segments: 1 passed, 0 failed"
