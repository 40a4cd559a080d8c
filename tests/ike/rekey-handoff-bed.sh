#!/usr/bin/env bash
# Rekeys that handoffs start (issue 17, paper Figs. 8 and 9) on the bed
# with four FAs in a line, each part on a bed of its own, a CN -> MH
# transfer running across it:
#   1. DKM (Fig. 8): the MH moves fa1 -> fa2; fa2 takes the zone-1 CSAs from
#      fa1 (DKM) and its install report makes the HA rekey the pair. Then
#      the zone-1 key fa1 held protects nothing: no node's pinned maps hold
#      it any more (HA and MH included), fa2 holds the new pair's zone 1
#      only, fa1 nothing of the MH;
#   2. PKD threshold (Fig. 9, pkd_threshold = 2): the MH walks fa1 -> fa2
#      -> fa3; at fa3 the old pair sits at fa1..fa4, fa1 neither fa3 nor its
#      neighbour, so the HA rekeys: the new pair goes to fa3 and its
#      neighbours fa2 and fa4, the old one is revoked everywhere: fa1 holds
#      nothing of the MH, no node the old zone-1 key.
# In both the transfer's SHA-256 is intact and no FA's maps hold a zone-2
# key. About 50 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
BYTES=$((8 * 1024 * 1024))
FAS="fa1 fa2 fa3 fa4"

ike_suite ike-rekey-handoff

z1keys() { csas "$1" | awk '{print substr($5, 1, 32)}'; } # NODE: its zone-1 keys
# Nobody holds any of the keys: the HA, the MH and every FA.
held_nowhere() { # KEY...
	local n
	for n in ha mh $FAS; do ! ike_maps_hold "$n" "$@" || return 1; done
}
retired_since() { (($(ike_json ha "d['csa_rekeys']['retired']") > $1)); }
handoff_to() { # FA
	"$BED" -p "$PREFIX" handoff "$1" >"$TMP/handoff-$1.log" 2>&1 &&
		wait_registered "$(wl_of "$1")" 5
}
transfer_ok() { # WHAT
	ike_transfer_end
	if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then ok "$1: $BYTES bytes CN -> MH, sha256 intact"; else
		bad "$1: sent $XFER_SENT, received $XFER_RCVD"; fi
}
no_zone2_anywhere() {
	local fa
	for fa in $FAS; do ike_fa_no_zone2_key "$fa" || return 1; done
}

# ------------------------------------------------ 1: DKM, then a rekey (Fig. 8)
IKE_HANDOFF=dkm ike_setup --fas 4 --rate 20000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"
old=$(z1keys fa1)
r0=$(ike_json ha "d['csa_rekeys']['retired']")
ike_transfer_start $BYTES
sleep 1
check "DKM handoff fa1 -> fa2" handoff_to fa2
check "the HA rekeyed after the DKM handoff and retired the migrated pair" wait_for 8 retired_since "$r0"
check "the HA counts it as a rekey after DKM" test "$(ike_json ha "d['csa_rekeys']['after_dkm']")" -ge 1
transfer_ok "DKM handoff and rekey"
check "the zone-1 key fa1 held is in no node's maps any more" held_nowhere $old
check "fa2 holds the new pair's zone 1 only" ike_fa_zone1_only fa2
check "fa1 holds nothing of the MH" test -z "$(csas fa1)"
check "no FA's maps hold a zone-2 key" no_zone2_anywhere
# How long fa1 kept the zone-1 key in its map after fa2's was active
# (issue 17's measure; the HA revokes it when the binding moves).
z1_times() { ctl "$1" -j ike show | python3 -c '
import json, sys
z = [e for e in json.load(sys.stdin)["zone1_active"] if e["home"] == sys.argv[1]]
print(z[0].get(sys.argv[2], 0) if z else 0)' "$HOME_ADDR" "$2"; }
on2=$(z1_times fa2 active_ns) off1=$(z1_times fa1 removed_ns)
echo "ike-rekey-handoff: fa1 removed the migrated zone-1 key $(awk -v a="$off1" -v b="$on2" 'BEGIN { printf "%.3f", (a - b) / 1e6 }') ms after fa2's was active (DKM)"
check "fa1 removed it, fa2 holds its copy active" test "$off1" -gt 0 -a "$on2" -gt 0
mip_cleanup
PIDS=() KEYD_PID=() PREFIX="" TMP=""

# ------------------------------------------------ 2: PKD threshold (Fig. 9)
IKE_HANDOFF=pkd IKE_DKM_HA="pkd_threshold = 2;" ike_setup --fas 4 --rate 20000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"
wait_for 5 test "$(csas fa2 | wc -l)" -eq 2 || bad "PKD: fa2 never got the inactive copy"
old=$(z1keys ha | sort -u)
ike_transfer_start $BYTES
sleep 1
check "handoff fa1 -> fa2" handoff_to fa2
sleep 1
r0=$(ike_json ha "d['csa_rekeys']['retired']")
check "handoff fa2 -> fa3" handoff_to fa3
check "over pkd_threshold at fa3: the HA rekeyed and retired the old pair" wait_for 8 retired_since "$r0"
check "the HA counts it as a threshold rekey" test "$(ike_json ha "d['csa_rekeys']['pkd_threshold']")" -ge 1
transfer_ok "PKD walk fa1 -> fa2 -> fa3 with a threshold rekey"
check "the old zone-1 key is in no node's maps any more" held_nowhere $old
check "fa3 and its neighbours fa2, fa4 hold the new pair (zone 1 only)" \
	wait_for 5 eval 'ike_fa_zone1_only fa3 && ike_fa_zone1_only fa2 && ike_fa_zone1_only fa4'
check "fa1, no neighbour of fa3, holds nothing of the MH" test -z "$(csas fa1)"
check "no FA's maps hold a zone-2 key" no_zone2_anywhere
echo "ike-rekey-handoff: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
