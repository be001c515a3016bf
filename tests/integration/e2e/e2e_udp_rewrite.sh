#!/usr/bin/env bash
# End to end: the UDP context of the nfsdk stream API (issue 7, paper Figure 12): rewrite --udp
# removes, masks or replaces by a longer string every "ATTACK" of a UDP session's stream — the
# concatenation of its datagrams' payloads — even across datagrams, and the session's stream ends
# at its idle timeout (2 s here; Figure 12's 300 s in deploy/chains/fig12-udp.yaml).
# Real Linux UDP: a Python sender in host b sends three sessions (ports 7001 remove, 7002 mask,
# 7003 replace by a 20-byte string) of random datagrams with planted words, many cut across 2..6
# datagrams, the last datagram ending in a prefix of the word ("ATTAC"); a Python receiver in
# host a collects the datagrams. Checked for each session:
#   * the concatenation of the received payloads equals rw_offline of the concatenation of the
#     sent ones, byte for byte (the prefix the engine carried at the end arrives after the
#     timeout, in a datagram of its own);
#   * every datagram arrived and was accepted by the receiving kernel (bad UDP checksums are
#     dropped there: UdpInCsumErrors stays 0): received = sent + 1 (the timeout's datagram),
#     datagrams emptied by the carry arrive as empty datagrams;
#   * the stream has not ended right after the last datagram, and has ended (once) after the
#     timeout: rewrite's report counts udp_streams_ended_timeout 1 and udp_timeout_flushes 1,
#     nothing lost or bypassed.
# A fourth session (port 7004, mask) is sent without UDP checksums (SO_NO_CHECK: 0, allowed for
# IPv4): a packet socket in host a sees every datagram of it arrive with checksum 0 still (the
# timeout's flush too), those of port 7002 with one.
# The same chain runs nfs/holdtest on two more sessions (the stream API's hold, edits across
# held datagrams and close on UDP): port 7101 carries delimiters FSU-DELIM (a third cut across
# 2..6 datagrams) that holdtest finds in its window of held datagrams and replaces by a 7-byte
# longer string: the receiver gets exactly the sent stream with every delimiter replaced, in as
# many datagrams as were sent; port 7102 carries FSU-CLOSE in its 150th datagram: holdtest closes
# the stream, the receiver gets a prefix of the stream that ends before the close word and fewer
# datagrams. holdtest's report: the 7101 stream ended at its timeout (ends_timeout 1), the 7102
# one by the close (ends_close 1), no edit failed, nothing held at the end. A second holdtest
# replaces the delimiters of port 7103 by a string of the same length ("fsu+delim"): bytes
# change across held datagrams whose lengths stay, and each such datagram's checksum must follow.
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_udp_rewrite fsu
E2E_FAIL_FILES=("$run/recv.log" "$run/send.log" "$run/rep-rm" "$run/rep-mask" "$run/rep-rep")

rep_str='<ATTACK-WAS-HERE!!!>'
vnf() { # NAME PORT RULE...
	local name=$1 port=$2
	shift 2
	printf '  - name: %s\n    exec: rewrite\n    args: [%s"--udp", "--report", "%s"]\n' \
		"$name" "$(printf '"%s", ' "$@")" "$run/rep-$name"
	printf '    class: "udp dst port %s"\n    session: "5tuple"\n    scratchpad: 528\n' "$port"
	printf '    timeout_ms: 2000\n    policy: drop\n'
}
hold_repl='<FSU-DELIM-SEEN>'
{
	cat <<YAML
name: udp-rewrite
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa,framecnt=4096"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb,framecnt=4096"}
vnfs:
YAML
	vnf rm 7001 --remove ATTACK
	vnf mask 7002 --mask ATTACK
	vnf rep 7003 --replace "ATTACK=$rep_str"
	vnf mask0 7004 --mask ATTACK
	cat <<YAML
  - name: hold
    exec: holdtest
    args: ["--bytes", "4096", "--delim", "FSU-DELIM", "--replace", "$hold_repl",
           "--close-on", "FSU-CLOSE", "--report", "$run/rep-hold"]
    class: "udp dst portrange 7101-7102"
    session: "5tuple"
    scratchpad: 64
    timeout_ms: 2000
    flags: [may_stall, resize]
    policy: drop
  - name: hold2
    exec: holdtest
    args: ["--bytes", "4096", "--delim", "FSU-DELIM", "--replace", "fsu+delim",
           "--report", "$run/rep-hold2"]
    class: "udp dst port 7103"
    session: "5tuple"
    scratchpad: 64
    timeout_ms: 2000
    flags: [may_stall, resize]
    policy: drop
