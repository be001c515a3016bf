#!/usr/bin/env bash
# deploy/demo.sh — FlowSplice's main job, from a fresh Debian 12 machine: installs the
# dependencies, builds, reserves hugepages, builds a chain's demo topology (test hosts in network
# namespaces, addresses from 198.18.0.0/15, web servers, backends: deploy/lib/topo.sh and the
# chain's companion deploy/chains/NAME.demo), starts flowmgr, which launches the chain's VNFs,
# drives HTTP downloads from the clients through the chain (a progress line while they run),
# checks them and what the VNFs did, shows the classification tree and the counters, prints a
# summary and removes everything it created. Exits non-zero if a check fails.
#
# The default chain, paper.yaml, is the paper's chain doing visible work:
#   clients -> fw -> nat -> flowmon -> lb -> ids -> rewrite -> backends   (docs/demo.md)
#
# Usage: sudo ./deploy/demo.sh [--chain NAME|FILE] [--ports af_xdp|af_packet] [--size-mb N]
#                              [--downloads N] [--quick] [--json] [--plot] [--no-install] [--no-build]
#   --chain      a chain of deploy/chains (paper, nat-lb, fig2-run, ...) or a chain file
#   --ports      flowmgr's ports on the veths: af_xdp (the default: net_af_xdp, its XDP program on
#                the root-side veths, removed at the end) or af_packet (net_af_packet)
#   --size-mb    size of each downloaded file (default 8); --downloads: per client (default 8)
#   --quick      short traffic (1 MB, 2 downloads per client), as the e2e test runs it
#   --json       the summary as JSON on standard output (everything else on standard error)
#   --plot       throughput and latency over the run, drawn by gnuplot into an SVG file
#   --no-install, --no-build: skip those steps (the binaries must be built: FS_BUILD_DIR or build/)
# FS_DEMO_KEEP=1 keeps the run directory (logs, captures, samples) for a look afterwards.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
chain=paper
port_type=${FS_DEMO_PORTS:-af_xdp}
size_mb=8
per_client=8
install=1
build_it=1
json=0
plot=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--chain) chain=$2; shift 2 ;;
	--ports) port_type=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--downloads) per_client=$2; shift 2 ;;
	--quick) size_mb=1; per_client=2; shift ;;
	--json) json=1; shift ;;
	--plot) plot=1; shift ;;
	--no-install) install=0; shift ;;
	--no-build) build_it=0; shift ;;
	-h | --help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (namespaces, hugepages)" >&2; exit 1; }
[[ $port_type == af_xdp || $port_type == af_packet ]] ||
	{ echo "demo: --ports takes af_xdp or af_packet" >&2; exit 2; }
export FS_DEMO_PORTS=$port_type # deploy/lib/topo.sh: topo_ports
[[ $size_mb =~ ^[1-9][0-9]*$ && $per_client =~ ^[1-9][0-9]*$ ]] ||
	{ echo "demo: --size-mb and --downloads take positive integers" >&2; exit 2; }
if [[ ! -f $chain ]]; then
	[[ -f $top/deploy/chains/$chain.yaml ]] ||
		{ echo "demo: no chain '$chain' (a file, or one of:" \
			"$(basename -s .yaml "$top"/deploy/chains/*.yaml | tr '\n' ' '))" >&2; exit 2; }
	chain=$top/deploy/chains/$chain.yaml
fi
chain=$(cd "$(dirname "$chain")" && pwd)/$(basename "$chain")
name=$(basename "$chain" .yaml)

# --json: standard output carries the JSON summary only.
exec 3>&1
[[ $json -eq 0 ]] || exec 1>&2
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ $install -eq 1 ]]; then
	say "dependencies"
	"$top/deploy/install-deps.sh"
fi

build=${FS_BUILD_DIR:-$top/build}
if [[ $build_it -eq 1 ]]; then
	say "build"
	[[ -f $build/CMakeCache.txt ]] ||
		cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j"$(nproc)" --target flowmgr nfctl forward fw nat flowmon lb ids \
		rewrite httpfilter >/dev/null
fi
bin=$build/bin

say "hugepages"
"$top/deploy/hugepages.sh"

