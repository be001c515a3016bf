#!/usr/bin/env bash
# deploy/demo.sh — FlowSplice's main job, from a fresh Debian 12 machine:
# installs the dependencies, builds, reserves hugepages, creates two test hosts in network
# namespaces (198.18.0.1 and 198.18.0.2) joined only through flowmgr (a bump-in-the-wire bridge
# on af_packet ports), attaches the VNF chain, downloads a file over HTTP from one host to the
# other through the chain, checks it byte for byte (sha256), shows the counters with nfctl and
# removes everything it created. Exits non-zero if anything fails.
#
# Usage: sudo ./deploy/demo.sh [--chain deploy/chains/forward.yaml] [--size-mb 32] [--no-install]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
chain=$top/deploy/chains/forward.yaml
size_mb=32
install=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--chain) chain=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--no-install) install=0; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (namespaces, hugepages)" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ $install -eq 1 ]]; then
	say "dependencies"
	"$top/deploy/install-deps.sh"
fi

say "build"
build=${FS_BUILD_DIR:-$top/build}
[[ -f $build/CMakeCache.txt ]] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target flowmgr forward nfctl >/dev/null
bin=$build/bin

say "hugepages"
"$top/deploy/hugepages.sh"

# shellcheck source=deploy/lib/netns.sh
. "$top/deploy/lib/netns.sh"
ns=fsd
prefix=fsdemo$$
run=$(mktemp -d /tmp/fsdemo.XXXXXX)
sock=$run/flowmgr.sock
pids=()

cleanup() {
	local rc=$?
	set +e
	say "cleanup"
	# VNFs first, flowmgr last (DPDK cannot outlive-restart a primary under live secondaries).
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		fs_stop_pid "${pids[i]}" 5
	done
	fs_ns_destroy "$ns"
	fs_cleanup_dpdk "$prefix"
	rm -rf "$run"
	echo "demo: removed namespaces $ns-a/$ns-b, veths, processes, hugepage files of $prefix"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "test hosts"
fs_ns_create "$ns"
ip -br addr show dev "$ns-pa"
ip -br addr show dev "$ns-pb"

say "flowmgr ($chain)"
"$bin/flowmgr" -c "$chain" -s "$sock" --wait-vnfs -- --file-prefix "$prefix" --lcores 0@0,1@1 \
	>"$run/flowmgr.log" 2>&1 &
fm_pid=$!
pids+=("$fm_pid")
for _ in $(seq 100); do
	"$bin/nfctl" -s "$sock" status >/dev/null 2>&1 && break
	kill -0 "$fm_pid" 2>/dev/null || { cat "$run/flowmgr.log"; exit 1; }
	sleep 0.1
done
"$bin/nfctl" -s "$sock" status

say "VNFs"
mapfile -t vnfs < <("$bin/nfctl" -s "$sock" --json vnfs |
	python3 -c 'import json,sys; [print(v["name"]) for v in json.load(sys.stdin)["vnfs"]]')
for v in "${vnfs[@]}"; do
	"$bin/forward" --name "$v" --socket "$sock" --file-prefix "$prefix" >"$run/$v.log" 2>&1 &
	pids+=("$!")
done
for _ in $(seq 100); do
	up=$("$bin/nfctl" -s "$sock" --json vnfs |
		python3 -c 'import json,sys; print(sum(v["state"]=="running" for v in json.load(sys.stdin)["vnfs"]))')
	[[ $up -eq ${#vnfs[@]} ]] && break
	sleep 0.1
done
"$bin/nfctl" -s "$sock" vnfs

say "HTTP server on host b (198.18.0.2:8080), ${size_mb} MB file"
mkdir -p "$run/www"
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$run/www/blob.bin"
# ip netns exec execs the server in place, so $! is the server's own PID.
ip netns exec "$ns-b" python3 -m http.server 8080 --bind "$(fs_ns_ip b)" --directory "$run/www" \
	>"$run/http.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do
	fs_ns_exec "$ns" a curl -s -o /dev/null --max-time 2 "http://$(fs_ns_ip b):8080/" && break
	sleep 0.2
done

say "download through the chain (host a -> flowmgr -> VNFs -> host b)"
start=$(date +%s.%N)
fs_ns_exec "$ns" a curl -sS --fail --max-time 120 -o "$run/got.bin" \
	"http://$(fs_ns_ip b):8080/blob.bin"
end=$(date +%s.%N)
want=$(sha256sum <"$run/www/blob.bin" | cut -d' ' -f1)
got=$(sha256sum <"$run/got.bin" | cut -d' ' -f1)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); \
print(f'{int(sys.argv[3])} MB in {s:.2f} s = {int(sys.argv[3])*8/s:.0f} Mbit/s')" \
	"$start" "$end" "$size_mb"
echo "sha256 sent: $want"
echo "sha256 got:  $got"

say "counters"
"$bin/nfctl" -s "$sock" stats

if [[ $want != "$got" ]]; then
	echo "demo: FAILED: the file arrived corrupted" >&2
	exit 1
fi
echo
echo "demo: OK: ${size_mb} MB transferred byte-exact through flowmgr and ${#vnfs[@]} VNF process(es)"
