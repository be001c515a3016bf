# shellcheck shell=bash disable=SC2034 # topo_* are for the caller
# deploy/lib/topo.sh — the demo topology of a chain, shared by deploy/demo.sh and the e2e tests:
# the hosts' extra addresses, the web servers (nginx, one access log per server), a UDP echo
# server, the IPFIX collector and flowmgr started with --launch. Source it after
# deploy/lib/netns.sh. Needs root, iproute2, nginx, python3.
#
# A chain deploy/chains/NAME.yaml declares its topology in the companion deploy/chains/NAME.demo,
# a bash file of assignments (sourced by topo_load; hooks optional). Every address is from
# 198.18.0.0/15. Variables (defaults in topo_load):
#   topo_ns        namespace and port prefix (fs_ns_create): hosts NS-a and NS-b
#   topo_a_addrs   extra addresses of host a (the clients), /24 on eth0
#   topo_b_addrs   extra addresses of host b (servers, backends), /24 on eth0
#   topo_web       nginx servers on host b, ADDR:PORT each; server I logs to RUN/nginx/webI.log
#                  ("HOST REQUEST STATUS" per line)
#   topo_udp_echo  ADDR:PORT of a UDP echo server on host b (empty: none)
#   topo_ipfix     ADDR:PORT of the IPFIX collector (127.0.0.1, the chain's flowmon target)
#   topo_ipfix_flows  what flowmon must have reported: tcp (default: both directions of every
#                  download) or udp (the 20 requests sent to topo_udp_echo)
#   topo_url       the base URL the clients download from ("http://ADDR:PORT"; empty: no
#                  downloads, the latency probe is then a UDP echo to topo_udp_echo)
#   topo_static_arp  1: the hosts get each other's MAC addresses as permanent neighbours (for
#                  chains that drop ARP)
#   topo_clients   the clients' source addresses on host a (the first also sends the probes)
#   topo_backends  indexes into topo_web of the load-balanced backends (check "spread": each
#                  served an even share of the HTTP requests)
#   topo_checks    the checks demo.sh runs besides "downloads": spread nat ipfix ids rewrite
#                  udp_echo (deploy/lib/demo_checks.sh, _demo_check_NAME)
#   topo_no_exec   for a chain of declarations only (no `exec`): the program demo.sh starts
#                  under each VNF's name (e.g. forward)
# Hooks a companion may define: demo_traffic RUN (extra traffic, after the downloads) and
# demo_check RUN (extra checks, each reported with demo_check_result NAME ok|FAILED DETAIL).

# topo_load FILE — the companion of a chain (FILE.demo next to FILE.yaml), or the defaults when
# there is none: one client 198.18.0.1 downloading from a web server on 198.18.0.2:8080.
topo_load() {
	local chain=$1 companion
	topo_ns=fsd
	topo_a_addrs=()
	topo_b_addrs=()
	topo_web=("$FS_NS_IP_B:8080")
	topo_udp_echo=
	topo_ipfix=
	topo_ipfix_flows=tcp
	topo_url="http://$FS_NS_IP_B:8080"
	topo_clients=("$FS_NS_IP_A")
	topo_backends=()
	topo_checks=()
	topo_static_arp=0
	topo_no_exec=
	unset -f demo_traffic demo_check
	companion=${chain%.yaml}.demo
	if [[ -f $companion ]]; then
		# shellcheck disable=SC1090
		. "$companion" || return 1
	fi
	fs_ns_check_prefix "$topo_ns"
}

# topo_hosts — creates the two hosts (fs_ns_create $topo_ns) and adds the extra addresses.
topo_hosts() {
	fs_ns_create "$topo_ns" && topo_addrs
}

# topo_addrs — on hosts made by fs_ns_create $topo_ns: the extra addresses (and neighbours).
topo_addrs() {
	local ip
	for ip in "${topo_a_addrs[@]}"; do ip -n "$topo_ns-a" addr add "$ip/24" dev eth0 || return 1; done
	for ip in "${topo_b_addrs[@]}"; do ip -n "$topo_ns-b" addr add "$ip/24" dev eth0 || return 1; done
	[[ $topo_static_arp == 1 ]] || return 0
	_topo_neigh a b "$FS_NS_IP_B" "${topo_b_addrs[@]}" &&
		_topo_neigh b a "$FS_NS_IP_A" "${topo_a_addrs[@]}"
}

# _topo_neigh SIDE OTHER ADDR... — host SIDE reaches each ADDR at host OTHER's MAC address.
_topo_neigh() {
	local mac ip
	mac=$(ip -n "$topo_ns-$2" -br link show dev eth0 | awk '{print $3}')
	for ip in "${@:3}"; do
		ip -n "$topo_ns-$1" neigh replace "$ip" lladdr "$mac" nud permanent dev eth0 || return 1
	done
}

# topo_nginx RUN WWW — starts nginx on host b serving directory WWW on every topo_web address;
# its PID goes to the caller's `pids`. Returns once every server accepts connections.
topo_nginx() {
	local run=$1 www=$2 i addr
	mkdir -p "$run/nginx"
	chmod a+rx "$run" && chmod -R a+rX "$www" # nginx workers are www-data
	{
		echo "worker_processes 2; pid $run/nginx/nginx.pid; error_log $run/nginx/error.log;"
		echo "events { worker_connections 4096; }"
		echo "http { sendfile on; client_body_temp_path $run/nginx; proxy_temp_path $run/nginx;"
		echo "  fastcgi_temp_path $run/nginx; uwsgi_temp_path $run/nginx;"
		echo "  scgi_temp_path $run/nginx; log_format req '\$host \$request \$status';"
		for i in "${!topo_web[@]}"; do
			echo "  server { listen ${topo_web[i]}; root $www;"
			echo "    access_log $run/nginx/web$i.log req; }"
		done
		echo "}"
	} >"$run/nginx/nginx.conf"
	ip netns exec "$topo_ns-b" nginx -c "$run/nginx/nginx.conf" -g 'daemon off;' \
		>"$run/nginx/stdout" 2>&1 &
	pids+=("$!")
	for addr in "${topo_web[@]}"; do
		for _ in $(seq 50); do
			# Listening sockets, not a connection: a probe would be in the access logs.
			[[ $(ip netns exec "$topo_ns-b" ss -Hltn "sport = :${addr#*:}") == *" $addr "* ]] &&
				break
			sleep 0.1
		done
	done
}

