#!/usr/bin/env bash
# End to end, differential: the stream a VNF inspects is exactly the stream the receiving Linux
# application reads (issue 13 item 4, docs/streams.md "Normalization"). Host a plays, with a raw
# socket (tests/tools/fs_tcpdiff send: its own handshakes; its kernel's RSTs are dropped by
# nftables), E2E_DIFF_CASES seeded random cases, one connection each: random streams cut in random
# pieces, reordered, with conflicting overlaps of every shape, duplicates, probes, urgent
# pointers, SYN data, FIN with data, data past the FIN, ISNs near 2^32, and (1 in 8) an RST where
# the receiver expects the next byte followed by more data, and (1 in 48) a zero-window case:
# port 9001, a 2 KB receive buffer whose application reads only 300 ms after the accept, so that
# the receiver drops part of the plan and the sender probes the closed window with other bytes.
# Host b is a plain Linux TCP receiver (fs_tcpdiff recv) that records what its application read. Between them flowmgr runs the
# in_order VNF record_vnf, which records the stream it sees. For every case: the recorded bytes
# equal the bytes read, and the case completed (its FIN acknowledged, or its RST sent). On failure
# the seed and the failing case's plan are printed; E2E_DIFF_SEED=S E2E_DIFF_ONLY=CASE replays one.
#
# IPv4 and IPv6: the same cases (the same seed, the same plans) play over IPv4 (198.18.x) and then
# over IPv6 (fd00:6::1 -> fd00:6::2; every 4th IPv6 case with a destination options header
# between the IPv6 and TCP headers), E2E_DIFF_CASES each. E2E_DIFF_V6=0 plays IPv4 only.
set -euo pipefail
v6=${E2E_DIFF_V6:-1}
[[ $v6 == 1 ]] && export FS_NS_IPV6=1
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_stream_diff fsdt
E2E_FAIL_FILES=("$run/tcp-progress.log")
seed=${E2E_DIFF_SEED:-20261206}
cases=${E2E_DIFF_CASES:-4000}
par=${E2E_DIFF_PAR:-8}
port=9000
mark=0x5a

# host a: its kernel has no socket for the raw connections and would answer the SYN-ACKs with
# RSTs; only the sender's own RSTs (SO_MARK) leave
ip netns exec "$ns-a" nft -f - <<NFT || e2e_fail "nftables in host a"
table inet fsdt {
	chain out {
		type filter hook output priority 0;
		tcp flags & rst == rst meta mark != $mark drop
	}
}
NFT
if [[ $v6 == 1 ]]; then
	a6=fd00:6::1 b6=fd00:6::2
	ip -n "$ns-a" addr add "$a6/64" dev eth0 nodad
	ip -n "$ns-b" addr add "$b6/64" dev eth0 nodad
fi

cat >"$run/chain.yaml" <<YAML
name: stream-diff
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
vnfs:
  - name: rec
    exec: record_vnf
    args: ["--out", "$run/rec.bin"]
    class: "tcp"
    session: "5tuple"
    scratchpad: 64
    timeout_ms: 30000
    flags: [in_order]
    policy: drop
graph:
  input:
    - {match: "tcp", to: rec}
    - output
  rec: [output]
YAML
e2e_flowmgr "$run/chain.yaml"
e2e_tcp_progress "$run/tcp-progress.log"

