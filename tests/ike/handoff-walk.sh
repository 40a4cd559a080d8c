#!/usr/bin/env bash
# Suite handoff-walk: the MH walks through four cells while it downloads.
# The test bed with four FAs in a line (tests/netns/bed.sh up --fas 4, cells
# of 10 Mbit/s, BER $WALK_BER, default 0), the whole product on every node
# (Mobile IPv4 + ML-IKE + ML-ESP, tests/ike/bed-lib.sh), the handoff scheme of
# $HANDOFF (redistribute, the default and today's; pkd or dkm write
# `handoff = "...";` into the HA's configuration). A 20 MB ML-ESP transfer
# CN -> MH runs while the MH walks fa1 -> fa2 -> fa3 -> fa4 -> fa3 -> fa2, one
# handoff every $WALK_STEP_S seconds (2.5). Checks:
#   - the transfer's sha256 is equal at both ends;
#   - after each handoff the MH is registered through the new FA;
#   - after each handoff, once the new FA holds zone 1, no byte string of a
#     zone-2 key of the HA's CSAs is in any FA's pinned maps (and, so that
#     the check can fail, the same scan finds them in the HA's);
#   - the FA serving the MH verified zone 1 of the downlink (fwd_mlesp).
# Printed per handoff: time from `bed.sh handoff` to the first byte the MH's
# receiver read after it, the longest silence of the receiver until the next
# handoff, the MH's registration time, and the new FA's unknown-SPI counters
# (forwarded and dropped) while it served the MH. About 45 s. Exit 77 when
# the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
HANDOFF=${HANDOFF:-redistribute}
WALK=(fa2 fa3 fa4 fa3 fa2)
STEP_S=${WALK_STEP_S:-2.5}
BYTES=$((20 * 1024 * 1024))

if ! mip_can_run; then
	echo "handoff-walk: skipped: $MIP_WHY"
	exit 77
fi
[[ $FA_ATTACH == mmlctl ]] || { echo "handoff-walk: skipped: needs mmlctl fa attach"; exit 77; }
[[ $HANDOFF =~ ^(redistribute|pkd|dkm)$ ]] || { echo "HANDOFF: redistribute, pkd or dkm"; exit 2; }
SUITE=handoff-walk DIE_TAIL=30
# shellcheck disable=SC2016 # expanded when die runs (TMP comes with ike_setup)
DIE_LOGS='"$TMP"/keyd-*.log "$TMP"/worker-*.log'
. "$TOP/tests/lib/check.sh"
keep_logs() {
	[[ ${KEEP:-0} == 1 && -n ${TMP:-} ]] && cp -r "$TMP" /tmp/handoff-walk-kept &&
		echo "handoff-walk: logs in /tmp/handoff-walk-kept"
	mip_cleanup
}
trap keep_logs EXIT
trap 'exit 130' INT TERM

ike_setup --fas 4 --rate 10000 --ber "${WALK_BER:-0}" || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "ML-IKE initialisation through FA1 not complete"
check "FA1 holds zone 1 of the HA's CSAs, a null zone 2" ike_fa_zone1_only fa1
echo "handoff-walk: scheme $HANDOFF, 4 FAs in a line, 10 Mbit/s cells, BER ${WALK_BER:-0}"

# The zone-2 keys of every CSA the HA held during the walk (16 bytes each).
z2_note() { awk '{print substr($6, 1, 32)}' <<<"$(csas ha)" >>"$TMP/z2"; }
z2_nowhere() {
	local fa
	for fa in "${FA_NODES[@]}"; do
		ike_fa_no_zone2_key "$fa" "$TMP/z2" || { echo "zone-2 key bytes at $fa"; return 1; }
	done
}
# The FA holds zone 1 of the HA's CSAs (whatever else it may hold).
has_zone1() {
	local i
	for i in $(seq 100); do
		[[ -n $(csas ha) && -z $(comm -23 <(csas ha | awk '{print $1, $5}' | sort) \
			<(csas "$1" | awk '{print $1, $5}' | sort)) ]] && return 0
		sleep 0.05
	done
	return 1
}
z2_note
check "the scan finds the zone-2 keys where they are (the HA's maps)" \
	eval '! ike_fa_no_zone2_key ha "$TMP/z2"'
check "before the walk: no zone-2 key bytes in any FA's pinned maps" z2_nowhere

