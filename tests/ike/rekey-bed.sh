#!/usr/bin/env bash
# CSA rekeys under traffic on the test bed (issue 17, paper Fig. 7), a
# 12 MB CN -> MH TCP transfer through FA1 at 10 Mbit/s in each part, each
# part on a bed of its own:
#   1. soft lifetime 1 s, hard 3 s (HA and MH): either end rekeys about once
#      a second (MLIKE_CREATE_CHILD_SA, jittered; both at once now and then);
#   2. soft limit 1000 packets, hard 2000, no lifetime in seconds: the
#      workers tell mmlkeyd when an outbound CSA passes its soft limit
#      (mml_rekey), each end rekeying its own direction's pair;
# each rekey gives FA1 the new pair's zone 1 before either end sends with
# it and retires the old pair at MH, HA and FA1 after a grace period (make
# before break, keyd/ike/csa_life.c). Checks, in 1 and 2:
#   - the transfer's SHA-256 is intact, at least 6 rekeys completed;
#   - not one packet lost to a key: zero drops for bad tag, unknown SPI,
#     replay, expiry, spoofed or foreign outer source at MH and HA, and for
#     bad zone-1 tag, expiry and unknown SPI at FA1 (counters before/after);
#   - FA1 verified zone 1 of the downlink;
#   - every pair is gone from every node (FA1 included) two rekeys later,
#     and no node holds more than the current pair and the one it replaces;
#   4. part 1 with SNOOP at FA1 on a cell with BER 1/256K: SNOOP's cached
#      frames are sent again across rekeys, and none is lost to a key
#      (unknown SPI or expiry at MH, HA and FA1);
#   3. hard lifetime 2 s and no rekey: once it is over nothing passes, and
#      the HA counts what it refused to send as ep_drop_expired.
# About 110 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
BYTES=$((12 * 1024 * 1024))
MIN_REKEYS=${MIN_REKEYS:-6}

ike_suite ike-rekey
rekeys() { ike_json "$1" "d['csa_rekeys']['$2']"; }
spis() { local n; for n in ha mh fa1; do csas $n | awk '{print $1}'; done | sort -u; }

# bed_with EXTRA: a product bed whose HA and MH CSA settings are EXTRA.
bed_with() {
	IKE_HA_MH_EXTRA="$1" IKE_MH_HA_EXTRA="$1" ike_setup --rate 10000 || die "setup failed"
	ike_mh_start || die "mmlkeyd on the MH"
	wait_init 1 || die "initialisation not complete"
}
bed_down() {
	mip_cleanup
	PIDS=() KEYD_PID=() PREFIX="" TMP=""
}

