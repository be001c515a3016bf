#!/usr/bin/env bash
# test_install.sh BUILD_DIR — `DESTDIR=STAGE cmake --install BUILD_DIR` (prefix /usr/local, as the
# units and docs say). Checks:
#   * the binaries (flowmgr, nfctl, the VNFs), hugepages.sh, every shipped chain, the systemd
#     units, the Grafana dashboard and the docs are where operations.md says;
#   * the installed units name the installed paths, and `systemd-analyze verify` accepts them with
#     the real installed executables (only /usr/local is redirected to the stage);
#   * the installed flowmgr --check-config accepts every installed chain; nfctl --help runs;
#   * a configuration with another prefix (/opt/flowsplice) writes units that name it.
set -euo pipefail

build=${1:?usage: test_install.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../../.." && pwd)
stage=$(mktemp -d)
other=$(mktemp -d)
trap 'rm -rf "$stage" "$other"' EXIT
fail=0
check() { # DESCRIPTION STATUS
	if [[ $2 -eq 0 ]]; then echo "ok   $1"; else
		echo "FAIL $1" >&2
		fail=1
	fi
}

DESTDIR=$stage cmake --install "$build" --prefix /usr/local >"$stage.log" 2>&1 ||
	{ cat "$stage.log" >&2; echo "test_install: cmake --install failed" >&2; exit 1; }
rm -f "$stage.log"
root=$stage/usr/local

for b in flowmgr nfctl forward counter fw nat lb flowmon ids rewrite httpfilter cksum tcpcheck; do
	[[ -x $root/bin/$b ]] && st=0 || st=1
	check "bin/$b installed, executable" "$st"
done
[[ ! -e $root/bin/holdtest ]] && st=0 || st=1
check "the test VNF holdtest is not installed" "$st"
[[ -x $root/share/flowsplice/hugepages.sh ]] && st=0 || st=1
check "share/flowsplice/hugepages.sh" "$st"
n_src=$(find "$top/deploy/chains" -maxdepth 1 -type f | wc -l)
n_dst=$(find "$root/share/flowsplice/chains" -maxdepth 1 -type f | wc -l)
[[ $n_src -gt 0 && $n_src -eq $n_dst ]] && st=0 || st=1
check "share/flowsplice/chains: all $n_src shipped files ($n_dst)" "$st"
[[ -f $root/share/flowsplice/grafana/flowsplice-dashboard.json ]] && st=0 || st=1
check "share/flowsplice/grafana/flowsplice-dashboard.json" "$st"
for d in architecture operations security vnf-guide; do
	[[ -f $root/share/doc/flowsplice/$d.md ]] && st=0 || st=1
	check "share/doc/flowsplice/$d.md" "$st"
done

# the units: installed, naming the installed paths, verified against the installed executables
for unit in flowsplice-flowmgr.service flowsplice-vnf@.service; do
	u=$root/lib/systemd/system/$unit
	[[ -f $u ]] && st=0 || st=1
	check "lib/systemd/system/$unit" "$st"
	[[ -f $u ]] || continue
	missing=$({ grep -E '^Exec' "$u" | grep -oE '/usr/local/[A-Za-z0-9_./-]+' || true; } | sort -u |
		while read -r exe; do [[ -x $stage$exe ]] || echo "$exe"; done)
	[[ -z $missing ]] && st=0 || st=1
	check "$unit: every /usr/local executable it names is installed${missing:+ (missing: $missing)}" "$st"
	inst=${unit/@./@fwd1.}
	sed -e "s#/usr/local/#$root/#g" "$u" >"$stage/$inst"
	out=$(cd "$stage" && systemd-analyze verify "./$inst" 2>&1) && rc=0 || rc=$?
	bad=$(grep -F "$inst" <<<"$out" || true)
	[[ $rc -eq 0 && -z $bad ]] && st=0 || st=1
	check "$unit: systemd-analyze verify of the installed unit${bad:+: $bad}" "$st"
done

# the installed programs work from where they are
for chain in "$root"/share/flowsplice/chains/*.yaml; do
	"$root/bin/flowmgr" --check-config "$chain" >/dev/null 2>"$stage/check.err" && st=0 || st=1
	check "installed flowmgr --check-config $(basename "$chain")$([[ $st -ne 0 ]] && cat "$stage/check.err")" "$st"
done
"$root/bin/nfctl" --help >/dev/null && st=0 || st=1
check "installed nfctl --help" "$st"

# another prefix: the units follow it
cmake -S "$top" -B "$other/build" -DCMAKE_INSTALL_PREFIX=/opt/flowsplice -DFS_BUILD_TESTS=OFF \
	-DFS_BUILD_BENCH=OFF >/dev/null 2>&1 && st=0 || st=1
check "configure with prefix /opt/flowsplice" "$st"
grep -q '^ExecStart=/opt/flowsplice/bin/flowmgr ' "$other/build/systemd/flowsplice-flowmgr.service" &&
	grep -q '/opt/flowsplice/share/flowsplice/hugepages.sh' "$other/build/systemd/flowsplice-flowmgr.service" &&
	! grep -q '/usr/local' "$other/build/systemd/flowsplice-flowmgr.service" && st=0 || st=1
check "prefix /opt/flowsplice: the flowmgr unit names /opt/flowsplice/bin and share" "$st"

[[ $fail -eq 0 ]] && echo "test_install: passed" || echo "test_install: FAILED" >&2
exit "$fail"
