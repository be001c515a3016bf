#!/usr/bin/env bash
# bench/flowtable/run.sh — launched by `bench/run.sh flowtable`; prints figures, writes $FS_BENCH_CSV.
# Single process, no hugepages, no PCI: the flow layer needs no NIC (EAL only for the rte_hash
# baseline).
set -euo pipefail
build=${FS_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
bin="$build/bin/bench_flowtable"
if [ ! -x "$bin" ]; then
	cmake --build "$build" --target bench_flowtable -j2 >/dev/null
fi
csv=${FS_BENCH_CSV:-/dev/null}
prefix=fsbenchft$$
# The EAL leaves its runtime directory behind even without hugepages: remove it.
trap 'rm -rf "/var/run/dpdk/$prefix"' EXIT
"$bin" --no-huge --no-shconf --no-pci --file-prefix "$prefix" -l 0 -m 2048 \
	--log-level=error -- "$csv"