unknown_spi() { echo "$(counter "$1" fwd_unknown_spi) $(counter "$1" drop_unknown_spi)"; }
mlesp0=$(counter fa1 fwd_mlesp)
ike_transfer_start $BYTES -g "$TMP/gaps"
t0=$(date +%s.%N)
: >"$TMP/walk"
for i in "${!WALK[@]}"; do
	to=${WALK[i]}
	sleep "$(awk -v t0="$t0" -v i="$i" -v s="$STEP_S" -v now="$(date +%s.%N)" \
		'BEGIN { d = t0 + s * (i + 0.8) - now; print (d > 0 ? d : 0) }')"
	read -r fwd0 drop0 <<<"$(unknown_spi "$to")"
	th=$("$BED" -p "$PREFIX" handoff "$to" | awk '/handoff link-down/ {print $2}')
	if wait_registered "$(wl_of "$to")" 5; then
		treg=$(date +%s.%N)
		ok "handoff $((i + 1)) to $to: the MH registered through $to"
	else
		treg=$th
		bad "handoff $((i + 1)) to $to: the MH is not registered through $to"
	fi
	check "handoff $((i + 1)): $to holds zone 1 of the HA's CSAs" has_zone1 "$to"
	z2_note
	check "handoff $((i + 1)): no zone-2 key bytes in any FA's pinned maps" z2_nowhere
	echo "$to $th $treg" >>"$TMP/walk"
	[[ $i -eq 0 ]] || echo "$(unknown_spi "$prev") $prev_c" >>"$TMP/spi"
	prev=$to prev_c="$fwd0 $drop0"
done
ike_transfer_end
echo "$(unknown_spi "$prev") $prev_c" >>"$TMP/spi"
# The scheme's own path, from the HA's log: every handoff found the keys
# already at the new FA (PKD) or had them moved there from the previous FA
# (DKM), and none fell back to KEY_DISTRIBUTE.
case $HANDOFF in
pkd) path='PKD: handoff of .* the keys are there already' ;;
dkm) path='DKM handoff of .* done in' ;;
*) path= ;;
esac
if [[ -n $path ]]; then
	n_path=$(grep -c "$path" "$TMP/keyd-ha.log")
	[[ $n_path -eq ${#WALK[@]} ]] && ok "all ${#WALK[@]} handoffs took the $HANDOFF path (HA log)" ||
		bad "$n_path of ${#WALK[@]} handoffs took the $HANDOFF path (HA log)"
fi
if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then
	ok "20 MB CN -> MH during the walk in $XFER_SECS s (sha256 ${XFER_SENT:0:16}...)"
else
	bad "20 MB CN -> MH during the walk: sent $XFER_SENT, received $XFER_RCVD"
fi
check "FA1 verified zone 1 of the downlink before the walk" test "$(counter fa1 fwd_mlesp)" -gt "$mlesp0"
for fa in fa2 fa3 fa4; do
	check "$fa verified zone 1 of the downlink ($(counter $fa fwd_mlesp) packets)" \
		test "$(counter $fa fwd_mlesp)" -gt 0
done
check "at the end: no zone-2 key bytes in any FA's pinned maps" z2_nowhere

# Per handoff: from the handoff (link down) to the receiver's first read
# after it; the longest silence ending before the next handoff.
paste -d' ' "$TMP/walk" "$TMP/spi" | python3 -c '
import sys
gaps = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
rows = [l.split() for l in sys.stdin]
for i, r in enumerate(rows):
    fa, th, treg = r[0], float(r[1]), float(r[2])
    fwd, drop = int(r[3]) - int(r[5]), int(r[4]) - int(r[6])
    end = float(rows[i + 1][1]) if i + 1 < len(rows) else float("inf")
    first = [t for t, _, g in gaps if t > th and t - g <= th]
    later = [g for t, _, g in gaps if th < t < end]
    print("handoff-walk: handoff %d to %s: first byte after %s ms, longest gap %.1f ms, "
          "registered after %.1f ms; unknown SPI at %s: %d forwarded, %d dropped" %
          (i + 1, fa, "%.1f" % ((first[0] - th) * 1e3) if first else "< 2",
           max(later, default=0) * 1e3, (treg - th) * 1e3, fa, fwd, drop))
' "$TMP/gaps"
summary
