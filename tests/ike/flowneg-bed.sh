#!/usr/bin/env bash
# A flow's mode agreed between MH and HA over ML-IKE (issue 19, paper
# §5.2/§5.5; docs/protocol.md §2.7) on the shared test bed, no key typed by
# hand: the product as in tests/ike/bed-lib.sh with a CHILD_SA (ESP keys) in
# the MH <-> HA IKE SA besides the ML-ESP CSA pair, both ends' flow entries
# for a TCP and a UDP flow of the mobile in ML-ESP mode; the HA lets its peer ask for
# anything down to plaintext (flow_downgrade_min = "plain"), the MH down to
# ESP only. Then
#   1. forged plaintext UDP of the protected flow, sent in the Mobile IP
#      tunnel from the wired side (forge_round, tests/ep/common.sh), never
#      reaches the MH's application, while a genuine datagram does, and is
#      dropped and counted at the MH (ep_drop_downgrade +20);
#   2. the HA asking the MH for plaintext is refused (below the MH's
#      policy): mmlctl flow set fails, both entries unchanged, the MH counts
#      the refusal;
#   3. a 48 MB CN -> MH transfer is switched while it runs, each switch by
#      `mmlctl flow set` and answered before it returns: ML-ESP -> ESP (the
#      HA asks), ESP -> ML-ESP every 10th (the MH asks), -> ML-ESP (the HA,
#      an upgrade): SHA-256 equal; in each phase the HA sent the agreed mode
#      only (every 10th: one in ten protected) and the MH's uplink too; no
#      ep_drop_downgrade at either end during the agreed switches;
#   4. a change for 3 s (ESP) expires: both ends back to ML-ESP, the
#      temporary accept flags gone after the settle time.
# Runtime about 45 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
. "$TOP/tests/ep/common.sh" # forge_round (the bed's addresses are the same)
ike_suite ike-flowneg

IKE_HA_MH_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"0.0.0.0/0\";
    remote_ts = \"$HOME_ADDR/32\";"
IKE_MH_HA_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"$HOME_ADDR/32\";
    remote_ts = \"0.0.0.0/0\";"
IKE_HA_EXTRA='flow_downgrade_min = "plain";'
IKE_MH_EXTRA='flow_downgrade_min = "esp";'
ike_setup --rate 20000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"

# The binding names both pairs at the MH: ML-ESP and ESP SPIs.
both_pairs() {
	ctl mh -j binding list | python3 -c "
import json, sys
b = [b for b in json.load(sys.stdin) if b['home'] == '$HOME_ADDR']
sys.exit(0 if b and b[0]['mlesp-out'] and b[0]['esp-out'] else 1)"
}
check "ML-IKE done: the MH's binding names an ML-ESP and an ESP pair" wait_for 10 both_pairs

# The flows: the transfer's TCP connection (to the MH's port XPORT, the
# one the next transfer takes) and the forged datagrams' UDP flow, each an
# entry of its own in ML-ESP mode at both ends. What else the mobile
# exchanges (ICMP, IKE, Mobile IP) has no entry and is no part of the test.
XPORT=$((IKE_PORT + 1)) COA=$(coa_of fa1) SPORT=40001 DPORT=9001
FLOW=(home "$HOME_ADDR" proto tcp home-port "$XPORT")
# The transfer's entry at NODE: "mode every accept-flags".
entry() {
	ctl "$1" -j flow list | python3 -c "
import json, sys
for f in json.load(sys.stdin):
    if f['home'] == '$HOME_ADDR' and f['peer'] == '0.0.0.0' and f['proto'] == 6 and f['home-port'] == $XPORT:
        print(f['mode'], f['every'], f['accept_flags'])"
}
for n in ha mh; do
	ctl $n flow add "${FLOW[@]}" mode mlesp || die "flow add at $n"
	ctl $n flow add home $HOME_ADDR proto udp home-port $DPORT mode mlesp || die "flow add at $n"
done

