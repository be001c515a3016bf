#!/usr/bin/env bash
# deploy/install-deps.sh — install every Debian 12 (bookworm) package that FlowSplice's build,
# tests, demo and benchmarks need, and create the service user flowmgr and its VNFs run as
# (`flowsplice`: a system user and group, no login shell, no home; docs/security.md).
# Idempotent: installs only what is missing, creates the user only once, and runs
# `apt-get update` only when the package lists are older than an hour (or with --update).
#
# Suricata 7 (the ids peer of bench/run.sh stream and paper) is not in bookworm's main suite: it
# comes from Debian's bookworm-backports suite, whose apt source this script adds
# (/etc/apt/sources.list.d/flowsplice-backports.sources, only when no source names that suite yet)
# and installs with `apt-get install -t bookworm-backports suricata`.
#
# Usage: sudo deploy/install-deps.sh [--update] [--list]
#   --update   refresh the package lists even if they are fresh
#   --list     print the package list and exit
# Env: FS_APT_MAX_AGE  seconds after which the lists count as stale (default 3600)
set -euo pipefail

# One package a line, with what needs it. Every name checked with `apt-cache policy` on bookworm.
PACKAGES=(
	build-essential     # gcc, make, libc headers
	cmake               # build system (>= 3.20)
	pkg-config          # finds the libraries below
	clang               # BPF objects (XDP offload), also a second compiler
	libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes of clang (tests/fuzz harnesses)
	llvm                # llvm-strip/llvm-objdump for BPF objects
	clang-format        # style check of C sources
	shellcheck          # lint of deploy/ and tests/ scripts
	libdpdk-dev         # DPDK 22.11 headers and libraries
	dpdk                # dpdk-devbind.py, dpdk-hugepages.py
	dpdk-dev            # dpdk-testpmd, dpdk-telemetry.py, dpdk-dumpcap (tests, benchmarks)
	protobuf-c-compiler # protoc-c: control protocol
	libprotobuf-c-dev   # control protocol runtime
	check               # unit and integration tests
	libbpf-dev          # XDP offload loader
	libxdp-dev          # XDP program attach (af_xdp ports)
	xdp-tools           # xdp-loader for inspection
	libhyperscan-dev    # IDS pattern matching
	libpcap-dev         # filter-language cross-checks, pcap ports
	libyaml-dev         # chain config (flowmgr/config)
	iproute2            # ip netns, veth (tests, demo)
	iputils-ping        # reachability checks in tests
	ethtool             # checksum/GRO/GSO/TSO offloads off on veths
	util-linux          # mount, nsenter
	procps              # ps, sysctl
	systemd             # systemd-analyze: offline check of the units (tests/unit/systemd)
	curl                # HTTP client of the demo and e2e tests
	wrk                 # HTTP load (benchmarks)
	iperf3              # TCP throughput (benchmarks)
	linux-perf          # where the CPU goes (bench/run.sh cost)
	nginx-light         # HTTP server of the demo and e2e tests
	python3             # helper scripts, dpdk-telemetry.py
	python3-yaml        # YAML in test scripts (tests/unit/k8s)
	tcpdump             # captures while debugging tests
	tcpreplay           # paced replay of generated traffic (SYN-flood test)
	tshark              # pcap inspection in tests
	nftables            # loss/duplication injection (netdev hooks) in e2e tests
	gnuplot-nox         # bench plots
	haproxy             # HTTP load-balancer peer of bench/run.sh paper (Fig. 14)
	prometheus          # promtool: checks flowmgr's metrics endpoint (its daemon is not started)
)

# Packages from bookworm-backports (installed with -t bookworm-backports; main lacks them).
BACKPORTS=(
	suricata # ids peer of bench/run.sh stream and paper (7.0.x)
)

die() {
	echo "install-deps: $*" >&2
	exit 1
}

force_update=0
for arg in "$@"; do
	case "$arg" in
	--update) force_update=1 ;;
	--list)
		printf '%s\n' "${PACKAGES[@]}" "${BACKPORTS[@]}"
		exit 0
		;;
	-h | --help)
		sed -n '2,9p' "$0"
		exit 0
		;;
	*) die "unknown argument '$arg' (try --help)" ;;
	esac
done

[[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12 (bookworm)"
if [[ -r /etc/os-release ]]; then
	# shellcheck disable=SC1091
	. /etc/os-release
	[[ ${VERSION_CODENAME:-} == bookworm ]] ||
		echo "install-deps: warning: tested on Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}" >&2
fi

# The service user (FS_SERVICE_USER, default flowsplice): flowmgr drops to it after set-up.
service_user() {
	local user=${FS_SERVICE_USER:-flowsplice}
	if id -u "$user" >/dev/null 2>&1; then
		echo "install-deps: service user $user present (uid $(id -u "$user"))"
		return
	fi
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "FlowSplice service" "$user" ||
		die "cannot create the service user $user"
	echo "install-deps: created service user $user (uid $(id -u "$user"), no login)"
}

is_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == "ii "* ]]
}

