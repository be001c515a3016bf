#!/usr/bin/env bash
# End to end: `nfctl top` on a running chain (counter -> forward) carrying one steady UDP flow
# from host a (198.18.0.1:40000) to host b (198.18.0.2:9000).
#   * into a pipe, `nfctl top -n 2 -d 0.5` prints two plain frames (no escape sequences);
#   * the frames show both VNFs running, non-zero rates on the ingress port (p0, RX), the egress
#     port (p1, TX) and both VNFs (in and out), and the flow as the busiest session with a
#     non-zero rate;
#   * the rates agree with each other: they are deltas of counters taken over the same interval
#     from one stats reply (ports, VNFs) and the top_flows reply right after it, so the port, the
#     VNFs and the session, which all carry the same packets, are within a factor of two of each
#     other (the only difference is what crossed a counter in the few milliseconds between two
#     replies, or sat in a ring at one end of the interval): no figure is compared with the clock;
#   * on a terminal (a pseudo-terminal of 60 x 16): the alternate screen, repainted from home,
#     stdin non-canonical without echo while it runs, every line within 60 columns and the frame
#     within 16 lines; `q` exits 0 and leaves the terminal's modes as they were;
#   * --once prints one frame; a bad interval is a usage error (exit 2).
set -euo pipefail
# shellcheck source=tests/integration/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
e2e_init e2e_top fsv
E2E_FAIL_FILES=("$run/top.txt")
cat >"$run/chain.yaml" <<YAML
name: top-e2e
ports:
  - {name: p0, dev: "net_af_packet0,iface=$ns-pa"}
  - {name: p1, dev: "net_af_packet1,iface=$ns-pb"}
vnfs:
  - {name: ctr, exec: counter, session: 5tuple, scratchpad: 24, timeout_ms: 60000, policy: drop}
  - {name: fwd, exec: forward, policy: bypass}
YAML
e2e_flowmgr "$run/chain.yaml"

cat >"$run/udp.py" <<'PY'
import socket, sys, time
# sink HOST PORT | send HOST PORT SPORT: a steady flow, about 500 packets per second, until killed
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1] == "sink":
    s.bind((sys.argv[2], int(sys.argv[3])))
    while True:
        s.recv(2048)
s.bind(("0.0.0.0", int(sys.argv[4])))
payload = b"x" * 200
while True:
    s.sendto(payload, (sys.argv[2], int(sys.argv[3])))
    time.sleep(0.002)
PY
ip netns exec "$ns-b" python3 "$run/udp.py" sink "$b" 9000 &
pids+=("$!")
sleep 0.3
ip netns exec "$ns-a" python3 "$run/udp.py" send "$b" 9000 40000 &
pids+=("$!")

# The flow is through the chain once the counter VNF has seen packets of it.
for _ in $(seq 100); do
	got=$("$bin/nfctl" -s "$sock" --json vnfs | python3 -c '
import json, sys
print(next(v["rx_pkts"] for v in json.load(sys.stdin)["vnfs"] if v["name"] == "ctr"))')
	[[ $got -ge 50 ]] && break
	sleep 0.1
done
[[ $got -ge 50 ]] || e2e_fail "the UDP flow did not reach the chain ($got packets)"

"$bin/nfctl" -s "$sock" top -n 2 -d 0.5 >"$run/top.txt" || e2e_fail "nfctl top failed ($?)"
python3 - "$run/top.txt" <<'PY' || e2e_fail "nfctl top's frames"
import re, sys

text = open(sys.argv[1]).read()
assert "\033" not in text, "escape sequences in non-tty output"
frames = [f for f in re.split(r"^(?=nfctl top - )", text, flags=re.M) if f.strip()]
assert len(frames) == 2, f"{len(frames)} frames, expected 2"
SI = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}

def num(s):
    m = re.fullmatch(r"([0-9.]+)([kMGTP]?)", s)
    assert m, f"not a number: {s!r}"
    return float(m.group(1)) * SI[m.group(2)]

def section(frame, head):
    """Rows of the table whose header line starts with `head`, as lists of words."""
    lines = frame.splitlines()
    i = next(k for k, l in enumerate(lines) if l.split()[:1] == [head])
    rows = []
    for l in lines[i + 1:]:
        if not l.strip():
            break
        rows.append(l.split())
    return rows

