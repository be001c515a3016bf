#!/bin/sh
# flowsplice-entry — the containers' entry point in the FlowSplice pod (deploy/k8s/daemonset.yaml).
#
#   flowsplice-entry flowmgr [FLOWMGR ARGS...]
#   flowsplice-entry vnf NAME BINARY [VNF ARGS...]
#
# One rule orders the containers: DPDK cannot start a primary while a secondary of the previous
# one still lives (docs/operations.md, DPDK-NOTES). Every VNF holds a shared lock on
# $FS_RUN/vnf.lock while it runs; flowmgr takes the lock exclusively (waiting at most
# FS_LOCK_WAIT seconds) before it starts, so a restarted flowmgr container waits until the VNFs of
# the old one have exited (they notice a vanished flowmgr within 100 ms). A VNF starts only once
# flowmgr answers on the control socket, and only then takes its shared lock.
#
# flowmgr's EAL lcores: unless its arguments name them (-l, --lcores), the main lcore goes on
# the first CPU this container may use and the datapath on the second (with the static CPU
# manager these are the container's exclusive CPUs, not necessarily 0 and 1).
#
# Environment: FS_RUN (the shared run directory, /run/flowsplice), FS_SOCK (the control socket,
# $FS_RUN/flowmgr.sock), FS_PREFIX (DPDK file prefix, flowsplice), FS_LOCK_WAIT (30), FS_CPUS
# (a VNF's CPU list, passed as --cpus when set; by default nfsdk takes the affinity), FS_BIN
# (where flowmgr and nfctl are, /usr/local/bin).
set -eu

run=${FS_RUN:-/run/flowsplice}
sock=${FS_SOCK:-$run/flowmgr.sock}
prefix=${FS_PREFIX:-flowsplice}
lock=$run/vnf.lock
bin=${FS_BIN:-/usr/local/bin}

die() {
	echo "flowsplice-entry: $*" >&2
	exit 1
}

# The first two CPUs of this process's affinity list ("3,5-7" -> "3 5 "), one if there is one.
first_cpus() {
	sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' '\n' |
		awk -F- '{ e = NF > 1 ? $2 : $1
			for (c = $1; c <= e && n < 2; c++) { printf "%d ", c; n++ } }'
}

[ $# -ge 1 ] || die "usage: flowsplice-entry flowmgr ARGS... | vnf NAME BINARY ARGS..."
role=$1
shift
case $role in
flowmgr)
	[ -e "$lock" ] || (umask 022 && : >"$lock")
	exec 9<"$lock"
	flock -x -w "${FS_LOCK_WAIT:-30}" 9 ||
		die "VNFs of a previous flowmgr still run after ${FS_LOCK_WAIT:-30} s"
	flock -u 9
	case " $* " in
	*" -l "* | *" --lcores "*) ;;
	*)
		cpus=$(first_cpus)
		first=${cpus%% *}
		second=${cpus#* }
		second=${second%% *}
		[ -n "$first" ] || die "no CPU in this container's affinity list"
		case " $* " in *" -- "*) ;; *) set -- "$@" -- ;; esac
		set -- "$@" --lcores "0@$first,1@${second:-$first}"
		;;
	esac
	exec "$bin/flowmgr" -s "$sock" "$@"
	;;
vnf)
	[ $# -ge 2 ] || die "usage: flowsplice-entry vnf NAME BINARY [ARGS...]"
	name=$1
	binary=$2
	shift 2
	until "$bin/nfctl" -s "$sock" -t 1000 status >/dev/null 2>&1; do
		sleep 0.5
	done
	cpus=
	[ -n "${FS_CPUS:-}" ] && cpus="--cpus $FS_CPUS"
	# shellcheck disable=SC2086 # $cpus: zero or two words
	exec flock -s "$lock" "$binary" --name "$name" --socket "$sock" --file-prefix "$prefix" \
		$cpus -- "$@"
	;;
*)
	die "unknown role '$role' (flowmgr or vnf)"
	;;
esac