graph:
  input: [rm, mask, rep, mask0, hold, hold2, output]
  mask0: [output]
  hold: [output]
  hold2: [output]
  rm: [output]
  mask: [output]
  rep: [output]
YAML
} >"$run/chain.yaml"
e2e_flowmgr "$run/chain.yaml"

# The sessions' datagrams: random bytes (no 'A', so that every word is a planted one) with
# planted words; a third of the words cut across 2..6 datagrams, the other cuts random.
python3 - "$run" <<'PY'
import os, random, sys
run = sys.argv[1]
rnd = random.Random(int(os.environ.get("E2E_SEED", "12")))
def session(n_dgrams):
    out, words = [], 0
    for _ in range(n_dgrams):
        if rnd.random() < 0.25:  # a word cut into k pieces, each a datagram of its own
            k = rnd.randint(2, 6)
            cuts = sorted(rnd.sample(range(1, 6), k - 1))
            pre = bytes(rnd.choice(b"bcdefghijk -") for _ in range(rnd.randint(0, 40)))
            pieces = [b"ATTACK"[i:j] for i, j in zip([0] + cuts, cuts + [6])]
            pieces[0] = pre + pieces[0]
            out += pieces
            words += 1
            continue
        d = bytearray(rnd.choice(b"bcdefghijkl mnop-") for _ in range(rnd.randint(0, 1200)))
        for _ in range(rnd.randint(0, 3)):  # whole words inside one datagram
            if len(d) > 6:
                p = rnd.randrange(len(d) - 6)
                d[p:p + 6] = b"ATTACK"
        words += d.count(b"ATTACK")
        out.append(bytes(d))
    out.append(b"tail ATTAC")  # the stream ends in a prefix: carried until the timeout
    return out, words
for port in (7001, 7002, 7003, 7004):
    dg, words = session(1500 if port != 7004 else 500)
    with open(os.path.join(run, "send-%d.py.bin" % port), "wb") as f:
        for d in dg:
            f.write(len(d).to_bytes(2, "big") + d)
    open(os.path.join(run, "sent-%d.bin" % port), "wb").write(b"".join(dg))
    print(port, len(dg), words, sum(1 for d in dg if len(d) <= 5), file=sys.stderr)
def held_session(n_dgrams, close_at=None):
    out = []
    for i in range(n_dgrams):
        if i == close_at:
            out.append(b"some bytes FSU-CLOSE more bytes")
            continue
        if rnd.random() < 0.3:
            k = rnd.randint(2, 6)
            cuts = sorted(rnd.sample(range(1, 9), k - 1))
            out += [b"FSU-DELIM"[i:j] for i, j in zip([0] + cuts, cuts + [9])]
            continue
        d = bytearray(rnd.choice(b"abcdeghijk -") for _ in range(rnd.randint(1, 900)))
        if rnd.random() < 0.3 and len(d) > 9:
            p = rnd.randrange(len(d) - 9)
            d[p:p + 9] = b"FSU-DELIM"
        out.append(bytes(d))
    out.append(b"end")
    return out
for port, dg, repl in ((7101, held_session(1000), b"<FSU-DELIM-SEEN>"),
                       (7102, held_session(300, 150), b"<FSU-DELIM-SEEN>"),
                       (7103, held_session(600), b"fsu+delim")):
    with open(os.path.join(run, "send-%d.py.bin" % port), "wb") as f:
        for d in dg:
            f.write(len(d).to_bytes(2, "big") + d)
    whole = b"".join(dg)
    open(os.path.join(run, "sent-%d.bin" % port), "wb").write(whole)
    open(os.path.join(run, "want-%d.bin" % port), "wb").write(
        whole.replace(b"FSU-DELIM", repl))
    print(port, len(dg), whole.count(b"FSU-DELIM"), file=open(os.path.join(run, "planted"), "a"))
