#!/usr/bin/env bash
# Proactive key distribution (PKD, paper §4.3 and Fig. 5) on the shared test
# bed: the product as in the ike-bed suite (tests/ike/bed-lib.sh), the HA
# with handoff = "pkd", FA1 and FA2 neighbours of each other. The MH
# registers through FA1; then
#   1. FA1 told the HA its neighbour (NEIGHBOR_NOTIFY) and the HA handed FA2
#      zone 1 of the CSA pair ahead of time: FA2 holds both CSAs inactive,
#      zone 2 null, and no byte of a zone-2 key in any of its pinned maps;
#      the HA's holder set names FA1 (active) and FA2 (inactive), in
#      `mmlctl ike show` and per CSA in `mmlctl csa list` (-j and text);
#   2. an inactive CSA verifies nothing: the MH's ML-ESP sent to FA2 (a
#      visitor entry written by hand so that it reaches the zone-1 check)
#      is dropped and counted as fa_csa_inactive, not verified or forwarded;
#   3. handoff to FA2 during a 20 MB CN -> MH transfer, and a CN -> MH UDP
#      stream of 2000 datagrams/s (TCP may sit in a retransmission timeout
#      across the handoff; the stream does not): FA2 activates the CSAs as it
#      relays the registration reply, the HA sends it no keys (they were
#      there), FA2 sees no unknown SPI, verifies zone 1 of the
#      rest of the transfer, SHA-256 equal; its timestamps say it relayed
#      the reply, then activated zone 1 (within 5 ms), then verified the
#      first packet (mmlctl mip visitors, ike show); FA1 keeps its copy
#      (PKD) and the holder set has both FAs active;
#   4. deregistration revokes the CSAs at both FAs.
# IKE_HANDOFF=redistribute runs the same steps with today's scheme, for
# comparison: the PKD checks fail, and the unknown-SPI line gives FA2's
# count at the handoff without PKD (3 packets of the stream in one run here,
# against 0 with PKD). Runtime about 15 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
MB20=$((20 * 1024 * 1024))

ike_suite ike-pkd
IKE_HANDOFF=${IKE_HANDOFF:-pkd} ike_setup --rate 200000 || die "setup failed"

