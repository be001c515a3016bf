#!/usr/bin/env bash
# tests/run.sh — installs what is missing, builds (normal, and ASan+UBSan), runs every test.
# Exits non-zero on any failure. Needs root (hugepages, network namespaces).
#
#   ./tests/run.sh                 everything
#   ./tests/run.sh --no-install    skip deploy/install-deps.sh
#   ./tests/run.sh -R REGEX        only the ctest tests matching REGEX (both builds; no fuzzing)
#   ./tests/run.sh --no-fuzz       skip the short runs of the fuzz harnesses (tests/fuzz)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
install=1
fuzz=1
ctest_args=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--no-install) install=0; shift ;;
	--no-fuzz) fuzz=0; shift ;;
	-R) ctest_args+=(-R "$2"); fuzz=0; shift 2 ;;
	*) echo "tests/run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
jobs=$(nproc)

step() { printf '\n=== %s\n' "$*"; }

if [[ $install -eq 1 ]]; then
	step "dependencies"
	"$top/deploy/install-deps.sh"
fi
step "hugepages"
"$top/deploy/hugepages.sh"

step "build (RelWithDebInfo) in build/"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$jobs"

step "build (ASan+UBSan, EAL-free units) in build-asan/"
cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DFS_UNIT_ONLY=ON \
	-DFS_SANITIZE=ON -DFS_BUILD_BENCH=OFF >/dev/null
cmake --build "$top/build-asan" -j"$jobs"

rc=0
step "unit tests (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir "$top/build-asan" -L unit --output-on-failure "${ctest_args[@]}" || rc=1

if [[ $fuzz -eq 1 ]]; then
	# 8 harnesses x 15 s plus the clang build in build-fuzz/: about 4 minutes on 2 cores.
	step "fuzz harnesses, 15 s each (clang, libFuzzer+ASan+UBSan) in build-fuzz/"
	"$top/tests/fuzz/run.sh" --seconds 15 || rc=1
fi

step "all tests (unit, integration, end-to-end)"
ctest --test-dir "$top/build" --output-on-failure "${ctest_args[@]}" || rc=1

# A test that failed half-way may leave DPDK files of its own prefixes (fst*, fsdemo*,
# fs[fwnlmycorpgxzkquejvsi]N, fs6N) and its namespaces; its processes died with it (PR_SET_PDEATHSIG). Sweep them.
# shellcheck disable=SC1091
. "$top/deploy/lib/netns.sh"
for d in /var/run/dpdk/fst* /var/run/dpdk/fsdemo* /var/run/dpdk/fs[fwnlmycorpgxzkquejvsi][0-9]* /var/run/dpdk/fs6[0-9]* /var/run/dpdk/fsw2[0-9]* \
	/var/run/dpdk/fsdt[0-9]* \
	/var/run/dpdk/fsst[0-9]* \
	/var/run/dpdk/fssc[0-9]* \
	/var/run/dpdk/fs6c[0-9]*; do
	[[ -e $d ]] && fs_cleanup_dpdk "$(basename "$d")"
done
for p in fsd fsf fsw fsn fsl fsm fsy fsy2 fsi fsc fso fsr fsk fsx fsz fsq fsu fse fsj fsv fsg fs6 fsh fsw2 \
	fsdt \
	fsst \
	fsv2 \
	fs6c \
	fsbx; do
	fs_ns_destroy "$p" >/dev/null 2>&1 || true
done

if [[ $rc -ne 0 ]]; then
	echo "tests/run.sh: FAILED" >&2
	exit 1
fi
echo "tests/run.sh: all tests passed"