# ------------------------------------------------ 1. forged plaintext
forged0=$(counter mh ep_drop_downgrade)
got=$(forge_round ha $HA_ADDR "$COA" $SPORT $DPORT 20)
forged=$(($(counter mh ep_drop_downgrade) - forged0))
echo "$SUITE: protected flow, the application got: ${got:-nothing}"
check "a genuine datagram of the protected flow arrives" has "genuine=1" echo "$got"
check "no forged plaintext datagram reaches the application" test "${got/forged/}" == "$got"
check "20 forged plaintext datagrams of the protected flow dropped and counted at the MH ($forged)" \
	test "$forged" -eq 20

# ------------------------------------------------ 2. refused below the MH's policy
refused0=$(ike_json mh "d['counters']['flow_mode_refused']")
ctl ha flow set "${FLOW[@]}" mode plain >"$TMP/refused.out" 2>&1
rc=$?
check "the HA asking for plaintext: refused by the MH (flow set exit $rc)" \
	has "refused by the peer" cat "$TMP/refused.out"
check "  the MH counted it (flow_mode_refused +1)" \
	test "$(ike_json mh "d['counters']['flow_mode_refused']")" -eq $((refused0 + 1))
check "  both entries unchanged: ML-ESP, nothing accepted besides" \
	test "$(entry ha)|$(entry mh)" == "mlesp 0 -|mlesp 0 -"

# ------------------------------------------------ 3. switches during a transfer
snap() { # NAME: the encapsulation counters of both ends
	local n
	for n in ha mh; do
		eval "$(ctl "$n" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in ("ep_encap_plain", "ep_encap_esp", "ep_encap_mlesp", "ep_drop_downgrade", "ep_flow_upgrade"):
    print("snap_%s_%s_%s=%d" % (sys.argv[1], sys.argv[2], c, d[c]))' "$1" "$n")"
	done
}
d() { # NODE COUNTER FROM TO
	local a b
	eval "a=\$snap_$3_$1_$2 b=\$snap_$4_$1_$2"
	echo $((b - a))
}
phase() { echo "$(d "$1" ep_encap_plain "$2" "$3")/$(d "$1" ep_encap_esp "$2" "$3")/$(d "$1" ep_encap_mlesp "$2" "$3")"; }
# set NODE ARGS...: flow set at NODE, its answer recorded.
set_ok() {
	local node=$1
	shift
	ctl "$node" -j flow set "$@" >"$TMP/set.out" 2>&1 && has '"answer":"agreed"' cat "$TMP/set.out"
}
down0=$(($(counter ha ep_drop_downgrade) + $(counter mh ep_drop_downgrade)))
agreed0=$(ike_json ha "d['counters']['flow_mode_agreed']")
MB=$((48 * 1024 * 1024))
snap z
ike_transfer_start $MB -t 40
[[ $IKE_PORT -eq $XPORT ]] || die "the transfer took port $IKE_PORT, not $XPORT"

sleep 1
snap a
check "ML-ESP -> ESP, asked by the HA: agreed" set_ok ha "${FLOW[@]}" mode esp
check "  both entries ESP" test "$(entry ha | cut -d' ' -f1-2)|$(entry mh | cut -d' ' -f1-2)" == "esp 0|esp 0"
snap b0
sleep 3
snap b1
check "ESP -> ML-ESP every 10th, asked by the MH: agreed" set_ok mh "${FLOW[@]}" mode mlesp every 10
check "  both entries ML-ESP every 10" \
	test "$(entry ha | cut -d' ' -f1-2)|$(entry mh | cut -d' ' -f1-2)" == "mlesp 10|mlesp 10"
snap c0
sleep 3
snap c1
check "every 10th -> ML-ESP, an upgrade by the HA: agreed" set_ok ha "${FLOW[@]}" mode mlesp
snap d0
sleep 3
snap d1
check "the transfer was still running after the last switch" kill -0 "$XFER_SEND_PID"
ike_transfer_end
same_sha "48 MB CN -> MH through ML-ESP, ESP, every 10th, ML-ESP" "$XFER_SENT $XFER_RCVD"
echo "$SUITE: HA downlink plain/esp/mlesp: ESP phase $(phase ha b0 b1), every-10th phase" \
	"$(phase ha c0 c1), ML-ESP phase $(phase ha d0 d1); MH uplink: $(phase mh b0 b1)," \
	"$(phase mh c0 c1), $(phase mh d0 d1)"