PY
for m in "rm 7001 --remove ATTACK" "mask 7002 --mask ATTACK" "rep 7003 --replace ATTACK=$rep_str" \
	"mask0 7004 --mask ATTACK"; do
	read -r name port rule word <<<"$m"
	"$bin/rw_offline" "$rule" "$word" <"$run/sent-$port.bin" >"$run/want-$port.bin"
done

cat >"$run/recv.py" <<'PY'
import os, select, socket, sys, time
run, host, idle_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
socks = {}
for port in (7001, 7002, 7003, 7004, 7101, 7102, 7103):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((host, port))
    socks[s.fileno()] = (port, s, open(os.path.join(run, "got-%d.bin" % port), "wb"), [], [])
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
raw.bind(("eth0", 0))
ck = {7002: [0, 0], 7004: [0, 0]}  # datagrams seen with UDP checksum 0, and with one
open(os.path.join(run, "recv.ready"), "w").close()
last, start = time.time(), time.time()
while time.time() - last < idle_s and time.time() - start < 120:
    r, _, _ = select.select(list(socks) + [raw.fileno()], [], [], 0.2)
    for fd in r:
        if fd == raw.fileno():
            fr = raw.recv(65535)
            if len(fr) >= 42 and fr[12:14] == b"\x08\x00" and fr[23] == 17:
                u = 14 + (fr[14] & 15) * 4
                dport = int.from_bytes(fr[u + 2:u + 4], "big")
                if dport in ck:
                    ck[dport][fr[u + 6:u + 8] != b"\0\0"] += 1
            continue
        port, s, f, lens, when = socks[fd]
        d = s.recv(65535)
        f.write(d)
        lens.append(len(d))
        last = time.time()
        when.append(last)
for port, s, f, lens, when in socks.values():
    f.close()
    gap = when[-1] - when[-2] if len(when) > 1 else 0  # before the last datagram
    print(port, len(lens), sum(1 for n in lens if n == 0), "%.2f" % gap)
for port, (zero, nonzero) in ck.items():
    print("ck", port, zero, nonzero)
