#!/usr/bin/env bash
# End to end: the TCP context beyond its old 512-direction table (issue 13). A generated capture
# (tests/tools/mkscale_pcaps.py) of N connections open at once (default 5000: 10000 directions),
# each with the word ATTACK split across two segments and every 8th sending them out of order, is
# replayed through one in_order ids. Checks:
#   * exactly one alert of sid 1 and one of sid 2 per connection (N distinct connections each);
#   * flowmgr refused nothing: no tcp_dirs_full, no budget refusal; it held the out-of-order
#     segments (tcp_held) and its budget gauges stayed within their bounds.
# E2E_SCALE_N overrides N (sessions are sized to fit).
set -euo pipefail
# shellcheck source=tests/integration/e2e/pcap_lib.sh
. "$(dirname "$0")/pcap_lib.sh"
pcap_init e2e_stream_scale fsi
n=${E2E_SCALE_N:-5000}
sessions=65536
while ((sessions < 2 * n + 1024)); do sessions=$((sessions * 2)); done
python3 "$top/tests/tools/mkscale_pcaps.py" "$run/scale.pcap" "$n" >/dev/null ||
	fail "mkscale_pcaps.py"
t0=$(date +%s.%N)
pcap_ids_run ids-scale "$run/scale.pcap" "$run/scale" alert "sessions: $sessions"
t1=$(date +%s.%N)
python3 - "$run/scale.alerts" "$run/stats.json" "$n" <<'PY' || fail "alerts or counters"
import collections, json, re, sys
alerts, stats, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = json.load(open(stats))["counters"]
per = collections.Counter()
for line in open(alerts):
    m = re.search(r"sid=(\d+) ", line)
    ips = re.findall(r"198\.19\.\d+\.\d+:\d+", line)
    if m and ips:
        per[(m.group(1), ips[0])] += 1
for sid in ("1", "2"):
    conns = [k for k in per if k[0] == sid]
    once = sum(1 for k in conns if per[k] == 1)
    print(f"e2e_stream_scale: sid {sid}: {len(conns)} connections alerted, {once} exactly once "
          f"(of {n})")
    assert len(conns) == n and once == n, f"sid {sid}: not one alert per connection"
keys = ["tcp_dirs_opened", "tcp_dirs_full", "tcp_held", "tcp_released_in_order",
        "tcp_ooo_budget_drops", "tcp_budget_refused", "tcp_copies_refused", "tcp_ooo_full",
        "tcp_budget_held_peak", "tcp_budget_held_max", "tcp_budget_copies_peak",
        "tcp_budget_copies_max", "tcp_dir_bytes", "mbuf_avail"]
print("e2e_stream_scale: " + " ".join(f"{k}={c.get(k)}" for k in keys))
assert c["tcp_dirs_opened"] >= 2 * n, "fewer directions than the capture has"
for k in ("tcp_dirs_full", "tcp_acks_unsent", "tcp_ooo_budget_drops", "tcp_budget_refused", "tcp_copies_refused",
          "tcp_ooo_full", "tcp_no_session"):
    assert c.get(k, 0) == 0, f"{k} = {c.get(k)}"
assert c["tcp_held"] >= n // 8 and c["tcp_released_in_order"] >= n // 8, "no out-of-order hold"
assert c["tcp_budget_held_peak"] <= c["tcp_budget_held_max"]
assert c["tcp_budget_copies_peak"] <= c["tcp_budget_copies_max"]
PY
echo "e2e_stream_scale: $n concurrent connections replayed in" \
	"$(python3 -c "print('%.1f' % ($t1 - $t0))") s"
echo "e2e_stream_scale: 1 passed, 0 failed"
