#!/usr/bin/env bash
# Keys go everywhere when nobody grants them any more (issue 17) on the
# test bed, the MH registering with a 4 s lifetime, the HA checking its
# peers every second (dpd_s = 1), every mmlkeyd wiping what no live IKE
# SA vouches for some seconds after its start (reconcile_grace: 15 s at
# the FAs, 4 s at the MH):
#   1. FA1's mmlkeyd killed (-9) and started again while the MH stays: the
#      HA finds FA1's IKE SA gone and grants the keys again; FA1 keeps them
#      through its reconciliation and the traffic passes;
#   2. FA1's mmlkeyd killed, the MH moves to FA2 meanwhile (the HA's
#      revocation at FA1 finds nobody), FA1's started again: the keys no
#      peer grants are wiped within the grace time (before this, they
#      stayed for ever);
#   3. the MH's mmlkeyd killed (-9: powered off): its binding expires at
#      the HA, and the HA's pair and FA2's zone 1 go with it;
#   4. the MH's mmlkeyd started again: it registers and gets a new pair;
#      the pair from before its start is wiped from its maps.
# About 60 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
GRACE=4    # MH and HA
FA_GRACE=15 # longer than the HA needs to notice FA1's restart and grant again:
            # dpd_s 1, five transmissions from 200 ms, a new IKE SA 2 s later

ike_suite ike-revoke
killed() { # NODE: its mmlkeyd gone without a word (SIGKILL)
	kill -9 "${KEYD_PID[$1]}" 2>/dev/null
	wait "${KEYD_PID[$1]}" 2>/dev/null
	unset "KEYD_PID[$1]"
}
reconciled() { grep -c "ike: reconciled:" "$TMP/keyd-$1.log"; }
spis_of() { csas "$1" | awk '{print $1}' | sort | tr '\n' ' '; }
none_at() { [[ -z $(csas "$1") ]]; }
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

export IKE_HA_EXTRA="dpd_s = 1; reconcile_grace = $GRACE;"
export IKE_FA_EXTRA="reconcile_grace = $FA_GRACE;" IKE_MH_EXTRA="reconcile_grace = $GRACE;"
MIP_LIFETIME=4 ike_setup --rate 20000 || die "setup failed"
MIP_LIFETIME=4 ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"

# ------------------------------------------------ 1: FA1 restarts, still granted
killed fa1
keyd_start fa1 || die "mmlkeyd on FA1 again"
check "FA1's new daemon found the CSAs from before" \
	wait_for 3 grep -q "2 CSAs from before this start" "$TMP/keyd-fa1.log"
check "FA1 reconciled within the grace time" wait_for $((FA_GRACE + 3)) eval '[[ $(reconciled fa1) -ge 1 ]]'
check "FA1 kept what the HA granted again" grep -q "0 wiped\|wiped, [1-9]" "$TMP/keyd-fa1.log"
check "the HA granted FA1 the keys again: FA1 holds zone 1 of the HA's CSAs" ike_fa_zone1_only fa1
ike_transfer $((2 * 1024 * 1024))
if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then ok "2 MB CN -> MH through FA1 after its restart"; else
	bad "2 MB through FA1 after its restart: sent $XFER_SENT, received $XFER_RCVD"; fi

# ------------------------------------------------ 2: FA1 restarts, granted no more
old=$(spis_of fa1)
killed fa1
"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1
check "MH registered through FA2" wait_registered $FA2_WL 5
check "FA2 got the keys" wait_for 5 ike_fa_zone1_only fa2
check "FA1, its daemon down, still holds the old CSAs ($old)" test "$(spis_of fa1)" == "$old"
t0=$(date +%s%N)
keyd_start fa1 || die "mmlkeyd on FA1 again"
check "FA1's restarted daemon wiped the CSAs no peer grants" wait_for $((FA_GRACE + 3)) none_at fa1
ms=$(elapsed_ms "$t0")
check "after the grace time of $FA_GRACE s, not before ($ms ms after the start)" \
	test "$ms" -le $((FA_GRACE * 1000 + 1500)) -a "$ms" -ge $((FA_GRACE * 1000))
check "FA2 kept its keys" ike_fa_zone1_only fa2

# ------------------------------------------------ 3: the MH powered off
killed mh
t0=$(date +%s%N)
check "the MH's binding expired at the HA" wait_for 10 grep -q "binding $HOME_ADDR -> .* expired" "$TMP/keyd-ha.log"
check "the HA's pair went with it" wait_for 3 none_at ha
check "FA2's zone 1 went with it" wait_for 3 none_at fa2
ms=$(elapsed_ms "$t0")
check "within the 4 s lifetime and 2 s ($ms ms)" test "$ms" -le 6000

# ------------------------------------------------ 4: the MH back on
old=$(spis_of mh)
MIP_LIFETIME=4 ike_mh_start || die "mmlkeyd on the MH again"
check "the MH registered again and got a new pair" wait_for 10 eval '[[ -n $(csas ha) ]] && ike_ep_keys_match'
check "the MH wiped its pair from before its start ($old)" wait_for $((GRACE + 3)) \
	eval '[[ $(csas mh | wc -l) -eq 2 ]] && ike_ep_keys_match'
echo "ike-revoke: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
