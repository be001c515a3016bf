#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# testpmd_parse.sh — `flowmgr --check-config FILE --offload` prints rules that dpdk-testpmd's
# command parser accepts verbatim (#12 Done-when 1).
#
# For every shipped chain (deploy/chains/*.yaml) and the chains of tests/integration/offload/chains,
# the `flow create` lines are fed unchanged to dpdk-testpmd (interactive, on one net_null port,
# --no-pci --no-huge, its own file prefix), once as they are and once with `flow validate`. The
# null PMD has no rte_flow, so every command that PARSES gets "Function not implemented" from the
# port; one that does not parse gets "Bad arguments" (or another parser message) instead. The test
# passes when every line got the port's answer and no line a parser error, and when a line that
# is broken on purpose does get the parser error (the check can fail).
#
# Usage: testpmd_parse.sh [BUILD_DIR]   (FS_BUILD_DIR otherwise; needs root for the EAL).
set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-${FS_BUILD_DIR:-$top/build}}
flowmgr=$build/bin/flowmgr
prefix=fss$$
work=$(mktemp -d /tmp/fss-testpmd.XXXXXX)

cleanup() {
	rm -rf "$work" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

die() {
	echo "testpmd_parse: $*" >&2
	exit 1
}

command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found (package dpdk-dev)"
[[ -x $flowmgr ]] || die "$flowmgr not built"

cmds=$work/cmds.txt
: >"$cmds"
n=0
for chain in "$top"/deploy/chains/*.yaml "$top"/tests/integration/offload/chains/*.yaml; do
	"$flowmgr" --check-config "$chain" --offload >"$work/out.txt" ||
		die "flowmgr --check-config $chain --offload failed"
	while IFS= read -r line; do
		[[ $line == "flow create "* ]] || continue
		printf '%s\n%s\n' "$line" "${line/flow create/flow validate}" >>"$cmds"
		n=$((n + 2))
	done <"$work/out.txt"
	echo "$(basename "$chain"): $(grep -c '^flow create ' "$work/out.txt" || true) rules"
done
((n > 0)) || die "no rules printed"
# a line broken on purpose: the parser must refuse it
echo "flow validate 0 priority 0 ingress pattern eth type is 0x0800 / ipv4 proto is tcp / end actions drop / end" >>"$cmds"
echo "quit" >>"$cmds"

dpdk-testpmd --no-pci --no-huge -m 256 --file-prefix "$prefix" -l 0,1 --vdev net_null0 \
	--log-level=lib.eal:error -- -i --total-num-mbufs=2048 <"$cmds" >"$work/testpmd.log" 2>&1 ||
	die "dpdk-testpmd failed: $(tail -5 "$work/testpmd.log")"

# Each command's answer follows its echo after the prompt, up to the next prompt.
answers=$work/answers.txt
awk '/^testpmd> flow /{ if (cmd != "") print verdict "\t" cmd; cmd = $0; verdict = "none"; next }
     /^testpmd> /{ if (cmd != "") print verdict "\t" cmd; cmd = ""; next }
     cmd != "" && /Function not implemented|not supported/ { if (verdict == "none") verdict = "port" }
     cmd != "" && /Bad arguments|Bad argument|Invalid|unknown/ { verdict = "parse" }
     END { if (cmd != "") print verdict "\t" cmd }' "$work/testpmd.log" >"$answers"

total=$(wc -l <"$answers")
port=$(grep -c '^port' "$answers" || true)
parse=$(grep -c '^parse' "$answers" || true)
echo "testpmd: $total commands: $port answered by the port (parsed), $parse parse errors"
((total == n + 1)) || die "expected $((n + 1)) answers, got $total (see $(tail -3 "$work/testpmd.log"))"
# the last one is the broken line
tail -1 "$answers" | grep -q '^parse' || die "the broken line was not refused: $(tail -1 "$answers")"
if ((port != n)); then
	grep -v '^port' "$answers" | head -5 >&2
	die "$((n - port)) of $n rule lines did not parse"
fi
echo "testpmd_parse: all $n rule lines parse"
