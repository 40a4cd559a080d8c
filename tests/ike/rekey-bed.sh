#!/usr/bin/env bash
# CSA rekeys under traffic on the test bed (issue 17, paper Fig. 7): the
# HA's and the MH's CSA soft lifetime is 1 s and the hard one 3 s, so either
# end rekeys about once a second (MLIKE_CREATE_CHILD_SA, jittered; both at
# once now and then) while a 12 MB CN -> MH TCP transfer runs through FA1
# at 10 Mbit/s; each rekey gives FA1 the new pair's zone 1 before either
# end sends with it, and retires the old pair at MH, HA and FA1 after a
# grace period (make before break, keyd/ike/csa_life.c). Checks:
#   - the transfer's SHA-256 is intact;
#   - at least 6 rekeys completed (switched and retired at the HA);
#   - not one packet lost to a key: zero drops for bad tag, unknown SPI,
#     replay, expiry, spoofed or foreign outer source at MH and HA, and for
#     bad zone-1 tag, expiry and unknown SPI at FA1 (counters before/after);
#   - FA1 verified zone 1 of the downlink, never forwarded an unknown SPI;
#   - every pair is gone from every node (FA1 included) two rekeys later,
#     and no node holds more than the current pair and the one it replaces.
# About 25 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
BYTES=$((12 * 1024 * 1024))
MIN_REKEYS=${MIN_REKEYS:-6}

IKE_HA_MH_EXTRA="csa_soft_lifetime = 1; csa_hard_lifetime = 3;"
IKE_MH_HA_EXTRA="$IKE_HA_MH_EXTRA"
ike_suite ike-rekey
ike_setup --rate 10000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"

rekeys() { ike_json "$1" "d['csa_rekeys']['$2']"; }

ike_key_drops fa1 >"$TMP/drops-before"
r0=$(rekeys ha retired)
fa0=$(counter fa1 fwd_mlesp)
ike_transfer $BYTES
s=$XFER_SENT r=$XFER_RCVD
if ike_sha_ok "$s" "$r"; then ok "12 MB CN -> MH across rekeys (sha256 ${s:0:16}..., ${XFER_SECS} s)"; else
	bad "12 MB CN -> MH across rekeys: sent $s, received $r"; fi
ike_key_drops fa1 >"$TMP/drops-after"
r1=$(rekeys ha retired)
check "at least $MIN_REKEYS rekeys completed during the transfer ($((r1 - r0)))" \
	test $((r1 - r0)) -ge "$MIN_REKEYS"
lost=$(ike_key_drops_changed "$TMP/drops-before" "$TMP/drops-after")
check "no packet dropped for a key at MH, HA or FA1${lost:+ (changed: $lost)}" test -z "$lost"
check "FA1 verified zone 1 of the downlink ($(($(counter fa1 fwd_mlesp) - fa0)) packets)" \
	test $(($(counter fa1 fwd_mlesp) - fa0)) -gt 7000
echo "rekeys at the HA: $(ctl ha -j ike show | python3 -c 'import json,sys; print(json.load(sys.stdin)["csa_rekeys"])')"
echo "rekeys at the MH: $(ctl mh -j ike show | python3 -c 'import json,sys; print(json.load(sys.stdin)["csa_rekeys"])')"
echo "HA ike counters: $(ctl ha -j ike show | python3 -c 'import json,sys; print({k: v for k, v in json.load(sys.stdin)["counters"].items() if v and "rekey" in k})')"

# Quiet: rekeys go on (soft 1 s), each retiring its predecessor. Every pair
# a node holds now is gone from every node two rekeys later, and no node
# ever holds more than the current pair and the one it replaces.
spis() { local n; for n in ha mh fa1; do csas $n | awk '{print $1}'; done | sort -u; }
most=0
s0=$(spis)
g0=$(rekeys ha retired)
for _ in $(seq 40); do
	for n in ha mh fa1; do
		c=$(csas $n | wc -l)
		((c > most)) && most=$c
	done
	sleep 0.1
	(($(rekeys ha retired) >= g0 + 2)) && break
done
sleep 0.6 # the last retirement's revocation at FA1
stale=$(comm -12 <(echo "$s0") <(spis) | tr '\n' ' ')
check "two rekeys later no node holds a pair it held before${stale:+ (still: $stale)}" test -z "$stale"
check "no node held more than two pairs at once (most: $((most / 2)))" test "$most" -le 4
check "no zone-2 key byte string in any of FA1's pinned maps" ike_fa_no_zone2_key fa1
echo "ike-rekey: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
