#!/usr/bin/env bash
# make deb (debian/, mk/install.mk): the package builds into $BUILD/deb;
# lintian reports no error (its warnings are printed); dpkg -i installs it,
# the installed binaries answer --version, the units are in place and not
# enabled; dpkg -r removes the binaries; dpkg -i again, then dpkg -P leaves
# none of the paths dpkg -L listed that were not there before, and no
# enablement link. Root; installs and purges the package on this machine
# (skipped when an mmlipsec package is already installed). About 20 s.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
SUITE=deb
. "$TOP/tests/lib/check.sh"
need_root
status=$(dpkg-query -W -f='${Status}' mmlipsec 2>/dev/null)
[[ -z $status || $status == *not-installed ]] || skip "an mmlipsec package is installed here ($status)"
TMP=$(mktemp -d /tmp/mmltd$$.XXXXXX)
installed=
deb_cleanup() {
	[[ -n $installed ]] && dpkg_do -P mmlipsec >/dev/null 2>&1
	rm -rf "$TMP"
}
trap deb_cleanup EXIT
DIE_LOGS="$TMP/*.log"
# dpkg_do ARGS: dpkg, waiting up to 60 s for its lock (apt elsewhere).
dpkg_do() {
	local i
	for i in $(seq 60); do
		dpkg "$@" >"$TMP/dpkg.log" 2>&1 && return 0
		grep -q 'lock' "$TMP/dpkg.log" || break
		sleep 1
	done
	cat "$TMP/dpkg.log"
	return 1
}

t0=$SECONDS
make -s -C "$TOP" BUILD="$BUILD" deb >"$TMP/build.log" 2>&1 || die "make deb failed"
deb=$(ls "$BUILD"/deb/mmlipsec_*_amd64.deb 2>/dev/null | head -n 1)
[[ -f $deb ]] && ok "make deb: ${deb#"$BUILD"/} in $((SECONDS - t0)) s" || die "no .deb in $BUILD/deb"

lintian "$deb" >"$TMP/lintian.log" 2>&1
errors=$(grep -c '^E:' "$TMP/lintian.log")
[[ $errors -eq 0 ]] && ok "lintian: no error, $(grep -c '^W:' "$TMP/lintian.log") warnings" ||
	bad "lintian: $(grep '^E:' "$TMP/lintian.log" | tr '\n' ' ')"
grep '^W:' "$TMP/lintian.log" | sed 's/^/  /'

# Every path of the package that is there before it.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$' >"$TMP/paths"
while read -r p; do [[ -e $p || -L $p ]] && echo "$p"; done <"$TMP/paths" >"$TMP/before"

dpkg_do -i "$deb" && installed=1 && ok "dpkg -i" || die "dpkg -i failed"
version=$(cat "$TOP/VERSION")
for b in mmlctl mmlkeyd mmlworker; do
	v=$("/usr/sbin/$b" --version 2>&1)
	[[ $v == "$b $version"* ]] && ok "/usr/sbin/$b --version: $v" || bad "/usr/sbin/$b --version: $v"
done
[[ -f /lib/systemd/system/mmlkeyd.service && -f /lib/systemd/system/mmlworker@.service ]] &&
	ok "units in /lib/systemd/system" || bad "units missing"
[[ ! -e /etc/systemd/system/multi-user.target.wants/mmlkeyd.service ]] && ok "mmlkeyd.service not enabled" ||
	bad "mmlkeyd.service enabled on installation"
[[ $(stat -c %a /etc/mmlipsec) == 700 ]] && ok "/etc/mmlipsec mode 0700" || bad "/etc/mmlipsec: $(stat -c %a /etc/mmlipsec)"
dpkg -L mmlipsec >"$TMP/listed"

dpkg_do -r mmlipsec && ok "dpkg -r" || bad "dpkg -r failed"
[[ ! -e /usr/sbin/mmlkeyd && ! -e /lib/systemd/system/mmlkeyd.service ]] && ok "  binaries and units gone" ||
	bad "  left after dpkg -r: $(ls /usr/sbin/mml* /lib/systemd/system/mml* 2>/dev/null | tr '\n' ' ')"
dpkg_do -i "$deb" || die "dpkg -i (again) failed"
dpkg_do -P mmlipsec && installed= && ok "dpkg -P" || bad "dpkg -P failed"
left=()
while read -r p; do
	[[ $p == /. ]] && continue
	[[ -e $p || -L $p ]] && ! grep -qxF "$p" "$TMP/before" && left+=("$p")
done <"$TMP/listed"
[[ ${#left[@]} -eq 0 ]] && ok "dpkg -P: none of the $(wc -l <"$TMP/listed") listed paths left (but those there before)" ||
	bad "dpkg -P left: ${left[*]}"
links=$(find /etc/systemd/system -name 'mml*' 2>/dev/null | wc -l)
[[ $links -eq 0 && -z $(dpkg-query -W -f='${Status}' mmlipsec 2>/dev/null | grep -v not-installed) ]] &&
	ok "  no unit link, no package record" || bad "  left: $(find /etc/systemd/system -name 'mml*')"

summary
