#!/usr/bin/env bash
# bench/run.sh NAME — runs benchmark NAME (bench/NAME/run.sh), prints its figures and writes
# bench/results/NAME.csv. Builds the release tree first if needed. Figures are never asserted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
name=${1:-}
if [ -z "$name" ] || [ ! -x "$here/$name/run.sh" ]; then
	echo "usage: bench/run.sh NAME   (NAME one of: $(cd "$here" && for d in */run.sh; do printf '%s ' "${d%/run.sh}"; done))" >&2
	exit 2
fi
shift
export FS_BUILD_DIR=${FS_BUILD_DIR:-$top/build}
if [ ! -d "$FS_BUILD_DIR" ]; then
	cmake -S "$top" -B "$FS_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$FS_BUILD_DIR" -j"$(nproc)" >/dev/null
mkdir -p "$here/results"
export FS_BENCH_CSV="$here/results/$name.csv"
exec "$here/$name/run.sh" "$@"