# "active"/"inactive" of every CSA of an FA, sorted and unique.
states() { csa_states "$1" | awk '{print $2}' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
# The HA's holder set of the MH: "fa:active" sorted.
holders() {
	ike_json ha "' '.join(sorted('%s:%s' % (h['fa'], h['active']) for h in d['mobiles'][0]['holders'] if h['state'] == 'held'))"
}
# The same from the HA's `mmlctl -j csa list`: "fa:active" sorted, one
# line per CSA of the MH.
csa_holders() {
	ctl ha -j csa list | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c.get("home") == sys.argv[1]:
        print(" ".join(sorted("%s:%s" % (h["fa"], h["active"]) for h in c["holders"] if h["state"] == "held")))' "$HOME_ADDR"
}
fa2_held_inactive() { [[ $(csas fa2 | wc -l) -eq 2 && $(states fa2) == inactive ]]; }
fa2_active() { [[ $(states fa2) == active ]]; }

# ------------------------------------------------ 1: initialisation and PKD
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"
check "FA1 sent NEIGHBOR_NOTIFY, the HA took it" grep -q "peer fa1: 1 neighbour FAs" "$TMP/keyd-ha.log"
check "FA2 holds both CSAs inactive (mmlctl csa list)" wait_for 5 fa2_held_inactive
check "FA1 holds both CSAs active" test "$(states fa1)" = active
check "FA2 holds zone 1 of the HA's CSAs, a null zone 2" ike_fa_zone1_only fa2
check "no zone-2 key byte string in any of FA2's pinned maps" ike_fa_no_zone2_key fa2
check "no zone-2 key byte string in any of FA1's pinned maps" ike_fa_no_zone2_key fa1
check "the HA's holder set: FA1 active, FA2 inactive" test "$(holders)" = "$COA1:True $COA2:False"
check "the HA's csa list -j: both CSAs held by FA1 (active) and FA2 (inactive)" \
	test "$(csa_holders | sort -u)" = "$COA1:True $COA2:False" -a "$(csa_holders | wc -l)" = 2
check "the HA's csa list: holders on each CSA's line" \
	test "$(ctl ha csa list | grep -c "holders .*$COA1 active.*$COA2 inactive\|holders .*$COA2 inactive.*$COA1 active")" = 2
check "FA2's ike show lists the CSAs it holds inactive" \
	test "$(ike_json fa2 "len(d['inactive'])")" = 1

# ------------------------------------------------ 2: inactive verifies nothing
spi_to_mh=$(ctl ha -j csa list | python3 -c '
import json, sys
print([int(c["spi"], 16) for c in json.load(sys.stdin) if c["dir"] == "out"][0])')
ctl fa2 visitor add home $HOME_ADDR ha $HA_ADDR dev wlan0 mac 02:00:00:00:00:42 ||
	die "visitor entry on FA2"
in0=$(counter fa2 fa_csa_inactive) fw0=$(counter fa2 fwd_mlesp) bt0=$(counter fa2 drop_bad_tag)
# 20 ML-ESP packets of the MH's SPI, HA -> FA2's care-of address in IP-in-IP.
x ha python3 - $HA_ADDR $COA2 $CN_ADDR $HOME_ADDR "$spi_to_mh" <<'EOP' || die "injecting ML-ESP"
import os, socket, struct, sys
ha, coa, cn, home, spi = sys.argv[1:5] + [int(sys.argv[5])]
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
s.bind((ha, 0))
for i in range(20):
    esp = struct.pack("!II", spi, 1000000 + i) + os.urandom(112)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(esp), i, 0, 64, 50, 0,
                      socket.inet_aton(cn), socket.inet_aton(home))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    s.sendto(hdr + esp, (coa, 0))
EOP
sleep 0.3
in1=$(counter fa2 fa_csa_inactive)
check "FA2 dropped the 20 packets as inactive ($((in1 - in0)) counted)" test $((in1 - in0)) -eq 20
check "FA2 verified and forwarded none" test "$(counter fa2 fwd_mlesp)" -eq "$fw0"
check "FA2 did not even try their tag" test "$(counter fa2 drop_bad_tag)" -eq "$bt0"
ctl fa2 visitor del home $HOME_ADDR || die "visitor entry on FA2 not removed"

# ------------------------------------------------ 3: handoff during a transfer
u0=$(($(counter fa2 fwd_unknown_spi) + $(counter fa2 drop_unknown_spi)))
f2a=$(counter fa2 fwd_mlesp) f1a=$(counter fa1 fwd_mlesp)
kd0=$(grep -c "keys of .* installed" "$TMP/keyd-fa2.log")
bg cn "$BUILD/mip-probe" send -c $HOME_ADDR -p 7300 -r 2000 -t 30 >"$TMP/probe.log" 2>&1
probe=${PIDS[-1]}
(
	sleep 0.4
	"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1
) &
PIDS+=("$!")
ike_transfer $MB20
s=$XFER_SENT r=$XFER_RCVD
if ike_sha_ok "$s" "$r"; then ok "20 MB CN -> MH across the handoff (sha256 ${s:0:16}...)"; else
	bad "20 MB CN -> MH across the handoff: sent $s, received $r"; fi
check "MH registered through FA2" wait_registered $FA2_WL 5
sleep 0.3 # the stream's datagrams after the registration reached FA2
kill "$probe" 2>/dev/null
check "FA2 activated the CSAs on relaying the reply" grep -q "PKD: CSAs of $HOME_ADDR activated" "$TMP/keyd-fa2.log"
check "FA2 holds both CSAs active" wait_for 2 fa2_active
check "the HA sent FA2 no keys at the handoff (it held them)" \
	test "$(grep -c "keys of .* installed" "$TMP/keyd-fa2.log")" -eq "$kd0"
check "the HA counted a handoff to an FA holding the keys" test "$(ike_json ha "d['handoffs_held']")" = 1
u1=$(($(counter fa2 fwd_unknown_spi) + $(counter fa2 drop_unknown_spi)))
check "FA2: zero unknown-SPI packets (before: $u0, after: $u1)" test "$u1" -eq "$u0"
f2b=$(counter fa2 fwd_mlesp)
check "FA2 verified zone 1 after the handoff ($((f2b - f2a)) packets)" test $((f2b - f2a)) -gt 1000
f1b=$(counter fa1 fwd_mlesp)
check "the handoff came during the transfer: FA1 verified its start ($((f1b - f1a)) packets)" \
	test $((f1b - f1a)) -gt 100
# The handoff's timestamps (make bench-handoff reads them): FA2 relayed the
# reply, activated zone 1 right after (PKD), and its XDP verified the
# stream's first packet after both.
handoff_times() {
	local v z
	v=$(ctl fa2 -j mip visitors) z=$(ctl fa2 -j ike show)
	python3 -c '
import json, sys
v = [e for e in json.loads(sys.argv[1]) if e["home"] == sys.argv[3]][0]
z = [e for e in json.loads(sys.argv[2])["zone1_active"] if e["home"] == sys.argv[3]][0]
reply, act, first = v["reply_relayed_ns"], z["active_ns"], v["first_mlesp_ns"]
print("via %s, activated %.3f ms after the reply, first verified %.3f ms after it" %
      (z["via"], (act - reply) / 1e6, (first - reply) / 1e6))
sys.exit(not (z["via"] == "pkd" and 0 < reply <= act < reply + 5000000 and first >= act))
' "$v" "$z" "$HOME_ADDR"
}
check "FA2's timestamps: reply relayed, zone 1 activated, first packet verified" handoff_times
check "FA1 keeps its copy (PKD)" test "$(csas fa1 | wc -l)" -eq 2
check "the HA's holder set: FA1 and FA2, both active" test "$(holders)" = "$COA1:True $COA2:True"
check "the HA's csa list -j: both CSAs active at FA1 and FA2" \
	test "$(csa_holders | sort -u)" = "$COA1:True $COA2:True" -a "$(csa_holders | wc -l)" = 2

# ------------------------------------------------ 4: deregistration
ike_mh_stop
check "deregistration revoked the CSAs at both FAs (and HA, MH)" ike_wait_gone

echo "ike-pkd: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
