#!/usr/bin/env bash
# bench/http/run.sh — launched by `bench/run.sh http`; prints figures, writes $FS_BENCH_CSV.
# One process, no EAL: the HTTP context and the rewrite engine are pure C.
set -euo pipefail
build=${FS_BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
bin="$build/bin/bench_http"
if [ ! -x "$bin" ]; then
	cmake --build "$build" --target bench_http -j2 >/dev/null
fi
"$bin" "${FS_BENCH_CSV:-/dev/null}"
