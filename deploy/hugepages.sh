#!/usr/bin/env bash
# deploy/hugepages.sh — reserve 2 MiB hugepages and mount hugetlbfs for DPDK. Idempotent: never
# lowers an existing reservation, mounts only when /dev/hugepages is not hugetlbfs yet, and says
# what it did.
#
# Writes the 2 MiB pool (/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages, the same as
# /proc/sys/vm/nr_hugepages when 2 MiB is the default size).
#
# Usage: sudo deploy/hugepages.sh [--user USER] [N]
#   N (or env FS_HUGEPAGES): minimum number of 2 MiB pages, default 512 (1 GiB)
#   --user USER: also make USER's directory of the mount (/dev/hugepages/USER, 0700, owned by
#                USER), where flowmgr running as USER keeps its pages (the systemd unit;
#                flowmgr started as root makes it itself; docs/security.md)
set -euo pipefail

die() {
	echo "hugepages: $*" >&2
	exit 1
}

user=
if [[ ${1:-} == --user ]]; then
	user=${2:-}
	[[ -n $user ]] || die "--user needs a user name"
	shift 2
fi
want=${1:-${FS_HUGEPAGES:-512}}
[[ $want =~ ^[0-9]+$ && $want -gt 0 ]] || die "bad page count '$want' (a positive integer)"
[[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $0 $want)"

sysfs=/sys/kernel/mm/hugepages/hugepages-2048kB
[[ -d $sysfs ]] || die "this kernel has no 2 MiB hugepages ($sysfs missing)"
mnt=/dev/hugepages

have=$(cat "$sysfs/nr_hugepages")
before=$have
if [[ $have -ge $want ]]; then
	echo "hugepages: $have pages of 2 MiB already reserved (>= $want)"
else
	echo "$want" >"$sysfs/nr_hugepages"
	have=$(cat "$sysfs/nr_hugepages")
	if [[ $have -lt $want ]]; then
		# Memory may be fragmented: compact and try once more.
		echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
		echo "$want" >"$sysfs/nr_hugepages"
		have=$(cat "$sysfs/nr_hugepages")
	fi
	if [[ $have -lt $want ]]; then
		echo "$before" >"$sysfs/nr_hugepages" # give back the partial reservation
		die "asked the kernel for $want pages of 2 MiB, got only $have; left the pool at $before (not enough free memory? see /proc/meminfo)"
	fi
	echo "hugepages: reserved $have pages of 2 MiB (wanted >= $want)"
fi

if [[ $(findmnt -n -o FSTYPE --target "$mnt" 2>/dev/null) == hugetlbfs &&
	$(findmnt -n -o TARGET --target "$mnt" 2>/dev/null) == "$mnt" ]]; then
	echo "hugepages: hugetlbfs already mounted at $mnt"
else
	mkdir -p "$mnt"
	mount -t hugetlbfs -o pagesize=2M nodev "$mnt" || die "cannot mount hugetlbfs at $mnt"
	echo "hugepages: mounted hugetlbfs at $mnt"
fi

if [[ -n $user ]]; then
	id -u "$user" >/dev/null 2>&1 || die "no user '$user' (deploy/install-deps.sh creates flowsplice)"
	[[ ! -L $mnt/$user ]] || die "$mnt/$user is a symlink"
	install -d -m 0700 -o "$user" -g "$(id -gn "$user")" "$mnt/$user"
	echo "hugepages: $mnt/$user belongs to $user"
fi

free=$(cat "$sysfs/free_hugepages")
echo "hugepages: $free of $have pages free ($((free * 2)) MiB)"