# topo_served RUN I PATTERN — how many requests matching PATTERN web server I logged.
topo_served() {
	grep -c -- "$3" "$1/nginx/web$2.log" 2>/dev/null || true
}

# topo_udp_echo_start RUN — the UDP echo server of topo_udp_echo on host b; it writes each
# peer ("ADDR:PORT") it answered to RUN/udp_peers.txt.
topo_udp_echo_start() {
	local run=$1
	[[ -n $topo_udp_echo ]] || return 0
	cat >"$run/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
peers = open(sys.argv[3], "w")
while True:
    d, peer = s.recvfrom(2048)
    peers.write("%s:%d\n" % peer)
    peers.flush()
    s.sendto(d, peer)
PY
	: >"$run/udp_peers.txt"
	ip netns exec "$topo_ns-b" python3 "$run/udp_echo.py" "${topo_udp_echo%:*}" \
		"${topo_udp_echo#*:}" "$run/udp_peers.txt" &
	pids+=("$!")
}

# topo_ipfix_start RUN TOP — the IPFIX collector of topo_ipfix, writing RUN/ipfix.pcap.
topo_ipfix_start() {
	[[ -n $topo_ipfix ]] || return 0
	python3 "$2/tests/integration/e2e/ipfix_collector.py" "$topo_ipfix" "$1/ipfix.pcap" \
		>"$1/collector.log" 2>&1 &
	pids+=("$!")
}

# topo_ports — flowmgr's --port options: the chain's p0/p1 on this topology's veths, as af_xdp
# ports (the default: FS_DEMO_PORTS unset or af_xdp; one queue, the veth's only combined channel;
# the PMD attaches its XDP program to the root-side veth and removes it when the port closes) or
# as af_packet ports (FS_DEMO_PORTS=af_packet, demo.sh --ports af_packet).
topo_ports() {
	local i side
	for i in 0 1; do
		side=$([[ $i -eq 0 ]] && echo a || echo b)
		case ${FS_DEMO_PORTS:-af_xdp} in
		af_xdp) echo "--port p$i=net_af_xdp$i,iface=$topo_ns-p$side,start_queue=0,queue_count=1" ;;
		af_packet) echo "--port p$i=net_af_packet$i,iface=$topo_ns-p$side,framecnt=4096" ;;
		*)
			echo "topo: FS_DEMO_PORTS must be af_xdp or af_packet, not '$FS_DEMO_PORTS'" >&2
			return 1
			;;
		esac
	done
}

# topo_vnfs_up BIN SOCK — "UP WANT": VNFs running and declared.
topo_vnfs_up() {
	"$1/nfctl" -s "$2" --json vnfs 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["vnfs"]
print(sum(x["state"] == "running" for x in v), len(v))' 2>/dev/null || echo "0 1"
}

# topo_flowmgr BIN CHAIN SOCK PREFIX LOG [FLOWMGR_OPTION...] — starts flowmgr with --launch on
# this topology's ports (PID into `pids`), then the topo_no_exec program under each VNF's name
# when set (a chain without `exec`; as the service user), and waits until every VNF runs. Returns 1 if they do not
# in 15 s.
topo_flowmgr() {
	local bin=$1 chain=$2 sock=$3 prefix=$4 log=$5 up=0 want v fm_pid ports
	shift 5
	topo_ports >/dev/null || return 1
	mapfile -t ports < <(topo_ports)
	# shellcheck disable=SC2068 # each line is "--port VALUE": two words
	"$bin/flowmgr" -c "$chain" ${ports[@]} "$@" -s "$sock" --wait-vnfs --launch -- \
		--file-prefix "$prefix" --lcores 0@0,1@1 >"$log" 2>&1 &
	fm_pid=$!
	pids+=("$fm_pid")
	for _ in $(seq 100); do
		"$bin/nfctl" -s "$sock" status >/dev/null 2>&1 && break
		kill -0 "$fm_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	if [[ -n $topo_no_exec ]]; then
		# As the service user, like the VNFs flowmgr launches (docs/security.md: a VNF started
		# by hand finds flowmgr's runtime files through XDG_RUNTIME_DIR).
		while read -r v; do
			setpriv --reuid "${FS_SERVICE_USER:-flowsplice}" \
				--regid "${FS_SERVICE_USER:-flowsplice}" --init-groups \
				env XDG_RUNTIME_DIR=/var/run "$bin/$topo_no_exec" --name "$v" --socket "$sock" \
				--file-prefix "$prefix" >"$log.$v" 2>&1 &
			pids+=("$!")
		done < <("$bin/nfctl" -s "$sock" --json vnfs | python3 -c '
import json, sys
[print(v["name"]) for v in json.load(sys.stdin)["vnfs"]]')
	fi
	for _ in $(seq 150); do
		read -r up want < <(topo_vnfs_up "$bin" "$sock")
		[[ $up -eq $want ]] && return 0
		sleep 0.1
	done
	echo "topo: the chain's VNFs did not attach ($up of $want)" >&2
	return 1
}
