#!/usr/bin/env bash
# The auto flow policy (issue 19; docs/endpoints.md "The auto policy") on the
# shared test bed: the product as in tests/ike/flowneg-bed.sh (an ESP
# CHILD_SA beside the ML-ESP pair, the MH lets its HA go down to ESP), FA1
# running SNOOP and sampling its link (link_auto in its ike section), the
# transfer's TCP flow `auto` at the HA. A CN -> MH transfer at 10 Mbit/s
# while FA1's cell goes clean -> lossy (BER 1/128K both ways) -> clean:
#   1. clean: FA1 reports a clean link, the HA moves the flow to ESP (agreed
#      with the MH), both entries ESP;
#   2. lossy: the HA's probe (ML-ESP for probe_s) gives SNOOP segments to
#      judge, FA1 reports a lossy link, the flow stays ML-ESP;
#   3. clean again: FA1 reports it, the flow goes back to ESP;
# SHA-256 equal, no ep_drop_downgrade at either end, the counters of each
# change at FA1 and the HA. Runtime about 60 s. Exit 77 when the bed or a
# data-plane piece is missing. SECS_CLEAN/SECS_LOSSY (and XFER_MB) let
# bench runs reuse it.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
. "$TOP/tests/ike/flowauto-lib.sh"
ike_suite ike-flowauto

LOSSY_BER=${LOSSY_BER:-1/128K}
flowauto_up --rate 10000 || die "setup failed"

not() { ! "$@"; }
check "ML-IKE done: the MH's binding names an ML-ESP and an ESP pair" wait_for 10 both_pairs
fa1_snoop_on || die "SNOOP on fa1"

XPORT=$((IKE_PORT + 1))
FLOW=(home "$HOME_ADDR" proto tcp home-port "$XPORT")
for n in ha mh; do ctl $n flow add "${FLOW[@]}" mode mlesp || die "flow add at $n"; done
check "the HA takes the flow as auto" has '"answer":"auto"' ctl ha -j flow set "${FLOW[@]}" mode auto
check "  and refuses auto at the MH" not ctl mh flow set "${FLOW[@]}" mode auto

entry() { # NODE: the transfer entry's mode
	ctl "$1" -j flow list | python3 -c "
import json, sys
for f in json.load(sys.stdin):
    if f['home'] == '$HOME_ADDR' and f['peer'] == '0.0.0.0' and f['proto'] == 6 and f['home-port'] == $XPORT:
        print(f['mode'])"
}
link_json() { # NODE EXPR on l = mmlctl ike flows' "link"
	ctl "$1" -j ike flows | python3 -c "import json,sys; l=json.load(sys.stdin)['link']; print($2)"
}
auto_is() { # MODE: the HA's auto flow in MODE, nothing asked, no probe
	[[ $(link_json ha "(l['auto'][0]['mode'], l['auto'][0]['asking'], l['auto'][0]['probing'])") == "('$1', 'none', False)" ]]
}
fa_link_is() { [[ $(link_json ha "l['fa_links'][0]['state'] if l['fa_links'] else 'unknown'") == "$1" ]]; }
both_esp() { [[ "$(entry ha)|$(entry mh)" == "esp|esp" ]]; }
# Seconds until CMD... succeeds (at most MAX), printed; 1 if never.
took() {
	local max=$1 t0=$SECONDS
	shift
	wait_for "$max" "$@" || return 1
	echo $((SECONDS - t0))
}

down0=$(($(counter ha ep_drop_downgrade) + $(counter mh ep_drop_downgrade)))
ike_transfer_start $((${XFER_MB:-64} * 1024 * 1024)) -t 60
[[ $IKE_PORT -eq $XPORT ]] || die "the transfer took port $IKE_PORT, not $XPORT"

# ------------------------------------------------ 1. clean
t=$(took 15 fa_link_is clean)
check "clean cell: FA1 reports a clean link to the HA (${t:-never} s)" test -n "$t"
t=$(took 10 auto_is esp)
check "  the HA moved the flow to ESP, agreed with the MH (${t:-never} s)" test -n "$t"
check "  both entries ESP" wait_for 5 both_esp
sleep "${SECS_CLEAN:-2}"

# ------------------------------------------------ 2. lossy
"$BED" -p "$PREFIX" set ber.fa1.down "$LOSSY_BER" >/dev/null || die "ber"
"$BED" -p "$PREFIX" set ber.fa1.up "$LOSSY_BER" >/dev/null || die "ber"
t=$(took 20 fa_link_is lossy)
check "lossy cell (BER $LOSSY_BER): a probe lets FA1 see it and report it (${t:-never} s)" test -n "$t"
t=$(took 5 auto_is mlesp)
check "  the flow stays ML-ESP (${t:-never} s)" test -n "$t"
sleep "${SECS_LOSSY:-4}"
check "  still ML-ESP after ${SECS_LOSSY:-4} s more" auto_is mlesp

# ------------------------------------------------ 3. clean again
"$BED" -p "$PREFIX" set ber.fa1.down 0 >/dev/null || die "ber"
"$BED" -p "$PREFIX" set ber.fa1.up 0 >/dev/null || die "ber"
t=$(took 15 fa_link_is clean)
check "clean again: FA1 reports it (${t:-never} s)" test -n "$t"
t=$(took 10 auto_is esp)
check "  the flow back to ESP (${t:-never} s)" test -n "$t"
check "the transfer was still running" kill -0 "$XFER_SEND_PID"
ike_transfer_end
same_sha "${XFER_MB:-64} MB CN -> MH, auto: ESP, ML-ESP, ESP" "$XFER_SENT $XFER_RCVD"
down=$(($(counter ha ep_drop_downgrade) + $(counter mh ep_drop_downgrade) - down0))
check "no ep_drop_downgrade at either end ($down)" test "$down" -eq 0
echo "$SUITE: FA1 link: $(link_json fa1 'dict((k, l[k]) for k in ("state", "samples", "samples_idle", "to_lossy", "to_clean", "reports", "reports_refused"))')"
echo "$SUITE: HA: $(link_json ha 'dict(taken=l["reports_taken"], reports_refused=l["reports_refused"], to_lossy=l["to_lossy"], to_clean=l["to_clean"], **dict((k, l["auto"][0][k]) for k in ("to_esp", "to_mlesp", "refused", "failed", "probes")))')"
check "FA1 counted each change (to_clean >= 2, to_lossy >= 1)" \
	test "$(link_json fa1 'int(l["to_clean"] >= 2 and l["to_lossy"] >= 1)')" = 1
check "the HA counted them (to_esp >= 2, to_mlesp >= 1, nothing refused)" \
	test "$(link_json ha 'int(l["auto"][0]["to_esp"] >= 2 and l["auto"][0]["to_mlesp"] >= 1 and l["auto"][0]["refused"] == 0)')" = 1

echo "$SUITE: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