# The Kubernetes API schemas (npm kubernetes-models) that tests/unit/k8s validates deploy/k8s
# against, offline, with the machine's Node.js; kept in FS_K8S_NPM.
NPM_MODELS=kubernetes-models@5.1.0
npm_models() {
	local dir=${FS_K8S_NPM:-/usr/local/lib/flowsplice-npm}
	[[ -f $dir/node_modules/kubernetes-models/package.json ]] && return 0
	command -v npm >/dev/null || die "npm not found: needed for $NPM_MODELS (tests/unit/k8s)"
	echo "install-deps: npm install $NPM_MODELS into $dir"
	mkdir -p "$dir"
	npm install --silent --no-audit --no-fund --prefix "$dir" "$NPM_MODELS" >/dev/null ||
		die "npm install $NPM_MODELS failed"
}

BACKPORTS_SOURCE=/etc/apt/sources.list.d/flowsplice-backports.sources
# backports_source — adds the bookworm-backports suite unless some apt source already names it;
# prints 1 when it added the file (the lists then need an update).
backports_source() {
	if grep -rqs -- 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		echo 0
		return
	fi
	# the mirror the machine already uses for bookworm's main suite (deb822 or one-line format)
	local uri
	uri=$({
		sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\/\{0,1\}\)[[:space:]]*$/\1/p' \
			/etc/apt/sources.list.d/*.sources
		sed -n 's/^deb[[:space:]]\{1,\}\([^[:space:]]*\/debian\/\{0,1\}\)[[:space:]]\{1,\}bookworm[[:space:]].*/\1/p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list
	} 2>/dev/null | head -n 1)
	[[ -n $uri ]] || die "no apt source for bookworm's main suite found: cannot add bookworm-backports"
	cat >"$BACKPORTS_SOURCE" <<SRC
# added by FlowSplice deploy/install-deps.sh: Suricata 7 comes from bookworm-backports
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	echo 1
}

missing=()
missing_bp=()
for pkg in "${BACKPORTS[@]}"; do
	is_installed "$pkg" || missing_bp+=("$pkg")
done
for pkg in "${PACKAGES[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done
service_user
total=$((${#PACKAGES[@]} + ${#BACKPORTS[@]}))
if [[ ${#missing[@]} -eq 0 && ${#missing_bp[@]} -eq 0 ]]; then
	npm_models
	echo "install-deps: all $total packages present"
	exit 0
fi
echo "install-deps: missing $((${#missing[@]} + ${#missing_bp[@]})) of $total: ${missing[*]} ${missing_bp[*]}"
if [[ ${#missing_bp[@]} -gt 0 && $(backports_source) -eq 1 ]]; then
	echo "install-deps: added $BACKPORTS_SOURCE (bookworm-backports)"
	force_update=1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" instead of prompting.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

# Refresh the package lists once, unless they are fresh (newest list file < FS_APT_MAX_AGE old).
max_age=${FS_APT_MAX_AGE:-3600}
newest=$(find /var/lib/apt/lists -maxdepth 1 -type f -name '*_InRelease' -printf '%T@\n' 2>/dev/null |
	sort -n | tail -n 1)
now=$(date +%s)
if [[ $force_update -eq 1 || -z $newest || $((now - ${newest%.*})) -gt $max_age ]]; then
	echo "install-deps: apt-get update"
	apt-get update -q
else
	echo "install-deps: package lists are $((now - ${newest%.*})) s old, skipping apt-get update"
fi

# Packages that ship a daemon (nginx, prometheus) must not start it here: the tests and the demo
# run their own instances. A policy-rc.d of ours, only for this install, says so.
guard=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\n# deploy/install-deps.sh: no daemon starts during its install\nexit 101\n' \
		>/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	guard=1
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
[[ ${#missing[@]} -eq 0 ]] || apt-get install -y -q --no-install-recommends "${missing[@]}"
[[ ${#missing_bp[@]} -eq 0 ]] ||
	apt-get install -y -q --no-install-recommends -t bookworm-backports "${missing_bp[@]}"
if [[ $guard -eq 1 ]]; then
	rm -f /usr/sbin/policy-rc.d
	trap - EXIT
fi

still=()
for pkg in "${missing[@]}" "${missing_bp[@]}"; do
	is_installed "$pkg" || still+=("$pkg")
done
[[ ${#still[@]} -eq 0 ]] || die "still missing after install: ${still[*]}"
npm_models
echo "install-deps: installed $((${#missing[@]} + ${#missing_bp[@]})) package(s); all $total packages present"
