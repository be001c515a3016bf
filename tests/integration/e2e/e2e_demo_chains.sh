#!/usr/bin/env bash
# End to end: `deploy/demo.sh --chain X --quick` for every chain file in deploy/chains (each with
# the topology of its companion X.demo, its VNFs launched by flowmgr, short traffic). Each run
# must exit 0 with every check passed and leave nothing behind: no new network namespace, link or
# XDP program, no process of its DPDK prefix, no hugepage file or /var/run/dpdk entry of it. The
# default chain (paper) runs with --json --plot: its JSON summary lists every check of the
# paper's chain as passed and the plot file exists.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
run=$(mktemp -d /tmp/e2e_demo.XXXXXX)
trap 'rm -rf "$run"' EXIT
fail() {
	echo "e2e_demo_chains: FAILED: $*" >&2
	echo "e2e_demo_chains: $passed passed, 1 failed"
	exit 1
}

# What the demo may create, as sorted lines: namespaces, links, links with an XDP program,
# processes of a demo's DPDK prefix, its hugepage files and runtime directories.
snapshot() {
	ip netns list | awk '{print "netns " $1}'
	ip -o link show | awk -F': ' '{print "link " $2}'
	ip -o link show | awk -F': ' '/xdp/ {print "xdp " $2}'
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- '--file-prefix fsdemo' &&
			echo "process ${p#/proc/}"
	done
	compgen -G '/dev/hugepages/fsdemo*' | sed 's/^/hugepage /' || true
	compgen -G '/dev/hugepages/*/fsdemo*' | sed 's/^/hugepage /' || true
	compgen -G '/var/run/dpdk/fsdemo*' | sed 's/^/dpdk /' || true
}

passed=0
for chain in "$top"/deploy/chains/*.yaml; do
	name=$(basename "$chain" .yaml)
	opts=(--no-install --no-build --quick --chain "$chain")
	[[ $name != paper ]] || opts+=(--json --plot)
	snapshot | sort >"$run/before"
	rc=0
	"$top/deploy/demo.sh" "${opts[@]}" >"$run/$name.out" 2>"$run/$name.err" || rc=$?
	snapshot | sort >"$run/after"
	if [[ $rc -ne 0 ]]; then
		cat "$run/$name.out" "$run/$name.err" >&2
		fail "demo.sh --chain $name exited $rc"
	fi
	left=$(comm -13 "$run/before" "$run/after" | tr '\n' ' ')
	[[ -z $left ]] || fail "demo.sh --chain $name left behind: $left"
	out=$run/$name.err
	[[ $name == paper ]] || out=$run/$name.out
	grep -q "^demo: OK: every check passed" "$out" || fail "$name: no verdict in its output"
	! grep -q "^check .* FAILED" "$out" || fail "$name: $(grep '^check .* FAILED' "$out")"
	echo "e2e_demo_chains: $name: $(grep -c '^check ' "$out") checks passed, nothing left behind"
	passed=$((passed + 1))
done

# The default chain's JSON summary and plot.
python3 - "$run/paper.out" <<'PY' || fail "paper: the JSON summary"
import json, os, sys
s = json.load(open(sys.argv[1]))
want = {"downloads", "spread", "nat", "ipfix", "ids", "rewrite", "service_user"}
assert s["ok"] and want <= set(s["checks"]), s["checks"]
assert all(c["ok"] for c in s["checks"].values()), s["checks"]
assert s["downloads"]["done"] == s["downloads"]["total"] == 8, s["downloads"]
assert [v["name"] for v in s["vnfs"]] == ["fw", "nat", "flowmon", "lb", "ids", "rewrite"]
assert s["http_latency_ms"]["samples"] > 0 and os.path.getsize(s["plot"]) > 0, s["plot"]
PY
plot=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["plot"])' "$run/paper.out")
grep -q "<svg" "$plot" || fail "paper: $plot is not an SVG"
rm -f "$plot"
echo "e2e_demo_chains: paper: JSON summary with every check passed, plot $plot written"
echo "e2e_demo_chains: $passed passed, 0 failed"
