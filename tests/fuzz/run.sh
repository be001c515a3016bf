#!/usr/bin/env bash
# tests/fuzz/run.sh — builds the libFuzzer harnesses (clang, in build-fuzz/) and runs each one for
# a fixed budget over its committed seed corpus. Prints, per harness, the executions, the
# coverage (cov: edges, ft: features) and the crashes; exits non-zero if any harness crashed.
#
#   tests/fuzz/run.sh                   30 s per harness
#   tests/fuzz/run.sh --seconds N       N seconds per harness (tests/run.sh uses a short one)
#   tests/fuzz/run.sh --minutes N       N minutes per harness (long runs)
#   tests/fuzz/run.sh --only NAME,...   only these harnesses (pkt filter config http ids ctl
#                                       seqmap tcp)
#   tests/fuzz/run.sh --jobs J          run J harnesses at once (default 1); with --minutes, a
#                                       long run of every harness fits in a fraction of the time
#   tests/fuzz/run.sh --build-only      build, run nothing
# Env: FS_FUZZ_DIR (default <top>/build-fuzz), FS_FUZZ_NICE (default 10).
# New inputs go to build-fuzz/corpus/NAME (seeds are never written); crashes to
# build-fuzz/artifacts/NAME/; logs to build-fuzz/logs/NAME.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tests/fuzz"
out=${FS_FUZZ_DIR:-$top/build-fuzz}
nice_lvl=${FS_FUZZ_NICE:-10}
seconds=30
only=""
build_only=0
jobs=1
all=(pkt filter config http ids ctl seqmap tcp)

while [[ $# -gt 0 ]]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--minutes) seconds=$(($2 * 60)); shift 2 ;;
	--only) only=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	*) echo "tests/fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "tests/fuzz/run.sh: bad budget" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "tests/fuzz/run.sh: bad --jobs" >&2; exit 2; }
names=("${all[@]}")
[[ -n $only ]] && IFS=, read -r -a names <<<"$only"

# protobuf-c's source, from Debian's source package of the installed version, fetched with a
# private apt configuration (the system's sources stay untouched) and kept in build-fuzz/.
fetch_protobuf_c() {
	local apt="$out/apt" ver src
	ver=$(dpkg-query -W -f='${source:Upstream-Version}' libprotobuf-c-dev 2>/dev/null) || return 1
	src="$out/protobuf-c-$ver"
	if [[ ! -f $src/protobuf-c/protobuf-c.c ]]; then
		mkdir -p "$apt/lists/partial" "$apt/parts" "$apt/dl"
		# the system's own Debian sources, as source-package entries
		if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
			sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
				>"$apt/parts/src.sources"
		else
			sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$apt/parts/src.list"
		fi
		: >"$apt/empty.list"
		local opts=(-o "Dir::Etc::SourceList=$apt/empty.list" -o "Dir::Etc::SourceParts=$apt/parts"
			-o "Dir::State::Lists=$apt/lists" -o "APT::Sandbox::User=root" -qq)
		apt-get "${opts[@]}" update >/dev/null 2>&1 || return 1
		(cd "$apt/dl" && apt-get "${opts[@]}" source --download-only "protobuf-c=$(dpkg-query -W -f='${Version}' libprotobuf-c-dev | sed 's/+b[0-9]*$//')" >/dev/null 2>&1) || return 1
		tar -xzf "$apt/dl/protobuf-c_${ver}.orig.tar.gz" -C "$out" || return 1
	fi
	[[ -f $src/protobuf-c/protobuf-c.c ]] && echo "$src"
}

build() {
	local pbc="" targets=()
	mkdir -p "$out"
	if pbc=$(fetch_protobuf_c); then
		echo "fuzz: protobuf-c built in from $pbc"
	else
		pbc=""
		echo "fuzz: WARNING: protobuf-c source not available; fuzz_ctl links the system library (decoder not instrumented)" >&2
	fi
	CC=clang cmake -S "$top" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFS_FUZZ=ON \
		-DFS_FUZZ_PROTOBUFC_SRC="$pbc" >/dev/null
	for n in "${names[@]}"; do targets+=("fuzz_$n"); done
	nice -n "$nice_lvl" cmake --build "$out" -j"$(nproc)" --target "${targets[@]}" >/dev/null
}

# run NAME: one harness for $seconds; prints "NAME execs cov ft crashes".
run_one() {
	local name=$1 bin="$out/fuzz/fuzz_$1" corpus="$out/corpus/$1" art="$out/artifacts/$1/"
	local log="$out/logs/$1.log" rc=0 execs cov ft crashes dict=()
	mkdir -p "$corpus" "$art" "$out/logs"
	[[ -f $here/$name/$name.dict ]] && dict=(-dict="$here/$name/$name.dict")
	touch "$log.start" # artifacts of earlier runs stay, and are not counted again
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		nice -n "$nice_lvl" "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" \
		"$corpus" "$here/$name/seeds" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	# crash-, leak-, timeout-, oom- inputs; slow-unit- ones (a loaded machine) are not failures
	crashes=$(find "$art" -type f -newer "$log.start" \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[[ $rc -ne 0 && $crashes -eq 0 ]] && crashes="rc=$rc"
	printf '%-8s %12s %8s %8s %8s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
	[[ $rc -eq 0 && $crashes == 0 ]]
}

# A harness that crashed did not clean up: the ctl server's socket directory, the tcp harness's
# DPDK run directory. Removed once their process is gone.
sweep() {
	local d pid
	for d in /tmp/fs-fuzz-ctl-* /var/run/dpdk/fstfuzz*; do
		[[ -e $d ]] || continue
		pid=${d##*[!0-9]}
		[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && continue
		rm -rf "$d"
	done
}

build
[[ $build_only -eq 1 ]] && exit 0
printf '%-8s %12s %8s %8s %8s   (%s s each)\n' harness execs cov ft crashes "$seconds"
failed=0
if [[ $jobs -eq 1 ]]; then
	for n in "${names[@]}"; do
		run_one "$n" || { failed=1; echo "fuzz: $n FAILED, see $out/logs/$n.log" >&2; }
		sweep
	done
else
	# J at a time; each harness's line and verdict go to a file, printed in the usual order
	mkdir -p "$out/logs"
	declare -A pids=()
	running=0
	for n in "${names[@]}"; do
		if [[ $running -ge $jobs ]]; then
			wait -n || true
			running=$((running - 1))
		fi
		(run_one "$n" >"$out/logs/$n.line" && echo ok >"$out/logs/$n.verdict" ||
			echo failed >"$out/logs/$n.verdict") &
		pids[$n]=$!
		running=$((running + 1))
	done
	wait
	for n in "${names[@]}"; do
		cat "$out/logs/$n.line"
		if [[ $(cat "$out/logs/$n.verdict" 2>/dev/null) != ok ]]; then
			failed=1
			echo "fuzz: $n FAILED, see $out/logs/$n.log" >&2
		fi
	done
	sweep
fi
if [[ $failed -ne 0 ]]; then
	echo "tests/fuzz/run.sh: crashes found (inputs in $out/artifacts/)" >&2
	exit 1
fi
echo "tests/fuzz/run.sh: no crash"