# rekeys_under_transfer WHAT: the checks of parts 1 and 2.
rekeys_under_transfer() {
	local what=$1 s r r0 r1 fa0 lost most s0 g0 c stale
	ike_key_drops fa1 >"$TMP/drops-before"
	r0=$(rekeys ha retired)
	fa0=$(counter fa1 fwd_mlesp)
	ike_transfer $BYTES
	s=$XFER_SENT r=$XFER_RCVD
	if ike_sha_ok "$s" "$r"; then ok "$what: 12 MB CN -> MH across rekeys (sha256 ${s:0:16}..., ${XFER_SECS} s)"; else
		bad "$what: 12 MB CN -> MH across rekeys: sent $s, received $r"; fi
	ike_key_drops fa1 >"$TMP/drops-after"
	r1=$(rekeys ha retired)
	check "$what: at least $MIN_REKEYS rekeys completed during the transfer ($((r1 - r0)))" \
		test $((r1 - r0)) -ge "$MIN_REKEYS"
	lost=$(ike_key_drops_changed "$TMP/drops-before" "$TMP/drops-after")
	check "$what: no packet dropped for a key at MH, HA or FA1${lost:+ (changed: $lost)}" test -z "$lost"
	check "$what: FA1 verified zone 1 of the downlink ($(($(counter fa1 fwd_mlesp) - fa0)) packets)" \
		test $(($(counter fa1 fwd_mlesp) - fa0)) -gt 7000
	echo "$what: rekeys at the HA $(ike_json ha "d['csa_rekeys']"), at the MH $(ike_json mh "d['csa_rekeys']")"
	echo "$what: HA ike counters $(ike_json ha "{k: v for k, v in d['counters'].items() if v and 'rekey' in k}")"
	check "$what: the HA's csa list gives each CSA of the MH its generation (above 1) and state" \
		eval 'ctl ha -j csa list | python3 -c "
import json, sys
c = [x for x in json.load(sys.stdin) if x.get(\"home\")]
sys.exit(not c or any(x[\"generation\"] < 2 or x[\"state\"] not in (\"active\", \"draining\") for x in c))"'

	# Rekeys go on, each retiring its predecessor (part 2: the MH's ACKs
	# and a ping keep both directions counting). Every pair a node holds
	# now is gone from every node two rekeys later, and no node ever holds
	# more than the current pair and the one it replaces.
	bg cn ping -q -i 0.002 -c 3000 "$HOME_ADDR"
	most=0
	s0=$(spis)
	g0=$(rekeys ha retired)
	for _ in $(seq 60); do
		for n in ha mh fa1; do
			c=$(csas $n | wc -l)
			((c > most)) && most=$c
		done
		sleep 0.1
		(($(rekeys ha retired) >= g0 + 2)) && break
	done
	sleep 0.6 # the last retirement's revocation at FA1
	stale=$(comm -12 <(echo "$s0") <(spis) | tr '\n' ' ')
	check "$what: two rekeys later no node holds a pair it held before${stale:+ (still: $stale)}" test -z "$stale"
	check "$what: no node held more than two pairs at once (most: $((most / 2)))" test "$most" -le 4
	check "$what: no zone-2 key byte string in any of FA1's pinned maps" ike_fa_no_zone2_key fa1
}

# ------------------------------------------------ 1: soft lifetime in seconds
bed_with "csa_soft_lifetime = 1; csa_hard_lifetime = 3;"
rekeys_under_transfer "seconds"
bed_down

# ------------------------------------------------ 2: soft limit in packets
bed_with "csa_soft_packets = 1000; csa_hard_packets = 2000;"
rekeys_under_transfer "packets"
check "packets: the workers' soft-limit reports started the rekeys (HA $(rekeys ha soft_packets), MH $(rekeys mh soft_packets))" \
	test $(($(rekeys ha soft_packets) + $(rekeys mh soft_packets))) -ge "$MIN_REKEYS"
bed_down

# ------------------------------------------------ 4: with SNOOP at BER 1/256K
# SNOOP at FA1 keeps ML-ESP frames and sends them again on the MH's
# duplicate ACKs: a frame cached under a pair the MH has retired would be
# lost to its key. Bit errors corrupt frames on the air (bad tags are the
# air's, not the keys'), and SNOOP's own resends may meet a replay window
# that has them already: the check here is unknown SPI and expiry.
IKE_HA_MH_EXTRA="csa_soft_lifetime = 1; csa_hard_lifetime = 3;" \
	IKE_MH_HA_EXTRA="csa_soft_lifetime = 1; csa_hard_lifetime = 3;" \
	ike_setup --rate 10000 --ber 1/256K || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"
x cn sysctl -qw net.ipv4.tcp_timestamps=0
bg fa1 "$BUILD/mmlworker" --role fa --node "$PREFIX-fa1" --port eth0 --port wlan0
sleep 0.5
ctl fa1 snoop set enabled on >/dev/null || bad "mmlctl snoop set enabled on"
key_lost() { echo $(($(counter mh ep_drop_unknown_spi) + $(counter mh ep_drop_expired) + \
	$(counter ha ep_drop_unknown_spi) + $(counter ha ep_drop_expired) + $(counter fa1 fa_csa_expired))); }
k0=$(key_lost) r0=$(rekeys ha retired)
ike_transfer $BYTES
if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then ok "SNOOP: 12 MB CN -> MH at BER 1/256K across rekeys (${XFER_SECS} s)"; else
	bad "SNOOP: 12 MB at BER 1/256K across rekeys: sent $XFER_SENT, received $XFER_RCVD"; fi
rx=$(ctl fa1 -j snoop show | python3 -c "import json,sys; c=json.load(sys.stdin)['counters']
print(c['local_rxmit_dupack'] + c['local_rxmit_timer'] + c['local_rxmit_persist'])")
check "SNOOP: $(($(rekeys ha retired) - r0)) rekeys, $rx local retransmissions, no packet lost to a key ($(($(key_lost) - k0)))" \
	test $(($(key_lost) - k0)) -eq 0 -a $(($(rekeys ha retired) - r0)) -ge "$MIN_REKEYS"
bed_down

# ------------------------------------------------ 3: the hard limit, no rekey
bed_with "csa_hard_lifetime = 2;"
sleep 2.2
e0=$(counter ha ep_drop_expired)
x cn ping -q -c 20 -i 0.05 -W 1 "$HOME_ADDR" >"$TMP/ping-expired.log" 2>&1
check "hard lifetime over, no rekey: no ping answered" grep -q " 0 received" "$TMP/ping-expired.log"
check "the HA counted what it refused to send ($(($(counter ha ep_drop_expired) - e0)) ep_drop_expired)" \
	test $(($(counter ha ep_drop_expired) - e0)) -ge 20
check "the CSA shows as expired at the HA" eval 'ctl ha csa list | grep -q expired'
echo "ike-rekey: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
