#!/usr/bin/env bash
# test_systemd_units.sh — the systemd units of deploy/systemd/ are valid and sandboxed:
# `systemd-analyze verify` accepts them and `systemd-analyze security --offline=yes` scores each
# at most FS_MAX_EXPOSURE (5.0, issue #17); each unit runs as the service user, with
# NoNewPrivileges and a read-only file system. No systemd needs to run (offline analysis).
#
# verify checks that the executables exist: it runs on a copy of the units whose /usr/local
# paths point at stand-ins in a temporary directory (nothing is installed here; the unit-only
# ASan build has no flowmgr at all).
#
# Usage: tests/unit/systemd/test_systemd_units.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
max=${FS_MAX_EXPOSURE:-5.0}
fail=0

command -v systemd-analyze >/dev/null || {
	echo "test_systemd_units: systemd-analyze missing (package systemd)" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # NAME CONDITION-STATUS MESSAGE
	if [[ $2 -eq 0 ]]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: $3" >&2
		fail=1
	fi
}

for unit in flowsplice-flowmgr.service flowsplice-vnf@.service; do
	src=$top/deploy/systemd/$unit
	inst=${unit/@./@fwd1.}
	# The commands of ExecStart=/ExecStartPre= under /usr/local become stand-in scripts.
	{ grep -E '^Exec' "$src" | grep -oE '/usr/local/[A-Za-z0-9_./-]+' || true; } | sort -u | while read -r exe; do
		stub=$tmp/${exe#/usr/local/}
		mkdir -p "$(dirname "$stub")"
		printf '#!/bin/sh\nexit 0\n' >"$stub"
		chmod +x "$stub"
	done
	sed -e "s#/usr/local/#$tmp/#g" "$src" >"$tmp/$inst"

	out=$(cd "$tmp" && systemd-analyze verify "./$inst" 2>&1) && rc=0 || rc=$?
	# verify also reports other units it loads (dependencies); only this unit's lines count.
	bad=$(grep -F "$inst" <<<"$out" || true)
	[[ $rc -eq 0 && -z $bad ]] && st=0 || st=1
	check "$unit" "$st" "systemd-analyze verify${bad:+: $bad}"

	for want in "User=flowsplice" "NoNewPrivileges=yes" "ProtectSystem=strict" \
		"ProtectHome=yes" "PrivateTmp=yes" "ReadWritePaths=/dev/hugepages/flowsplice /run/flowsplice /run/dpdk/flowsplice" \
		"Environment=XDG_RUNTIME_DIR=/var/run"; do
		grep -qx -- "$want" "$src" && st=0 || st=1
		check "$unit" "$st" "sets $want"
	done

	score=$(cd "$tmp" && systemd-analyze security --offline=yes "./$inst" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[[ -n $score ]] && awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' && st=0 || st=1
	check "$unit" "$st" "systemd-analyze security exposure ${score:-?} (at most $max)"
done

# flowmgr keeps only the capabilities it needs; a VNF none.
grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_IPC_LOCK CAP_KILL" \
	"$top/deploy/systemd/flowsplice-flowmgr.service" && st=0 || st=1
check flowsplice-flowmgr.service "$st" "bounding set = net_admin net_raw bpf ipc_lock kill"
grep -qx "CapabilityBoundingSet=" "$top/deploy/systemd/flowsplice-vnf@.service" && st=0 || st=1
check flowsplice-vnf@.service "$st" "empty bounding set"

[[ $fail -eq 0 ]] && echo "test_systemd_units: passed" || echo "test_systemd_units: FAILED" >&2
exit "$fail"
