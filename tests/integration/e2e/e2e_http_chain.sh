#!/usr/bin/env bash
# End to end: an HTTP download between two namespace hosts through flowmgr and a chain of two
# forward VNF processes (deploy/chains/forward2.yaml), then through one (forward.yaml):
# byte-exact (sha256), nothing left behind. deploy/demo.sh does the work and the checks.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
for chain in forward2 forward; do
	"$top/deploy/demo.sh" --no-install --chain "$top/deploy/chains/$chain.yaml" --size-mb 16
done
# Nothing the demo created may survive it.
if ip netns list | grep -q '^fsd-'; then
	echo "e2e: namespaces left behind" >&2
	exit 1
fi
if ip link show fsd-pa >/dev/null 2>&1; then
	echo "e2e: veth left behind" >&2
	exit 1
fi
if compgen -G '/dev/hugepages/fsdemo*' >/dev/null || compgen -G '/dev/hugepages/*/fsdemo*' >/dev/null; then
	echo "e2e: hugepage files left behind" >&2
	exit 1
fi
echo "e2e_http_chain: 2 passed, 0 failed"
