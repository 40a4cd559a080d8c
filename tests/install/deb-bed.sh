#!/usr/bin/env bash
# Issue 22, "done when": the Debian package installed into the system
# (dpkg -i), the product run from what it installed on the test bed
# (tests/install/deb-bed-run.sh: mmlkeyd as its unit starts it, the
# installed workers and mmlctl, a transfer, the counters in Prometheus'
# format), then purged (dpkg -P) leaving none of its files. Root; changes
# this machine's package database while it runs (skipped when an mmlipsec
# package is installed already); under the netns lock like every bed suite.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
SUITE=deb-bed
. "$TOP/tests/lib/check.sh"
need_root
status=$(dpkg-query -W -f='${Status}' mmlipsec 2>/dev/null)
[[ -z $status || $status == *not-installed ]] || skip "an mmlipsec package is installed here ($status)"
TMP=$(mktemp -d /tmp/mmldb$$.XXXXXX)
installed=
deb_bed_cleanup() {
	[[ -n $installed ]] && dpkg -P mmlipsec >/dev/null 2>&1
	rm -rf "$TMP"
}
trap deb_bed_cleanup EXIT
DIE_LOGS="$TMP/*.log"

make -s -C "$TOP" BUILD="$BUILD" deb >"$TMP/build.log" 2>&1 || die "make deb failed"
deb=$(ls "$BUILD"/deb/mmlipsec_*_amd64.deb 2>/dev/null | head -n 1)
[[ -f $deb ]] || die "no .deb in $BUILD/deb"
dpkg -i "$deb" >"$TMP/dpkg.log" 2>&1 && installed=1
check "dpkg -i ${deb##*/}" test -n "$installed"
[[ -n $installed ]] || die "the package did not install"
files=$(dpkg -L mmlipsec | while read -r f; do [[ -f $f ]] && echo "$f"; done)
unit=$(grep '^ExecStart=' /usr/lib/systemd/system/mmlkeyd.service)
check "the installed unit starts /usr/sbin/mmlkeyd -F -f CONFIG ($unit)" \
	test "$unit" = "ExecStart=/usr/sbin/mmlkeyd -F -f /etc/mmlipsec/mmlkeyd.conf"

# The bed's own tools from the build tree, the product from the package.
mkdir "$TMP/build"
for f in "$BUILD"/*; do ln -s "$f" "$TMP/build/"; done
for b in mmlctl mmlkeyd mmlworker; do ln -sfn "/usr/sbin/$b" "$TMP/build/$b"; done
BUILD=$TMP/build "$TOP/tests/install/deb-bed-run.sh" 2>&1 | tee "$TMP/run.log"
check "the product bed from the package: $(tail -1 "$TMP/run.log")" grep -q ' 0 failed$' "$TMP/run.log"

dpkg -P mmlipsec >"$TMP/dpkg.log" 2>&1 && installed=
check "dpkg -P mmlipsec" test -z "$installed"
left=$(for f in $files; do [[ -e $f ]] && echo "$f"; done)
check "none of its $(wc -w <<<"$files") files left (${left:-none})" test -z "$left"
summary