PY
cat >"$run/send.py" <<'PY'
import socket, sys, time
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = open(path, "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 4 and sys.argv[4] == "nocheck":
    s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: send UDP checksum 0
i = n = 0
while i < len(b):
    ln = int.from_bytes(b[i:i + 2], "big")
    s.sendto(b[i + 2:i + 2 + ln], (host, port))
    i += 2 + ln
    n += 1
    if n % 8 == 0:
        time.sleep(0.002)  # paced: UDP has no retransmission, nothing may overflow
print(port, n)
PY

csum_errors() {
	ip netns exec "$ns-a" nstat -az UdpInCsumErrors | awk '$1 == "UdpInCsumErrors" {print $2}'
}
rcvbuf_errors() { # datagrams the receiver's sockets had no room for (a slow receiver, not us)
	ip netns exec "$ns-a" nstat -az UdpRcvbufErrors | awk '$1 == "UdpRcvbufErrors" {print $2}'
}
csum0=$(csum_errors)
rb0=$(rcvbuf_errors)
ip netns exec "$ns-a" python3 "$run/recv.py" "$run" "$a" 6 >"$run/recv.log" 2>&1 &
rpid=$!
pids+=("$rpid")
for _ in $(seq 50); do [[ -e $run/recv.ready ]] && break; sleep 0.1; done
declare -A pid_of=([rm]=$(e2e_vnf_pid rm) [mask]=$(e2e_vnf_pid mask) [rep]=$(e2e_vnf_pid rep)
	[mask0]=$(e2e_vnf_pid mask0) [hold]=$(e2e_vnf_pid hold))
declare -A name_of=([7001]=rm [7002]=mask [7003]=rep [7004]=mask0)
t0=$(date +%s.%N)
for port in 7001 7002 7003 7004 7101 7102 7103; do
	nocheck=sum
	[[ $port -ne 7004 ]] || nocheck=nocheck
	ip netns exec "$ns-b" python3 "$run/send.py" "$a" "$port" "$run/send-$port.py.bin" "$nocheck" \
		>>"$run/send.log" 2>&1 || e2e_fail "sender of port $port failed"
	[[ $port -lt 7100 ]] || continue
	# right after its last datagram the session is 2 s from its timeout: its stream is open
	name=${name_of[$port]}
	early=$(e2e_report "${pid_of[$name]}" "$run/rep-$name" udp_streams_ended_timeout)
	[[ $early -eq 0 ]] || e2e_fail "$name: the stream ended before the session's timeout"
done
wait "$rpid" || e2e_fail "receiver failed"
t1=$(date +%s.%N)
csum1=$(csum_errors)
echo "e2e_udp_rewrite: sent and received in $(python3 -c "print('%.1f' % ($t1 - $t0))") s" \
	"(the receiver stops 6 s after the last datagram); at the receiver: UdpInCsumErrors" \
	"$((csum1 - csum0)), UdpRcvbufErrors $(($(rcvbuf_errors) - rb0))"
[[ $((csum1 - csum0)) -eq 0 ]] || e2e_fail "the receiver dropped datagrams with bad checksums"

for m in "rm 7001" "mask 7002" "rep 7003" "mask0 7004"; do
	read -r name port <<<"$m"
	sent=$(awk -v p="$port" '$1 == p {print $2}' "$run/send.log")
	read -r _ got empty gap < <(awk -v p="$port" '$1 == p' "$run/recv.log")
	cmp -s "$run/got-$port.bin" "$run/want-$port.bin" ||
		e2e_fail "$name: received stream differs from rw_offline ($(stat -c %s "$run/got-$port.bin")" \
			"bytes, want $(stat -c %s "$run/want-$port.bin"))"
	[[ $got -eq $((sent + 1)) ]] || e2e_fail "$name: $sent datagrams sent, $got received (want sent + 1)"
	e2e_report "${pid_of[$name]}" "$run/rep-$name" none >/dev/null
	r() { awk -v k="$1" '$1 == k {print $2}' "$run/rep-$name"; }
	echo "e2e_udp_rewrite: $name: $sent datagrams sent, $got received ($empty empty, one the" \
		"timeout's flush), $(stat -c %s "$run/sent-$port.bin") -> $(stat -c %s "$run/got-$port.bin") bytes" \
		"= rw_offline; $(r occurrences) occurrences, $(r resized_packets) resized," \
		"$(r udp_datagrams_emptied) emptied; stream ended at the timeout $(r udp_streams_ended_timeout)," \
		"flushed $(r udp_timeout_flushes) datagram of $(r udp_timeout_flush_bytes) bytes," \
		"received $gap s after the session's last datagram"
	# (timestamps taken by the receiver: a few ms of jitter around the 2 s)
	python3 -c "import sys; sys.exit(0 if 1.9 <= float('$gap') < 10 else 1)" ||
		e2e_fail "$name: the flush datagram came $gap s after the last one (timeout 2 s)"
	[[ $(r udp_streams_ended_timeout) -eq 1 && $(r udp_timeout_flushes) -eq 1 ]] ||
		e2e_fail "$name: the stream did not end once at the timeout with a flush"
	[[ $(r carry_lost) -eq 0 && $(r streams_bypassed) -eq 0 && $(r errors) -eq 0 ]] ||
		e2e_fail "$name: carry lost, bypassed or errors"
	[[ $(r udp_datagrams_emptied) -gt 0 && $empty -ge $(r udp_datagrams_emptied) ]] ||
		e2e_fail "$name: emptied datagrams not received as empty ones"
done
read -r _ _ z2 n2 < <(awk '$1 == "ck" && $2 == 7002' "$run/recv.log")
read -r _ _ z4 n4 < <(awk '$1 == "ck" && $2 == 7004' "$run/recv.log")
echo "e2e_udp_rewrite: UDP checksums seen by a packet socket in host a: port 7002 $n2 set," \
	"$z2 zero; port 7004 (sent without) $z4 zero, $n4 set"
[[ $z2 -eq 0 && $n2 -gt 0 && $n4 -eq 0 && $z4 -gt 0 ]] ||
	e2e_fail "a checksum of 0 must stay 0, one that was set must stay set"

# holdtest: delimiters replaced across held datagrams (7101), the close (7102).
hr() { awk -v k="$1" '$1 == k {print $2}' "$run/rep-hold"; }
for _ in $(seq 50); do # the 7101 session ends 2 s after its last held datagrams went
	e2e_report "${pid_of[hold]}" "$run/rep-hold" none >/dev/null
	[[ $(hr ends_timeout) -ge 1 ]] && break
	sleep 0.2
done
sent=$(awk '$1 == 7101 {print $2}' "$run/send.log")
read -r _ got empty _ < <(awk '$1 == 7101' "$run/recv.log")
cmp -s "$run/got-7101.bin" "$run/want-7101.bin" ||
	e2e_fail "hold: 7101 stream differs from the sent one with its delimiters replaced"
[[ $got -eq $sent ]] || e2e_fail "hold: 7101: $sent datagrams sent, $got received"
echo "e2e_udp_rewrite: hold: 7101: $sent datagrams, $(hr delims) delimiters found in windows of" \
	"held datagrams, $(hr replaced) replaced, $(hr nfsdk_hold_held) datagrams held," \
	"$(hr nfsdk_hold_released_timeout) released by nfsdk's hold timeout; received byte-exact"
read -r sent < <(awk '$1 == 7102 {print $2}' "$run/send.log")
read -r _ got empty _ < <(awk '$1 == 7102' "$run/recv.log")
python3 - "$run" <<'PY' || e2e_fail "hold: 7102: not a prefix of the stream before the close word"
import sys
run = sys.argv[1]
got = open(run + "/got-7102.bin", "rb").read()
want = open(run + "/want-7102.bin", "rb").read()
sys.exit(0 if want.startswith(got) and len(got) < want.index(b"FSU-CLOSE") else 1)
PY
echo "e2e_udp_rewrite: hold: 7102: closed: $got of $sent datagrams received" \
	"($(stat -c %s "$run/got-7102.bin") bytes, a prefix ending before FSU-CLOSE);" \
	"$(hr nfsdk_hold_dropped_close) held datagrams dropped; the VNF: $(tr '\n' ' ' <"$run/rep-hold")"
[[ $got -lt $sent ]] || e2e_fail "hold: 7102: the close dropped nothing"
[[ $(hr ends_timeout) -eq 1 && $(hr ends_close) -eq 1 && $(hr closes) -eq 1 ]] ||
	e2e_fail "hold: want one stream ended at the timeout and one by the close"
[[ $(hr replace_failed) -eq 0 && $(hr nfsdk_hold_edit_failed) -eq 0 && $(hr nfsdk_hold_held_now) -eq 0 ]] ||
	e2e_fail "hold: edits failed or datagrams still held"
planted=$(awk '$1 == 7101 {print $3}' "$run/planted")
[[ $planted -gt 100 && $(hr replaced) -ge $planted ]] ||
	e2e_fail "hold: $(hr replaced) delimiters replaced, $planted planted in 7101"
sent=$(awk '$1 == 7103 {print $2}' "$run/send.log")
read -r _ got _ _ < <(awk '$1 == 7103' "$run/recv.log")
cmp -s "$run/got-7103.bin" "$run/want-7103.bin" ||
	e2e_fail "hold2: 7103 stream differs from the sent one with its delimiters replaced"
[[ $got -eq $sent ]] || e2e_fail "hold2: 7103: $sent datagrams sent, $got received"
e2e_report "$(e2e_vnf_pid hold2)" "$run/rep-hold2" none >/dev/null
echo "e2e_udp_rewrite: hold2: 7103: $sent datagrams, $(awk '$1 == 7103 {print $3}' "$run/planted")" \
	"delimiters replaced by a string of the same length" \
	"($(awk '$1 == "replaced" {print $2}' "$run/rep-hold2") edits): received byte-exact, all datagrams"
echo "e2e_udp_rewrite: 1 passed, 0 failed"