# shellcheck source=deploy/lib/netns.sh
. "$top/deploy/lib/netns.sh"
# shellcheck source=deploy/lib/topo.sh
. "$top/deploy/lib/topo.sh"
# shellcheck source=deploy/lib/demo_checks.sh
. "$top/deploy/lib/demo_checks.sh"
topo_load "$chain"
ns=$topo_ns
prefix=fsdemo$$
run=$(mktemp -d /tmp/fsdemo.XXXXXX)
sock=$run/flowmgr.sock
pids=()
nfctl() { "$bin/nfctl" -s "$sock" "$@"; }

cleanup() {
	local rc=$? left
	set +e
	say "cleanup"
	# Launched VNFs stop with flowmgr; flowmgr before the servers (reverse start order).
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do fs_stop_pid "${pids[i]}" 5; done
	# af_xdp ports: flowmgr removes its XDP program when it closes a port; after a crash the
	# program stays on the veth until the veth goes: remove it first, and say so.
	for x in "$ns-pa" "$ns-pb"; do
		if ip link show dev "$x" 2>/dev/null | grep -q ' xdp'; then
			echo "demo: XDP program left on $x: removed"
			ip link set dev "$x" xdp off 2>/dev/null || true
		fi
	done
	fs_ns_destroy "$ns"
	fs_cleanup_dpdk "$prefix"
	if [[ ${FS_DEMO_KEEP:-0} == 1 ]]; then echo "demo: kept $run"; else rm -rf "$run"; fi
	left=$(demo_leftovers "$ns" "$prefix" "${pids[@]}")
	if [[ -n $left ]]; then
		echo "demo: FAILED: left behind: $left" >&2
		[[ $rc -ne 0 ]] || rc=1
	else
		echo "demo: removed namespaces $ns-a/$ns-b, their veths, every process it started," \
			"the hugepage files and /var/run/dpdk/$prefix: nothing left behind"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "test hosts ($name: deploy/chains/$name.demo)"
topo_hosts
ip -br addr show dev "$ns-pa"
ip -br addr show dev "$ns-pb"
ip -n "$ns-a" -br -4 addr show dev eth0 | sed "s/^/$ns-a: /"
ip -n "$ns-b" -br -4 addr show dev eth0 | sed "s/^/$ns-b: /"

say "servers on host b"
demo_files "$run/www" "$size_mb"
if [[ ${#topo_web[@]} -gt 0 ]]; then
	topo_nginx "$run" "$run/www"
	echo "nginx on ${topo_web[*]}"
fi
topo_udp_echo_start "$run"
[[ -z $topo_udp_echo ]] || echo "UDP echo on $topo_udp_echo"
topo_ipfix_start "$run" "$top"
[[ -z $topo_ipfix ]] || echo "IPFIX collector on $topo_ipfix"

say "flowmgr ($chain, $port_type ports) launching the VNFs"
# From the top: chains name VNF files (ids rules) relative to the repository.
cd "$top"
if ! topo_flowmgr "$bin" "$chain" "$sock" "$prefix" "$run/flowmgr.log"; then
	tail -n 30 "$run/flowmgr.log" >&2
	exit 1
fi
nfctl vnfs

if [[ -n $topo_url ]]; then
	say "warm-up (lb and nat resolve their neighbours)"
	demo_warmup "$run"
fi

if [[ -n $topo_url ]]; then
	say "traffic: ${#topo_clients[@]} client(s) x $per_client downloads of $size_mb MB from $topo_url"
else
	say "traffic: UDP from ${topo_clients[*]} to $topo_udp_echo"
fi
demo_traffic_run "$run" "$size_mb" "$per_client"
if declare -F demo_traffic >/dev/null; then demo_traffic "$run"; fi

say "checks"
demo_checks_run "$run" "$size_mb"

say "the combined classification tree (nfctl tree: one lookup for all VNFs)"
nfctl tree
say "per-VNF and port counters (nfctl stats; flowmgr's non-zero session and TCP counters)"
nfctl stats | sed '/^counters/,$d'
nfctl stats | awk '/^counters/ {c = 1; next} c && $2 != 0 && $1 ~ /^(sessions|bidir_|tcp_|drop_)/' |
	column -c 100
demo_show "$run"

if [[ $plot -eq 1 ]]; then
	say "plot"
	demo_plot "$run" "/tmp/flowsplice-demo-$name.svg"
fi

say "summary"
demo_summary "$run" "$name" >"$run/summary.json"
demo_table "$run/summary.json"
[[ $json -eq 0 ]] || cat "$run/summary.json" >&3
demo_all_passed "$run/summary.json"
