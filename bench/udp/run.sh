#!/usr/bin/env bash
# bench/udp/run.sh — launched by `bench/run.sh udp`; prints figures, writes $FS_BENCH_CSV.
# One process, no EAL: nf_udp4_fix() and the rewrite engine are pure C.
set -euo pipefail
build=${FS_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
bin="$build/bin/bench_udp"
if [ ! -x "$bin" ]; then
	cmake --build "$build" --target bench_udp -j2 >/dev/null
fi
"$bin" "${FS_BENCH_CSV:-/dev/null}"