# one round: FAMILY SRC DST FIRST_SPORT
round() {
	local fam=$1 src=$2 dst=$3 sport=$4 dir=$run/rcv$1 i n first only
	mkdir -p "$dir"
	ip netns exec "$ns-b" "$bin/fs_tcpdiff" recv --bind "$dst" --port "$port" --dir "$dir" \
		>"$run/recv$fam.log" 2>&1 &
	pids+=("$!")
	sleep 0.3
	local spids=()
	if [[ -n ${E2E_DIFF_ONLY:-} ]]; then
		only=(--first "$E2E_DIFF_ONLY" --cases 1)
		ip netns exec "$ns-a" "$bin/fs_tcpdiff" send --src "$src" --dst "$dst" --port "$port" \
			--sport "$sport" --seed "$seed" "${only[@]}" --log "$run/cases$fam.0" \
			--mark "$mark" 2>>"$run/send$fam.log" &
		spids+=("$!")
	else
		n=$(((cases + par - 1) / par))
		for ((i = 0; i < par; i++)); do
			first=$((i * n))
			((first + n > cases)) && n=$((cases - first))
			((n > 0)) || break
			ip netns exec "$ns-a" "$bin/fs_tcpdiff" send --src "$src" --dst "$dst" \
				--port "$port" --sport "$sport" --seed "$seed" --first "$first" \
				--cases "$n" --log "$run/cases$fam.$i" --mark "$mark" \
				2>>"$run/send$fam.log" &
			spids+=("$!")
		done
	fi
	local bad=0
	for p in "${spids[@]}"; do wait "$p" || bad=1; done
	[[ $bad -eq 0 ]] || echo "e2e_stream_diff: IPv$fam: some cases did not complete" >&2
	# every receiver socket finished (its .end written)
	local want got
	want=$(cat "$run/cases$fam".* | grep -c '^case ')
	for _ in $(seq 100); do
		got=$(find "$dir" -name 'r*.end' | wc -l)
		[[ $got -ge $want ]] && break
		sleep 0.1
	done
	sleep 0.5 # the VNF flushes its record file after every burst
	python3 - "$run/rec.bin" "$dir" "$seed" "$fam" "$run"/cases"$fam".* <<'PY'
import glob, os, struct, sys
rec, d, seed, fam, logs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
seen = {}
data = open(rec, "rb").read()
i = 0
while i + 10 <= len(data):
    sp, dp, off, n = struct.unpack_from("<HHIH", data, i)
    b = data[i + 10:i + 10 + n]
    i += 10 + n
    if dp not in (9000, 9001):
        continue
    s = seen.setdefault(sp, [bytearray(), 0])
    if off != len(s[0]):
        s[1] += 1  # out of order at the VNF: the platform broke its own promise
    s[0] += b
cases, incomplete, zw = {}, {}, 0
for lf in logs:
    for line in open(lf):
        f = line.split()
        if f[0] == "case":
            cases[int(f[3])] = line.strip()
        elif f[0] == "zero-window":
            zw += 1
        elif f[0] == "incomplete":
            incomplete[int(f[4].rstrip(":"))] = line.strip()
fails = []
for sp, line in sorted(cases.items()):
    try:
        got = open(os.path.join(d, "r%d.bin" % sp), "rb").read()
        end = open(os.path.join(d, "r%d.end" % sp)).read().strip()
    except OSError:
        got, end = None, "no receiver record"
    vnf = bytes(seen.get(sp, [b"", 0])[0])
    why = None
    if got is None:
        why = "the receiver never accepted or never finished (%s)" % end
    elif seen.get(sp, [b"", 0])[1]:
        why = "the VNF saw bytes out of order"
    elif vnf != got:
        k = next((j for j in range(min(len(vnf), len(got))) if vnf[j] != got[j]),
                 min(len(vnf), len(got)))
        why = ("VNF saw %d bytes, the application read %d (%s); first difference at %d: "
               "VNF %r, read %r" % (len(vnf), len(got), end, k, vnf[max(0, k - 8):k + 16],
                                    got[max(0, k - 8):k + 16]))
    elif sp in incomplete and " past-fin " not in line:
        # (data past its own FIN may be taken before the FIN, by Linux as by the chain: the
        # sender's FIN then never fits; it ended the case with an RST, the bytes still agree)
        why = incomplete[sp]
    if why:
        fails.append((line, why))
dst = sum(1 for line in cases.values() if " dstopts " in line)
print("e2e_stream_diff: IPv%s: %d cases, %d differ (%d ended by the sender's RST: data past "
      "its FIN taken first; %d probed a zero window; %d with a destination options header)"
      % (fam, len(cases), len(fails), len(incomplete), zw, dst))
for line, why in fails[:10]:
    print("e2e_stream_diff: FAIL IPv%s seed %s %s\n    %s\n    replay: E2E_DIFF_SEED=%s "
          "E2E_DIFF_ONLY=%s%s" % (fam, seed, line, why, seed, line.split()[1],
                                  "" if fam == "6" else " E2E_DIFF_V6=0"))
sys.exit(1 if fails or not cases else 0)
PY
}

rc=0
t0=$SECONDS
round 4 "$a" "$b" 20000 || rc=1
echo "e2e_stream_diff: IPv4 round in $((SECONDS - t0)) s"
if [[ $v6 == 1 ]]; then
	t0=$SECONDS
	round 6 "$a6" "$b6" 40000 || rc=1
	echo "e2e_stream_diff: IPv6 round in $((SECONDS - t0)) s"
fi
for c in tcp_trimmed tcp_replayed tcp_held tcp_dup_dropped tcp_urg_cleared tcp_after_end_drops; do
	printf '%s=%s ' "$c" "$(e2e_counter "$c" 2>/dev/null || echo -)"
done
echo
[[ $rc -eq 0 ]] || e2e_fail "the VNF's stream and the receiver's differ (seed $seed)"
echo "e2e_stream_diff: 1 passed, 0 failed"