def near(x, y, what):
    assert x > 0 and y > 0 and 0.5 <= x / y <= 2, f"{what}: {x} vs {y}"

for n, f in enumerate(frames, 1):
    ports = {r[1]: r for r in section(f, "PORT")}
    vnfs = {r[1]: r for r in section(f, "VNF")}
    sessions = section(f, "W")
    # PORT NAME RX-PPS RX-BIT/S TX-PPS TX-BIT/S MISSED/S TXDROP/S
    rx, tx = num(ports["p0"][2]), num(ports["p1"][4])
    # VNF NAME STATE PID IN-PPS OUT-PPS DROP/S BYPASS/S RING FILL RESTARTS
    for name in ("ctr", "fwd"):
        v = vnfs[name]
        assert v[2] == "running", f"{name} is {v[2]}"
        near(num(v[4]), rx, f"frame {n}: {name} in-pps vs p0 rx-pps")
        near(num(v[5]), rx, f"frame {n}: {name} out-pps vs p0 rx-pps")
    near(tx, rx, f"frame {n}: p1 tx-pps vs p0 rx-pps")
    # W SLOT PPS BIT/S PKTS AGE IDLE SESSION...
    top = sessions[0]
    desc = " ".join(top[7:])
    assert "sport=40000" in desc and "dport=9000" in desc, f"busiest session is {desc}"
    assert "[ctr -> fwd" in desc, f"the session's path: {desc}"
    near(num(top[2]), rx, f"frame {n}: session pps vs p0 rx-pps")
    print(f"e2e_top: frame {n}: p0 rx {rx:.0f} pps, p1 tx {tx:.0f} pps, ctr in "
          f"{num(vnfs['ctr'][4]):.0f}, fwd out {num(vnfs['fwd'][5]):.0f}, session "
          f"{num(top[2]):.0f} pps ({desc})")
PY

cat >"$run/top_tty.py" <<'PY'
import fcntl, os, pty, re, select, struct, sys, termios
nfctl, sock = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 16, 60, 0, 0))
before = termios.tcgetattr(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(nfctl, [nfctl, "-s", sock, "top", "-d", "0.2"])
out = b""
while out.count(b"nfctl top - ") < 2:  # until two frames are drawn (no deadline: ctest's)
    select.select([master], [], [])
    out += os.read(master, 65536)
during = termios.tcgetattr(slave)
os.write(master, b"q")
while True:  # read what it writes until it has exited (a full pty would block it)
    if select.select([master], [], [], 0.1)[0]:
        out += os.read(master, 65536)
        continue
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
while select.select([master], [], [], 0)[0]:  # what it wrote last
    chunk = os.read(master, 65536)
    if not chunk:
        break
    out += chunk
after = termios.tcgetattr(slave)
text = out.decode(errors="replace")
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"q: status {status}"
assert "\033[?1049h" in text and text.rstrip().endswith("\033[?1049l"), "alternate screen"
assert "\033[H" in text, "no repaint from home"
assert not during[3] & (termios.ICANON | termios.ECHO), "stdin canonical or echoing while running"
assert after[3] == before[3], "terminal modes not restored"
frame = "nfctl top - " + re.sub(r"\033\[[0-9;?]*[a-zA-Z]", "", text).split("nfctl top - ")[-1]
lines = [l for l in frame.replace("\r", "").split("\n") if l]
assert all(len(l) <= 60 for l in lines), "wider than 60: " + max(lines, key=len)
assert len(lines) <= 16, f"{len(lines)} lines on a 16-line terminal"
print(f"e2e_top: on a 60x16 terminal: {len(lines)} lines, q restored the terminal")
PY
python3 "$run/top_tty.py" "$bin/nfctl" "$sock" || e2e_fail "nfctl top on a terminal"

"$bin/nfctl" -s "$sock" top --once -d 0.2 >"$run/once.txt" || e2e_fail "nfctl top --once failed"
[[ $(grep -c '^nfctl top - ' "$run/once.txt") -eq 1 ]] || e2e_fail "--once printed $(grep -c '^nfctl top - ' "$run/once.txt") frames"
rc=0
"$bin/nfctl" -s "$sock" top -d 0 >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || e2e_fail "nfctl top -d 0 exited $rc, expected 2 (usage)"
echo "e2e_top: 1 passed, 0 failed"