check "ESP phase: the HA sent ESP only ($(phase ha b0 b1)), the MH too ($(phase mh b0 b1))" \
	test "$(d ha ep_encap_esp b0 b1)" -gt 100 -a "$(d ha ep_encap_plain b0 b1)" -eq 0 \
	-a "$(d ha ep_encap_mlesp b0 b1)" -eq 0 -a "$(d mh ep_encap_esp b0 b1)" -gt 10 \
	-a "$(d mh ep_encap_plain b0 b1)" -eq 0 -a "$(d mh ep_encap_mlesp b0 b1)" -eq 0
p=$(d ha ep_encap_plain c0 c1) m=$(d ha ep_encap_mlesp c0 c1)
check "every-10th phase: plaintext and ML-ESP, no ESP ($(phase ha c0 c1); MH $(phase mh c0 c1))" \
	test "$p" -gt 100 -a "$m" -gt 10 -a "$(d ha ep_encap_esp c0 c1)" -eq 0 \
	-a "$(d mh ep_encap_plain c0 c1)" -gt 0 -a "$(d mh ep_encap_esp c0 c1)" -eq 0
check "every-10th phase: one in ten protected ($m of $((p + m)))" \
	test $((10 * m - (p + m))) -le 10 -a $((10 * m - (p + m))) -ge -10
check "ML-ESP phase: ML-ESP only ($(phase ha d0 d1); MH $(phase mh d0 d1))" \
	test "$(d ha ep_encap_mlesp d0 d1)" -gt 100 -a "$(d ha ep_encap_plain d0 d1)" -eq 0 \
	-a "$(d ha ep_encap_esp d0 d1)" -eq 0 -a "$(d mh ep_encap_mlesp d0 d1)" -gt 10 \
	-a "$(d mh ep_encap_plain d0 d1)" -eq 0 -a "$(d mh ep_encap_esp d0 d1)" -eq 0
# Where any refusal fell: per phase and end (a..b0 ESP switch, b1..c0
# every 10th, c1..d0 back to ML-ESP), with the implicit upgrades learned.
for n in ha mh; do
	echo "$SUITE: $n ep_drop_downgrade per interval z-a $(d $n ep_drop_downgrade z a) a-b0 $(d $n ep_drop_downgrade a b0) b0-b1 $(d $n ep_drop_downgrade b0 b1)" \
		"b1-c0 $(d $n ep_drop_downgrade b1 c0) c0-c1 $(d $n ep_drop_downgrade c0 c1) c1-d0 $(d $n ep_drop_downgrade c1 d0)" \
		"d0-d1 $(d $n ep_drop_downgrade d0 d1); ep_flow_upgrade a-d1 $(d $n ep_flow_upgrade a d1)"
done
down=$(($(counter ha ep_drop_downgrade) + $(counter mh ep_drop_downgrade) - down0))
check "no ep_drop_downgrade at either end during the agreed switches ($down)" test "$down" -eq 0
check "the HA counted three agreements (flow_mode_agreed +3)" \
	test "$(ike_json ha "d['counters']['flow_mode_agreed']")" -eq $((agreed0 + 3))
check "after the settle time no temporary accept flag is left" \
	test "$(entry ha)|$(entry mh)" == "mlesp 0 -|mlesp 0 -"

# ------------------------------------------------ 4. a change for 3 s
check "ESP for 3 s, asked by the MH: agreed" set_ok mh "${FLOW[@]}" mode esp for 3
check "  both entries ESP" test "$(entry ha | cut -d' ' -f1)|$(entry mh | cut -d' ' -f1)" == "esp|esp"
check "  mmlctl ike flows shows it held at the HA" \
	has '"state":"agreed"' ctl ha -j ike flows
back() { [[ "$(entry ha)|$(entry mh)" == "mlesp 0 -|mlesp 0 -" ]]; }
check "expired: both ends back to ML-ESP, the accept flags gone after the settle time" wait_for 10 back
check "  both counted the expiry" \
	test "$(ctl ha -j ike flows | python3 -c 'import json,sys; print(json.load(sys.stdin)["expired"])')$(ctl mh -j ike flows | python3 -c 'import json,sys; print(json.load(sys.stdin)["expired"])')" = 11

echo "$SUITE: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
